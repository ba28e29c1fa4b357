// Private state of redis::Cluster, shared by its translation units.
#pragma once

#include <yooni/redis/cluster.hpp>

#include "redis/pool.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace yooni::redis {

struct Cluster::Impl {
    explicit Impl(ClusterOptions o);

    ClusterOptions options;
    const std::uint64_t instance_id;      // keys the per-thread snapshot caches
    detail::ConnectionPool pool;          // worker connections, one per (worker, node)
    // The near cache's hooks (null without one): a slot whose master changed
    // flushes it (on_reset), as the old owner's invalidations no longer come.
    std::shared_ptr<const ConnectionOptions::Tracking> tracking;

    // The published snapshot. Writers lock; readers use snapshot() (no lock
    // unless the version moved since this thread last looked).
    mutable std::mutex map_mutex;
    std::shared_ptr<const SlotMap> map;
    std::atomic<std::uint64_t> map_version{0};
    std::atomic<std::uint64_t> next_version{1};
    std::atomic<bool> coverage_ok{false};

    // Control thread: refreshes (single flight) and their own connections.
    boost::asio::io_context control{1};
    std::thread control_thread;
    detail::ConnectionPool control_pool;
    std::atomic<bool> stopping{false};
    bool refreshing = false;                       // control thread only
    bool refresh_again = false;                    // control thread only
    bool refresh_scheduled = false;                // control thread only
    std::optional<NodeAddress> preferred;          // control thread only
    std::chrono::steady_clock::time_point last_refresh{};  // control thread only
    std::atomic<std::uint64_t> refreshes_done{0};
    mutable std::mutex error_mutex;
    std::string last_error;                        // why the last refresh found no usable map
    bool seeds_checked = false;                    // control thread only: all seeds asked once
    std::atomic<bool> mixed_clusters{false};       // the seeds belong to different clusters: refuse to serve

    // The cluster's own view of itself (CLUSTER INFO of the node the last
    // refresh read its map from), for /metrics and alerts: the slot map alone
    // cannot tell a slot whose master is FAIL from a healthy one.
    struct Health {
        bool known = false;                        // false: not read yet, or no node answered lately
        std::string state;                         // cluster_state: "ok", "fail"
        std::int64_t slots_assigned = 0, slots_ok = 0, slots_pfail = 0, slots_fail = 0;
        std::int64_t known_nodes = 0, size = 0;
    };
    Health health;                                 // guarded by error_mutex
    std::string health_problem;                    // guarded by error_mutex: why cluster_state is not ok
    std::vector<std::string> without_replica_shared;  // guarded by error_mutex: masters with no replica
    std::vector<std::string> without_replica;      // control thread only: the last list logged
    std::atomic<bool> state_fail{false};           // cluster_state is known and not ok: not ready
    std::atomic<bool> hopeless{false};             // ... and a failed master has no replica: CLUSTERDOWN fails fast
    std::chrono::steady_clock::time_point last_health{};  // control thread only

    // Counters.
    std::atomic<std::uint64_t> moved{0}, ask{0}, tryagain{0}, clusterdown{0}, loading{0}, readonly{0};
    std::atomic<std::uint64_t> retries{0}, refresh_failures{0};
    std::atomic<std::uint64_t> replica_rr{0};

    ConnectionOptions options_for(const NodeAddress& node, bool readonly) const;
    // The calling worker's link to `node` (no lock, no copy once it exists).
    std::shared_ptr<Connection> link(const boost::asio::any_io_executor& ex, const NodeAddress& node, bool readonly,
                                     bool waits = false, bool tracked = false) {
        const auto lane = readonly ? detail::Lane::replica_reads : detail::lane_of(waits, tracked);
        return pool.get(ex, node.host, node.port, lane, [&] { return options_for(node, readonly); });
    }
    // The control thread's link to `node` (refreshes, health).
    std::shared_ptr<Connection> control_link(const NodeAddress& node) {
        return control_pool.get(control.get_executor(), node.host, node.port, detail::Lane::main,
                                [&] { return options_for(node, false); });
    }
    std::shared_ptr<const SlotMap> snapshot() const;
    void publish(std::shared_ptr<const SlotMap> next, bool covers_all);
    // MOVED: patch one slot of the current map.
    void patch_slot(std::uint16_t slot, const NodeAddress& master);
    // Thread-safe; coalesced and rate-limited on the control thread.
    void request_refresh(std::optional<NodeAddress> first = std::nullopt);
};

// Sleeps on the caller's executor until `t`.
awaitable<void> pause_until(std::chrono::steady_clock::time_point t);
// Full jitter in [d/2, d].
std::chrono::milliseconds jittered(std::chrono::milliseconds d);

}  // namespace yooni::redis
