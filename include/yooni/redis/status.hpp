// What a Redis client says of itself, for /health/detailed, /metrics and the
// command line: typed facts the layers above render (http/ turns them into
// JSON and metric samples), so a renamed field fails the build instead of
// silently zeroing a metric.
#pragma once

#include <yooni/redis/cluster_nodes.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace yooni::redis {

// Redirect, retry and refresh counters of a cluster client.
struct ClusterStats {
    std::uint64_t moved = 0, ask = 0, tryagain = 0, clusterdown = 0, loading = 0, readonly = 0;
    std::uint64_t retries = 0, refreshes = 0, refresh_failures = 0;
    std::uint64_t connects = 0, connect_attempts = 0;
};

// The cluster's own view (CLUSTER INFO of the node the last refresh read).
struct ClusterHealth {
    std::string state;  // cluster_state: "ok", "fail"
    std::int64_t slots_assigned = 0, slots_ok = 0, slots_pfail = 0, slots_fail = 0;
    std::int64_t known_nodes = 0, size = 0;
};

struct StandaloneStatus {
    std::string address;  // host:port
    int db = 0;
    bool tls = false;
    bool connected = false;  // the last health ping was answered
    std::size_t connections = 0;
    std::uint64_t connects = 0, commands = 0, writes = 0, abandoned = 0;
    std::string last_error;  // "" when the node answers
};

struct ClusterStatus {
    std::vector<std::string> seeds;
    bool connected = false;  // a slot map is known
    bool covers_all_slots = false;
    std::size_t masters = 0, nodes = 0;
    std::uint64_t slot_map_version = 0;
    bool read_from_replicas = false;
    ClusterStats counters;
    std::size_t connections = 0;
    std::string last_error;
    std::size_t uncovered_slots = 0;
    std::optional<ClusterHealth> health;  // absent while unknown
    std::vector<std::string> masters_without_replica;  // serving masters no replica could replace
};

// One Sentinel as the Sentinel client last saw it.
struct SentinelNodeStatus {
    std::string address;     // host:port
    bool answered = false;   // the last question asked of it was answered
    std::string last_error;  // why it did not answer ("" when it did)
};

struct SentinelStatus {
    std::string master_name;                 // REDIS_SENTINEL_MASTER
    std::vector<SentinelNodeStatus> sentinels;
    std::string master;                      // host:port of the resolved master, "" while none is known
    bool connected = false;                  // the master is known and its last ROLE said master
    std::vector<std::string> replicas;       // host:port of the healthy replicas (when reads go to replicas)
    bool read_from_replicas = false;
    std::string subscribed;                  // the Sentinel followed for +switch-master, "" when none
    int db = 0;
    bool tls = false;
    std::uint64_t failovers = 0;             // master changes seen (a new address confirmed)
    std::uint64_t switch_events = 0;         // +switch-master events received
    std::uint64_t lookups = 0, lookup_failures = 0, retries = 0;
    std::size_t connections = 0;
    std::uint64_t connects = 0, commands = 0, writes = 0, abandoned = 0;
    std::string last_error;                  // "" when the master answers
};

using ClientStatus = std::variant<StandaloneStatus, ClusterStatus, SentinelStatus>;

// One node as CLUSTER NODES describes it, with what its own INFO added
// (absent when it did not answer in time).
struct ClusterNodeStatus {
    ClusterNodeInfo node;
    std::optional<std::string> role;  // INFO's role: "master" or "slave"
    std::optional<std::int64_t> keys, used_memory_bytes, ops_per_sec;
    std::optional<std::string> not_asked;  // why this node's own INFO is missing (hung, down, flagged fail)
};

// The cluster as one node sees it: its CLUSTER INFO fields and every node.
struct ClusterInfo {
    std::map<std::string, std::string> info;
    std::vector<ClusterNodeStatus> nodes;
};

}  // namespace yooni::redis
