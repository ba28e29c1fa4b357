#include "yooni/redis/slot_map.hpp"

#include <boost/assert.hpp>
#include <boost/throw_exception.hpp>

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace yooni::redis {
namespace {

using resp::Node;
using resp::Type;

class TopologyCategory final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "yooni.redis.topology"; }

    std::string message(int value) const override {
        switch (static_cast<topology_errc>(value)) {
        case topology_errc::not_an_array: return "CLUSTER SLOTS reply is not an array";
        case topology_errc::bad_entry: return "CLUSTER SLOTS entry is not [start, end, master, replicas...]";
        case topology_errc::bad_slot_range: return "CLUSTER SLOTS entry has a slot range outside 0..16383";
        case topology_errc::bad_node: return "CLUSTER SLOTS node is not [endpoint, port, ...] with a valid port";
        case topology_errc::overlapping_ranges: return "CLUSTER SLOTS entries claim the same slot twice";
        }
        return "unknown topology error";
    }
};

template <typename T>
std::optional<T> parse_number(std::string_view digits) {
    T value{};
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
    return value;
}

// A walker over the flat pre-order tree that never trusts the sizes it reads:
// every index is checked against the vector, so a hand-built or truncated
// tree yields an error instead of reading past the end.
class Tree {
public:
    explicit Tree(const std::vector<Node>& nodes) : nodes_(nodes) {}

    static constexpr std::size_t kBad = static_cast<std::size_t>(-1);

    // The element at `at`, past any RESP3 attribute subtrees in front of it
    // (an attribute decorates the element that follows and is not counted in
    // its parent's size). kBad when the tree ends first.
    std::size_t element(std::size_t at) const {
        while (at < nodes_.size() && nodes_[at].type == Type::attribute) at = end_of(at);
        return at < nodes_.size() ? at : kBad;
    }

    // One past the subtree rooted at `at` (attributes inside included).
    std::size_t end_of(std::size_t at) const {
        if (at >= nodes_.size()) return kBad;
        std::size_t next = at + 1;
        for (std::size_t i = 0; i < nodes_[at].size; ++i) {
            next = element(next);
            if (next == kBad) return kBad;
            next = end_of(next);
            if (next == kBad) return kBad;
        }
        return next;
    }

    // Indices of the direct children of an aggregate, or empty with ok == false.
    bool children(std::size_t at, std::vector<std::size_t>& out) const {
        out.clear();
        std::size_t next = at + 1;
        for (std::size_t i = 0; i < nodes_[at].size; ++i) {
            next = element(next);
            if (next == kBad) return false;
            out.push_back(next);
            next = end_of(next);
            if (next == kBad) return false;
        }
        return true;
    }

    const Node& operator[](std::size_t at) const { return nodes_[at]; }

    std::optional<std::string_view> string(std::size_t at) const {
        const auto& node = nodes_[at];
        switch (node.type) {
        case Type::bulk_string:
        case Type::simple_string: return node.value;
        case Type::verbatim_string:  // "txt:" then the text
            if (node.value.size() < 4) return std::nullopt;
            return node.value.substr(4);
        default: return std::nullopt;
        }
    }

    std::optional<std::int64_t> integer(std::size_t at) const {
        if (nodes_[at].type != Type::integer) return std::nullopt;
        return parse_number<std::int64_t>(nodes_[at].value);
    }

private:
    const std::vector<Node>& nodes_;
};

bool is_list(Type type) { return type == Type::array || type == Type::set; }

// The "ip" or "hostname" entry of a node's metadata: a RESP2 flat array of
// key/value pairs or a RESP3 map.
std::optional<std::string_view> metadata_value(const Tree& tree, std::size_t at, std::string_view key) {
    const auto type = tree[at].type;
    if (type != Type::map && type != Type::array) return std::nullopt;
    std::vector<std::size_t> kids;
    if (!tree.children(at, kids)) return std::nullopt;
    for (std::size_t i = 0; i + 1 < kids.size(); i += 2) {
        const auto name = tree.string(kids[i]);
        if (name && *name == key) {
            const auto value = tree.string(kids[i + 1]);
            if (value && !value->empty()) return value;
        }
    }
    return std::nullopt;
}

boost::system::result<NodeAddress> read_node(const Tree& tree, std::size_t at, const NodeAddress& answered_by) {
    if (!is_list(tree[at].type)) return topology_errc::bad_node;
    std::vector<std::size_t> fields;
    if (!tree.children(at, fields) || fields.size() < 2) return topology_errc::bad_node;
    const auto port = tree.integer(fields[1]);
    if (!port || *port < 1 || *port > 65535) return topology_errc::bad_node;

    std::string host;
    if (tree[fields[0]].type == Type::null) {
        host = answered_by.host;
    } else if (const auto endpoint = tree.string(fields[0])) {
        if (endpoint->empty()) {
            host = answered_by.host;
        } else if (*endpoint == "?") {
            std::optional<std::string_view> known;
            if (fields.size() >= 4) {
                known = metadata_value(tree, fields[3], "ip");
                if (!known) known = metadata_value(tree, fields[3], "hostname");
            }
            host = known ? std::string{*known} : answered_by.host;
        } else {
            host = std::string{*endpoint};
        }
    } else {
        return topology_errc::bad_node;
    }
    return NodeAddress{std::move(host), static_cast<std::uint16_t>(*port)};
}

boost::system::result<SlotMap::Entry> read_entry(const Tree& tree, std::size_t at, const NodeAddress& answered_by) {
    if (!is_list(tree[at].type)) return topology_errc::bad_entry;
    std::vector<std::size_t> fields;
    if (!tree.children(at, fields) || fields.size() < 3) return topology_errc::bad_entry;
    const auto first = tree.integer(fields[0]);
    const auto last = tree.integer(fields[1]);
    if (!first || !last || *first < 0 || *last >= kSlotCount || *first > *last) return topology_errc::bad_slot_range;
    SlotMap::Entry entry{{static_cast<std::uint16_t>(*first), static_cast<std::uint16_t>(*last)}, {}, {}};
    auto master = read_node(tree, fields[2], answered_by);
    if (!master) return master.error();
    entry.master = std::move(*master);
    for (std::size_t i = 3; i < fields.size(); ++i) {
        auto replica = read_node(tree, fields[i], answered_by);
        if (!replica) return replica.error();
        entry.replicas.push_back(std::move(*replica));
    }
    return entry;
}

void sort_unique(std::vector<NodeAddress>& nodes) {
    std::sort(nodes.begin(), nodes.end());
    nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
}

}  // namespace

const boost::system::error_category& topology_category() {
    static const TopologyCategory instance;
    return instance;
}

boost::system::error_code make_error_code(topology_errc e) { return {static_cast<int>(e), topology_category()}; }

void throw_exception_from_error(const ParseError& error, const boost::source_location& location) {
    boost::throw_exception(std::invalid_argument(error.message), location);
}

std::string NodeAddress::to_string() const {
    auto port_text = std::to_string(port);
    if (host.find(':') != std::string::npos) return "[" + host + "]:" + port_text;
    return host + ":" + port_text;
}

std::optional<NodeAddress> NodeAddress::parse(std::string_view text) {
    std::string_view host;
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
        host = text.substr(1, close - 1);
        port_text = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
    }
    if (host.empty() || port_text.size() > 5) return std::nullopt;
    const auto port = parse_number<std::uint32_t>(port_text);
    if (!port || *port < 1 || *port > 65535) return std::nullopt;
    return NodeAddress{std::string{host}, static_cast<std::uint16_t>(*port)};
}

boost::system::result<std::shared_ptr<const SlotMap>> SlotMap::from_cluster_slots(
    const std::vector<resp::Node>& nodes, const NodeAddress& answered_by, std::uint64_t version) {
    const Tree tree{nodes};
    const auto root = tree.element(0);
    if (root == Tree::kBad || !is_list(tree[root].type)) return topology_errc::not_an_array;
    std::vector<std::size_t> items;
    if (!tree.children(root, items)) return topology_errc::bad_entry;
    std::vector<Entry> entries;
    entries.reserve(items.size());
    for (const auto item : items) {
        auto entry = read_entry(tree, item, answered_by);
        if (!entry) return entry.error();
        entries.push_back(std::move(*entry));
    }
    return from_entries(entries, version);
}

boost::system::result<std::shared_ptr<const SlotMap>> SlotMap::from_entries(const std::vector<Entry>& entries,
                                                                             std::uint64_t version) {
    std::vector<Shard> shards;
    std::array<std::uint16_t, kSlotCount> slot_shard;
    slot_shard.fill(kNoShard);
    for (const auto& entry : entries) {
        if (entry.range.first > entry.range.last || entry.range.last >= kSlotCount) {
            return topology_errc::bad_slot_range;
        }
        // Redis lists one entry per contiguous range, so a master with several
        // ranges appears several times: share one shard between them.
        auto shard = std::find_if(shards.begin(), shards.end(), [&](const Shard& s) {
            return s.master == entry.master && s.replicas == entry.replicas;
        });
        if (shard == shards.end()) shard = shards.insert(shards.end(), Shard{entry.master, entry.replicas});
        const auto index = static_cast<std::uint16_t>(shard - shards.begin());
        for (std::uint32_t slot = entry.range.first; slot <= entry.range.last; ++slot) {
            if (slot_shard[slot] != kNoShard) return topology_errc::overlapping_ranges;
            slot_shard[slot] = index;
        }
    }
    return std::shared_ptr<const SlotMap>{new SlotMap(std::move(shards), slot_shard, version)};
}

SlotMap::SlotMap(std::vector<Shard> shards, const std::array<std::uint16_t, kSlotCount>& slot_shard,
                 std::uint64_t version)
    : version_(version) {
    // Keep only shards that still serve a slot (a patch can empty one), so
    // masters() never names a node that owns nothing.
    std::vector<std::uint16_t> renumber(shards.size(), kNoShard);
    for (const auto index : slot_shard) {
        if (index == kNoShard) {
            ++uncovered_count_;
        } else if (renumber[index] == kNoShard) {
            renumber[index] = 0;  // marked used; numbered below in shard order
        }
    }
    for (std::size_t i = 0; i < shards.size(); ++i) {
        if (renumber[i] == kNoShard) continue;
        renumber[i] = static_cast<std::uint16_t>(shards_.size());
        shards_.push_back(std::move(shards[i]));
    }
    for (std::size_t slot = 0; slot < kSlotCount; ++slot) {
        slot_shard_[slot] = slot_shard[slot] == kNoShard ? kNoShard : renumber[slot_shard[slot]];
    }
    for (const auto& shard : shards_) {
        masters_.push_back(shard.master);
        all_nodes_.push_back(shard.master);
        all_nodes_.insert(all_nodes_.end(), shard.replicas.begin(), shard.replicas.end());
    }
    sort_unique(masters_);
    sort_unique(all_nodes_);
}

const NodeAddress* SlotMap::master_for(std::uint16_t slot) const {
    BOOST_ASSERT(slot < kSlotCount);
    const auto index = slot_shard_[slot];
    return index == kNoShard ? nullptr : &shards_[index].master;
}

std::span<const NodeAddress> SlotMap::replicas_for(std::uint16_t slot) const {
    BOOST_ASSERT(slot < kSlotCount);
    const auto index = slot_shard_[slot];
    if (index == kNoShard) return {};
    return shards_[index].replicas;
}

std::vector<SlotRange> SlotMap::ranges_of(const NodeAddress& master) const {
    std::vector<SlotRange> ranges;
    for (std::uint32_t slot = 0; slot < kSlotCount; ++slot) {
        const auto index = slot_shard_[slot];
        if (index == kNoShard || shards_[index].master != master) continue;
        if (!ranges.empty() && ranges.back().last + 1u == slot) {
            ranges.back().last = static_cast<std::uint16_t>(slot);
        } else {
            ranges.push_back({static_cast<std::uint16_t>(slot), static_cast<std::uint16_t>(slot)});
        }
    }
    return ranges;
}

std::vector<SlotRange> SlotMap::uncovered_ranges() const {
    std::vector<SlotRange> ranges;
    for (std::uint32_t slot = 0; slot < kSlotCount; ++slot) {
        if (slot_shard_[slot] != kNoShard) continue;
        if (!ranges.empty() && ranges.back().last + 1u == slot) {
            ranges.back().last = static_cast<std::uint16_t>(slot);
        } else {
            ranges.push_back({static_cast<std::uint16_t>(slot), static_cast<std::uint16_t>(slot)});
        }
    }
    return ranges;
}

std::shared_ptr<const SlotMap> SlotMap::with_slot_moved(std::uint16_t slot, const NodeAddress& master) const {
    BOOST_ASSERT(slot < kSlotCount);
    auto shards = shards_;
    auto slot_shard = slot_shard_;
    // The target's existing shard (if it already masters other slots) carries
    // its replicas along; otherwise it is a master we have not seen serve yet.
    auto shard = std::find_if(shards.begin(), shards.end(), [&](const Shard& s) { return s.master == master; });
    if (shard == shards.end()) shard = shards.insert(shards.end(), Shard{master, {}});
    slot_shard[slot] = static_cast<std::uint16_t>(shard - shards.begin());
    return std::shared_ptr<const SlotMap>{new SlotMap(std::move(shards), slot_shard, version_ + 1)};
}

bool SlotMap::same_layout(const SlotMap& other) const {
    for (std::size_t slot = 0; slot < kSlotCount; ++slot) {
        const auto mine = slot_shard_[slot];
        const auto theirs = other.slot_shard_[slot];
        if ((mine == kNoShard) != (theirs == kNoShard)) return false;
        if (mine == kNoShard) continue;
        const auto& a = shards_[mine];
        const auto& b = other.shards_[theirs];
        if (a.master != b.master || a.replicas != b.replicas) return false;
    }
    return true;
}

}  // namespace yooni::redis
