// Redis behind Sentinel (REDIS_SENTINEL_NODES): the master is resolved
// through the Sentinels, then used exactly as the standalone client uses its
// one node (the same links, pipelining and typed calls).
//
// Resolution: `SENTINEL get-master-addr-by-name` asked of the Sentinels in
// turn, each within its own share of the time allowed, the answer confirmed
// by ROLE on the data node (it must say master; else ask again after a short
// backoff). A new resolution starts on a +switch-master event (a
// subscription kept open on one Sentinel, moved to another when it drops),
// on a write refused as READONLY or NOREPLICAS, and on a lost link to the
// master, when ROLE on the master (asked every health_interval) stops
// saying master, and every tenth health check anyway. While no Sentinel
// answers, the last confirmed master keeps being used as long as ROLE on it
// still says master.
//
// Retries during a switch, within the call's deadline: reads always; writes
// only when they certainly never reached a node (no link could be opened) or
// the node refused them (READONLY, NOREPLICAS, MASTERDOWN, LOADING). A write in flight
// when the link to the master broke fails with errc::closed: it may have
// been applied, and the caller is told so rather than guessed for.
#pragma once

#include <yooni/redis/client.hpp>
#include <yooni/redis/slot_map.hpp>

#include <memory>
#include <string>
#include <vector>

namespace yooni::redis {

struct SentinelOptions {
    std::vector<NodeAddress> sentinels;  // REDIS_SENTINEL_NODES
    std::string master_name;             // REDIS_SENTINEL_MASTER
    // The Sentinels' links: credentials (REDIS_SENTINEL_USERNAME/PASSWORD),
    // TLS, timeouts. host and port are each Sentinel's.
    ConnectionOptions sentinel_connection;
    // The data nodes' links: credentials, db, TLS, timeouts. host and port
    // are the resolved master's (or a replica's).
    ConnectionOptions connection;
    bool read_from_replicas = false;     // reads to replicas SENTINEL replicas lists as healthy
    std::chrono::milliseconds health_interval{1000};  // ROLE on the master from the control thread
    std::chrono::milliseconds lookup_backoff_max{1000};
    std::size_t scan_count = 1000;
    std::size_t unlink_batch = 500;
};

class Sentinel final : public Client {
public:
    explicit Sentinel(SentinelOptions options);
    ~Sentinel() override;

    awaitable<result<std::vector<OwnedReply>>> run(std::vector<Command> commands, Deadline deadline) override;
    awaitable<result<std::optional<ClusterInfo>>> cluster_info(Deadline deadline) override;
    ClientStatus status() const override;
    // A master is known and the last ROLE asked of it said master.
    bool ready() const override;
    std::string last_error() const override;
    std::string_view kind() const override { return "redis-sentinel"; }
    void start() override;
    void stop() override;

protected:
    awaitable<result<std::size_t>> unlink_matching(std::string pattern, Deadline deadline) override;
    void attach_tracking(std::shared_ptr<const ConnectionOptions::Tracking> hooks) override;

public:

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace yooni::redis
