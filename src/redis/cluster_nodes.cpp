#include "yooni/redis/cluster_nodes.hpp"

#include "yooni/redis/key_slot.hpp"


#include <algorithm>
#include <bitset>
#include <charconv>

namespace yooni::redis {
namespace {

constexpr std::size_t kFixedFields = 8;  // id .. link_state, before the slots

template <typename T>
std::optional<T> parse_number(std::string_view digits) {
    T value{};
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
    return value;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    for (;;) {
        const auto at = text.find(separator);
        parts.push_back(text.substr(0, at));
        if (at == std::string_view::npos) return parts;
        text.remove_prefix(at + 1);
    }
}

// A blank-separated line into its words (CLUSTER NODES uses single spaces;
// runs of blanks are tolerated).
std::vector<std::string_view> words(std::string_view line) {
    std::vector<std::string_view> out;
    for (auto& part : split(line, ' ')) {
        if (!part.empty()) out.push_back(part);
    }
    return out;
}

ParseError line_error(std::string_view what, std::size_t number, std::string_view line, std::string_view problem) {
    return ParseError{std::string{what} + " line " + std::to_string(number) + " \"" + std::string{line} +
                      "\": " + std::string{problem}};
}

std::optional<std::uint16_t> parse_slot(std::string_view text) {
    const auto slot = parse_number<std::uint32_t>(text);
    if (!slot || *slot >= kSlotCount) return std::nullopt;
    return static_cast<std::uint16_t>(*slot);
}

// "42" or "0-5460": its first and last slot, or nullopt when malformed.
std::optional<std::pair<std::uint16_t, std::uint16_t>> slot_range(std::string_view token) {
    const auto dash = token.find('-');
    const auto first = parse_slot(token.substr(0, dash));
    if (!first) return std::nullopt;
    if (dash == std::string_view::npos) return std::pair{*first, *first};
    const auto last = parse_slot(token.substr(dash + 1));
    if (!last || *last < *first) return std::nullopt;
    return std::pair{*first, *last};
}

bool has(const std::vector<std::string>& flags, std::string_view flag) {
    return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

// A slot token: a range, or a migration marker "[slot->-id]" / "[slot-<-id]".
// Returns the problem, empty when the token was taken.
// `owned` holds the node's slots so far: a slot listed twice is refused (the
// count would otherwise pass 16384).
std::string_view add_slot_token(ClusterNodeInfo& node, std::bitset<kSlotCount>& owned, std::string_view token) {
    if (token.front() == '[') {
        if (token.size() < 2 || token.back() != ']') return "migration marker without ']'";
        const auto marker = token.substr(1, token.size() - 2);
        for (const auto arrow : {std::string_view{"->-"}, std::string_view{"-<-"}}) {
            const auto at = marker.find(arrow);
            if (at == std::string_view::npos) continue;
            if (!parse_slot(marker.substr(0, at)) || at + arrow.size() == marker.size()) {
                return "migration marker is not [slot->-id] or [slot-<-id]";
            }
            (arrow == "->-" ? node.migrating : node.importing).emplace_back(marker);
            return {};
        }
        return "migration marker is not [slot->-id] or [slot-<-id]";
    }
    const auto range = slot_range(token);
    if (!range) return "slot is not N or N-M within 0..16383";
    for (std::size_t slot = range->first; slot <= range->second; ++slot) {
        if (owned.test(slot)) return "slot listed twice for one node";
        owned.set(slot);
    }
    node.slots.emplace_back(token);
    node.slot_count += static_cast<std::size_t>(range->second - range->first) + 1;
    return {};
}

}  // namespace

boost::system::result<std::vector<ClusterNodeInfo>, ParseError> parse_cluster_nodes(std::string_view text) {
    static constexpr std::string_view kWhat = "CLUSTER NODES";
    std::vector<ClusterNodeInfo> nodes;
    std::size_t number = 0;
    for (auto line : split(text, '\n')) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const auto fields = words(line);
        if (fields.empty()) continue;
        if (fields.size() < kFixedFields) return line_error(kWhat, number, line, "fewer than 8 fields");

        ClusterNodeInfo node;
        node.id = fields[0];
        // ip:port@cport[,hostname[,aux=value...]]; Redis before 4 had no @cport.
        const auto endpoint = split(fields[1], ',');
        const auto address = endpoint[0].substr(0, endpoint[0].find('@'));
        const auto colon = address.rfind(':');
        if (colon == std::string_view::npos || !parse_number<std::uint16_t>(address.substr(colon + 1))) {
            return line_error(kWhat, number, line, "address is not ip:port@cport");
        }
        node.address = address;
        if (endpoint.size() > 1 && endpoint[1].find('=') == std::string_view::npos) node.hostname = endpoint[1];

        for (const auto flag : split(fields[2], ',')) {
            if (flag.empty()) return line_error(kWhat, number, line, "empty flag");
            node.flags.emplace_back(flag);
        }
        node.is_master = has(node.flags, "master");
        node.is_replica = has(node.flags, "slave") || has(node.flags, "replica");
        node.is_myself = has(node.flags, "myself");
        node.is_fail = has(node.flags, "fail");
        node.is_pfail = has(node.flags, "fail?");

        if (fields[3] != "-") node.master_id = std::string{fields[3]};
        const auto ping_sent = parse_number<std::int64_t>(fields[4]);
        const auto pong_recv = parse_number<std::int64_t>(fields[5]);
        const auto config_epoch = parse_number<std::int64_t>(fields[6]);
        if (!ping_sent || !pong_recv || !config_epoch) {
            return line_error(kWhat, number, line, "ping_sent, pong_recv or config_epoch is not an integer");
        }
        node.ping_sent = *ping_sent;
        node.pong_recv = *pong_recv;
        node.config_epoch = *config_epoch;
        if (fields[7] != "connected" && fields[7] != "disconnected") {
            return line_error(kWhat, number, line, "link state is neither connected nor disconnected");
        }
        node.link_state = fields[7];

        std::bitset<kSlotCount> owned;
        for (std::size_t i = kFixedFields; i < fields.size(); ++i) {
            if (const auto problem = add_slot_token(node, owned, fields[i]); !problem.empty()) {
                return line_error(kWhat, number, line, problem);
            }
        }
        nodes.push_back(std::move(node));
    }
    return nodes;
}

boost::system::result<std::map<std::string, std::string>, ParseError> parse_cluster_info(std::string_view text) {
    std::map<std::string, std::string> info;
    std::size_t number = 0;
    for (auto line : split(text, '\n')) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) continue;
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) {
            return line_error("CLUSTER INFO", number, line, "expected key:value");
        }
        info.insert_or_assign(std::string{line.substr(0, colon)}, std::string{line.substr(colon + 1)});
    }
    return info;
}

std::vector<std::string> masters_without_replica(const std::vector<ClusterNodeInfo>& nodes) {
    std::vector<std::string> out;
    for (const auto& m : nodes) {
        if (!m.is_master || m.slot_count == 0) continue;
        const bool covered = std::any_of(nodes.begin(), nodes.end(), [&m](const ClusterNodeInfo& r) {
            return r.is_replica && !r.is_fail && r.master_id && *r.master_id == m.id;
        });
        if (!covered) out.push_back(m.address);
    }
    return out;
}

}  // namespace yooni::redis
