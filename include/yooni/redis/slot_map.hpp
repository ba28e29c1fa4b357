// The cluster's slot map: which master (and which replicas) serve each of the
// 16384 hash slots, as one immutable, versioned snapshot.
//
// A refresh builds a new map and publishes it under a version number;
// readers keep the snapshot they loaded for the whole command, so they never
// see a half-updated map. A MOVED patches one slot into a new snapshot
// (with_slot_moved) instead of re-reading the whole topology.
//
// Threading: a SlotMap never changes after construction, so any number of
// threads may read one. Share it as std::shared_ptr<const SlotMap>: the
// cluster client keeps the current one under a mutex and a version counter;
// each worker caches its copy per thread and takes the mutex only when the
// version moved (std::atomic<shared_ptr> is not lock-free in libstdc++ 12).
//
// This header does not define redis::result: connection.hpp owns that alias.
#pragma once

#include "yooni/redis/key_slot.hpp"

#include <yooni/resp/reply.hpp>

#include <boost/assert/source_location.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace yooni::redis {

// Why a topology answer (CLUSTER SLOTS) was refused. Its own category, apart
// from redis::errc (connection.hpp), so this header needs no Asio.
enum class topology_errc {
    not_an_array = 1,    // the reply is not an array (an error reply, or another command's answer)
    bad_entry,           // an entry is not [start, end, master, replicas...]
    bad_slot_range,      // start or end not an integer in 0..16383, or start > end
    bad_node,            // a node is not [endpoint, port, ...] with a port in 1..65535
    overlapping_ranges,  // two entries claim the same slot
};
const boost::system::error_category& topology_category();
boost::system::error_code make_error_code(topology_errc e);

// A text (CLUSTER NODES, an address-map setting) that could not be read. The
// message names the bad line or entry, for the log line or the operator;
// texts are returned as boost::system::result<T, ParseError>.
struct ParseError {
    std::string message;
    bool operator==(const ParseError&) const = default;
};
// Lets result<T, ParseError>::value() compile; it throws std::invalid_argument
// with the message. Serving code tests the result instead.
[[noreturn]] void throw_exception_from_error(const ParseError& error, const boost::source_location& location);

// A node as clients reach it. IPv6 hosts are kept without brackets.
struct NodeAddress {
    std::string host;
    std::uint16_t port = 0;

    auto operator<=>(const NodeAddress&) const = default;
    // "host:port", "[::1]:7000" for IPv6: the form Redis and our settings accept.
    std::string to_string() const;
    // "host:port", "[v6]:port", or unbracketed "v6:port" (split at the last ':').
    // Empty optional for an empty host or a port outside 1..65535.
    static std::optional<NodeAddress> parse(std::string_view text);
};

struct SlotRange {
    std::uint16_t first = 0;  // inclusive
    std::uint16_t last = 0;   // inclusive
    bool operator==(const SlotRange&) const = default;
};

class SlotMap {
public:
    // One range and its servers: a CLUSTER SLOTS entry, or a test's hand-made map.
    struct Entry {
        SlotRange range;
        NodeAddress master;
        std::vector<NodeAddress> replicas;
    };

    // Reads a CLUSTER SLOTS reply: an array of [start, end, master, replica...],
    // each node [endpoint, port, id?, metadata?]. `answered_by` is the address
    // this client sent the command to. Endpoint rules (Redis 7):
    //  - NULL (cluster-preferred-endpoint-type unknown-endpoint, e.g. behind a
    //    load balancer) and "" (a node that does not know its own IP yet) mean
    //    answered_by.host, with the port given;
    //  - "?" (hostname preferred but none announced) means an unknown endpoint:
    //    the metadata's "ip" (or "hostname") when present, else answered_by.host;
    //  - anything else is used as given (IP or hostname); metadata is not read.
    // Metadata may be a RESP2 flat array or a RESP3 map; RESP3 attributes
    // anywhere in the tree are skipped. Slots no entry claims stay uncovered
    // (see covers_all_slots): a partial map is still usable for the others.
    static boost::system::result<std::shared_ptr<const SlotMap>> from_cluster_slots(
        const std::vector<resp::Node>& nodes, const NodeAddress& answered_by, std::uint64_t version);
    static boost::system::result<std::shared_ptr<const SlotMap>> from_cluster_slots(
        const resp::Reply& reply, const NodeAddress& answered_by, std::uint64_t version) {
        return from_cluster_slots(reply.nodes, answered_by, version);
    }
    // Entries must not overlap (topology_errc::overlapping_ranges) and must
    // have first <= last <= 16383 (topology_errc::bad_slot_range).
    static boost::system::result<std::shared_ptr<const SlotMap>> from_entries(
        const std::vector<Entry>& entries, std::uint64_t version);

    // Increases with every refresh or patch; lets a worker ignore a snapshot
    // older than the one it holds.
    std::uint64_t version() const { return version_; }

    // O(1). nullptr for an uncovered slot; the pointer lives as long as this map.
    // Precondition: slot < kSlotCount.
    const NodeAddress* master_for(std::uint16_t slot) const;
    // O(1). Empty for an uncovered slot or a master without replicas.
    std::span<const NodeAddress> replicas_for(std::uint16_t slot) const;

    // Masters serving at least one slot, each once, sorted: the fan-out targets
    // of SCAN, FLUSHDB, DBSIZE and multi-slot commands.
    const std::vector<NodeAddress>& masters() const { return masters_; }
    // Masters and replicas, each once, sorted.
    const std::vector<NodeAddress>& all_nodes() const { return all_nodes_; }
    // Slot ranges served by `master`, ascending (empty if it serves none).
    std::vector<SlotRange> ranges_of(const NodeAddress& master) const;

    bool covers_all_slots() const { return uncovered_count_ == 0; }
    std::size_t uncovered_slot_count() const { return uncovered_count_; }
    // Maximal runs of slots with no master, ascending: what to report when the
    // map is partial ("slots 5461-10922 not covered").
    std::vector<SlotRange> uncovered_ranges() const;

    // A new snapshot where `slot` is served by `master` (a MOVED), version + 1.
    // The slot takes the replicas `master` already has for its other slots,
    // none if it was unknown. Copies the map: O(16384 + nodes).
    std::shared_ptr<const SlotMap> with_slot_moved(std::uint16_t slot, const NodeAddress& master) const;

    // Same master and replicas for every slot, whatever the versions: a
    // refresh that changed nothing need not be published (workers keep their copies).
    bool same_layout(const SlotMap& other) const;

private:
    struct Shard {
        NodeAddress master;
        std::vector<NodeAddress> replicas;
    };
    static constexpr std::uint16_t kNoShard = 0xFFFF;  // more than kSlotCount: never a real shard index

    SlotMap(std::vector<Shard> shards, const std::array<std::uint16_t, kSlotCount>& slot_shard,
            std::uint64_t version);

    std::vector<Shard> shards_;  // only shards that serve at least one slot
    std::array<std::uint16_t, kSlotCount> slot_shard_;  // index into shards_, or kNoShard
    std::vector<NodeAddress> masters_;
    std::vector<NodeAddress> all_nodes_;
    std::size_t uncovered_count_ = 0;
    std::uint64_t version_ = 0;
};

}  // namespace yooni::redis

template <>
struct boost::system::is_error_code_enum<yooni::redis::topology_errc> : std::true_type {};

template <>
struct std::hash<yooni::redis::NodeAddress> {
    std::size_t operator()(const yooni::redis::NodeAddress& address) const noexcept {
        return std::hash<std::string>{}(address.host) * 31 + address.port;
    }
};
