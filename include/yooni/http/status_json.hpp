// The backend's typed status (cache::BackendStatus) as the JSON that
// /health/detailed shows under "details" and `yooni-cache stats` prints.
#pragma once

#include <yooni/cache/backend.hpp>
#include <yooni/cache/stats.hpp>

#include <boost/json/object.hpp>

#include <optional>

namespace yooni::http {

boost::json::object status_json(const cache::BackendStatus& status);

// The cache's counters as GET /api/v1/monitoring/cache/stats shows them
// (the Python system's fields, then compression and latency per operation).
boost::json::object stats_json(const cache::Stats& stats);

// The monitoring API's cluster/info document, in the Python system's shape:
// cluster_enabled, cluster_state, cluster_size, cluster_known_nodes,
// cluster_slots_assigned, cluster_slots_ok, cluster_slots_pfail,
// cluster_slots_fail (integers when the value is one, null when CLUSTER INFO
// lacks it), then nodes: [{id, address, flags, master_id (or null),
// ping_sent, pong_recv, config_epoch, link_state, slots, then hostname, role,
// slot_count, migrating, importing, and from the node's own INFO when it
// answered: keys, used_memory_bytes, ops_per_sec}]. Not a cluster:
// {cluster_enabled: false, message}.
boost::json::object cluster_info_json(const std::optional<redis::ClusterInfo>& info);

}  // namespace yooni::http
