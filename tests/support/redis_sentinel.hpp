// Test support: Redis behind Sentinel on 127.0.0.1 free ports: a master, a
// replica of it and three `redis-server --sentinel` processes monitoring it
// (quorum 2, a node silent for 1 s is down, short failover timeout), each
// with a generated config in its own directory. The data nodes and the
// Sentinels require passwords, as deployed ones do.
//
// The master refuses writes while no replica is attached
// (min-replicas-to-write 1), as docs/redis-cluster.md advises: a master cut
// off from its replica refuses instead of acknowledging. It still counts
// the replica until it notices the replica's link gone, so only WAIT
// guarantees that an acknowledged write reached the replica.
//
// Not thread-safe: owned by one test.
#pragma once

#include "support/process.hpp"
#include "support/redis_server.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace yooni::test {

struct RedisSentinelOptions {
    std::string master_name = "mymaster";
    std::string password = "data-secret";          // the data nodes' requirepass/masterauth
    std::string sentinel_password = "sentinel-secret";  // the Sentinels' requirepass
    int sentinels = 3;
};

class RedisSentinelSetup {
public:
    // Starts everything and waits until every Sentinel knows the replica and
    // the other Sentinels (a failover can then be agreed on); throws
    // std::runtime_error with the logs when it does not come up.
    explicit RedisSentinelSetup(RedisSentinelOptions options = {});
    ~RedisSentinelSetup();
    RedisSentinelSetup(const RedisSentinelSetup&) = delete;
    RedisSentinelSetup& operator=(const RedisSentinelSetup&) = delete;

    const RedisSentinelOptions& options() const { return options_; }
    // The data nodes: 0 is the master at start, 1 its replica.
    RedisServer& node(int i) { return i == 0 ? *master_ : *replica_; }
    std::uint16_t sentinel_port(int i) const { return sentinels_[static_cast<std::size_t>(i)].port; }
    // "127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3" (REDIS_SENTINEL_NODES).
    std::string sentinel_nodes() const;

    // redis-cli against Sentinel i (authenticated).
    CommandResult sentinel_cli(int i, const std::vector<std::string>& args) const;
    // The master's port as Sentinel i names it; nullopt when it does not answer.
    std::optional<std::uint16_t> master_port_seen_by(int i) const;

    void stop_sentinel(int i);
    void start_sentinel(int i);
    // Everything the processes logged, for failure messages.
    std::string logs() const;

private:
    struct SentinelProcess {
        std::uint16_t port = 0;
        std::unique_ptr<TempDir> dir;
        ChildProcess process;
    };
    void wait_until_monitored();

    RedisSentinelOptions options_;
    std::unique_ptr<RedisServer> master_, replica_;
    std::vector<SentinelProcess> sentinels_;
};

}  // namespace yooni::test
