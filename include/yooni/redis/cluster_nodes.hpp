// Reading CLUSTER NODES and CLUSTER INFO for monitoring, and the JSON that
// the monitoring API answers (the shape of the Python system's
// /cache/cluster/info, which dashboards and scripts read).
//
// Pure functions; thread-safe. Routing does not use these (it reads CLUSTER
// SLOTS into a SlotMap): they describe the cluster to operators.
#pragma once

#include "yooni/redis/slot_map.hpp"

#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace yooni::redis {

// One line of CLUSTER NODES:
// <id> <ip:port@cport[,hostname[,aux=value...]]> <flags> <master id or -> <ping_sent> <pong_recv>
// <config_epoch> <link_state> <slot>...
struct ClusterNodeInfo {
    std::string id;
    std::string address;   // "ip:port" without the bus port; ip is empty on a node that does not know it yet
    std::string hostname;  // Redis 7 cluster-announce-hostname, empty when not announced
    std::vector<std::string> flags;  // as listed: myself, master, slave, fail?, fail, handshake, noaddr, nofailover, noflags
    std::optional<std::string> master_id;  // a replica's master; nullopt for "-"
    std::int64_t ping_sent = 0;     // ms since the epoch of the pending PING, 0 if none
    std::int64_t pong_recv = 0;     // ms since the epoch of the last PONG
    std::int64_t config_epoch = 0;
    std::string link_state;         // "connected" or "disconnected"
    std::vector<std::string> slots;  // owned ranges as listed: "0-5460", "42"
    // Migration markers as Redis writes them, without brackets: "42->-<target id>"
    // on the source, "42-<-<source id>" on the target.
    std::vector<std::string> migrating;
    std::vector<std::string> importing;
    std::size_t slot_count = 0;     // slots in `slots`
    bool is_master = false;
    bool is_replica = false;
    bool is_myself = false;
    bool is_fail = false;
    bool is_pfail = false;          // "fail?": suspected by this node, not yet agreed
};

// Lines end in "\n" (a trailing "\r" is tolerated); blank lines are skipped.
// A malformed line fails the whole text, with an error naming it.
boost::system::result<std::vector<ClusterNodeInfo>, ParseError> parse_cluster_nodes(std::string_view text);

// The addresses of the masters that serve slots and have no replica that is
// not flagged fail: while one of them is down no failover can take its place,
// and (with cluster-require-full-coverage, the default) the cluster refuses
// every key until it returns.
std::vector<std::string> masters_without_replica(const std::vector<ClusterNodeInfo>& nodes);

// "key:value" lines ("\r\n" or "\n"); blank lines are skipped; a line
// without ':' is an error naming it.
boost::system::result<std::map<std::string, std::string>, ParseError> parse_cluster_info(std::string_view text);

}  // namespace yooni::redis
