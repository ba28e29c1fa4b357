// The Redis Cluster client.
//
// Routing: CRC16 slot of the command's keys -> the master in the current slot
// map (an immutable snapshot, swapped on refresh; readers do not lock, they
// keep a per-thread copy checked against an atomic version). Commands of one
// call are grouped per node, pipelined, and the nodes are asked in parallel;
// replies go back in the caller's order.
//
// Redirections never leave this class: MOVED patches that slot, resends, and
// refreshes the whole map in the background (asking the redirecting node
// first); ASK sends ASKING + the command together to the target and leaves the
// map alone; TRYAGAIN, CLUSTERDOWN, LOADING, MASTERDOWN back off with jitter
// within the deadline; a lost connection, READONLY (a demoted master) or a slot
// no node serves refresh the map and retry idempotent commands within the
// deadline. This also covers the failover that sends no MOVED (a master that
// just dies): its commands fail over to the promoted replica once a refresh
// sees it.
//
// Refresh: single-flight with a cooldown, plus periodic; from the redirecting
// node, then the known nodes, then the seeds (re-resolved: DNS is asked again).
// A map that does not cover every slot is reported (ready() false, log) and
// the best one is used. CONFIG is never sent (managed clouds block it).
#pragma once

#include <yooni/redis/client.hpp>
#include <yooni/redis/slot_map.hpp>

#include <map>
#include <memory>

namespace yooni::redis {

struct ClusterOptions {
    std::vector<NodeAddress> seeds;                     // one is enough (a configuration endpoint)
    ConnectionOptions connection;                       // credentials, TLS, timeouts; host/port set per node
    std::map<NodeAddress, NodeAddress> address_map;     // announced -> reachable (NAT, Docker)
    bool read_from_replicas = false;                    // read-only commands to replicas (READONLY links)
    std::chrono::milliseconds refresh_interval{5000};   // periodic refresh
    std::chrono::milliseconds refresh_cooldown{100};    // at most one on-demand refresh per cooldown
    int max_redirects = 16;                             // MOVED/ASK hops per command
    std::chrono::milliseconds retry_backoff_min{10};    // TRYAGAIN, CLUSTERDOWN, lost links: jittered, doubling
    // Short: after a failover the call should find the new master soon; the
    // links to a dead node back off on their own, so retries cost no connects.
    std::chrono::milliseconds retry_backoff_max{100};
    std::size_t scan_count = 1000;
    std::size_t unlink_batch = 500;
};

// Counters for tests and metrics.
class Cluster final : public Client {
public:
    explicit Cluster(ClusterOptions options);
    ~Cluster() override;

    awaitable<result<std::vector<OwnedReply>>> run(std::vector<Command> commands, Deadline deadline) override;
    awaitable<result<std::optional<ClusterInfo>>> cluster_info(Deadline deadline) override;
    ClientStatus status() const override;
    bool ready() const override;
    std::string last_error() const override;
    std::string_view kind() const override { return "redis-cluster"; }
    void start() override;
    void stop() override;

protected:
    awaitable<result<std::size_t>> unlink_matching(std::string pattern, Deadline deadline) override;
    void attach_tracking(std::shared_ptr<const ConnectionOptions::Tracking> hooks) override;

public:

    // The current snapshot (null before the first successful refresh).
    std::shared_ptr<const SlotMap> slot_map() const;
    ClusterStats stats() const;
    // Asks for a refresh now (single-flight) and waits for it, up to `timeout`.
    bool refresh_now(std::chrono::milliseconds timeout);

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace yooni::redis
