// Cluster client features that need a cluster set up for them: an address
// map for nodes that announce unreachable names, reads from replicas, and
// TRYAGAIN during a migration.
#include <yooni/redis/cluster.hpp>
#include <yooni/redis/key_slot.hpp>

#include "support/asio_run.hpp"
#include "support/redis_cluster.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace yooni::redis {
namespace {

using namespace std::chrono_literals;
using test::run_on;

Deadline in(std::chrono::milliseconds d) { return std::chrono::steady_clock::now() + d; }

// Polls `done` until it holds; false when `cap` passes first (the cap only
// ends a failing wait).
template <class Done>
bool wait_until(Done done, std::chrono::milliseconds cap = 60s) {
    for (const auto until = std::chrono::steady_clock::now() + cap;;) {
        if (done()) return true;
        if (std::chrono::steady_clock::now() >= until) return false;
        std::this_thread::sleep_for(50ms);
    }
}

result<std::vector<OwnedReply>> run_one(boost::asio::io_context& ioc, Cluster& c, Command cmd,
                                        std::chrono::milliseconds budget = 5s) {
    std::vector<Command> cmds;
    cmds.push_back(std::move(cmd));
    return run_on(ioc, c.run(std::move(cmds), in(budget)));
}

TEST(ClusterTopology, AddressMapReachesNodesThatAnnounceUnreachableNames) {
    test::RedisCluster cluster{{.replicas = 0, .block_config = false}};
    // Every node announces "node-<port>.invalid", as nodes behind Docker or NAT
    // announce names a client outside cannot resolve.
    for (auto port : cluster.master_ports()) {
        cluster.cli(port, {"CONFIG", "SET", "cluster-announce-hostname", "node-" + std::to_string(port) + ".invalid"});
        cluster.cli(port, {"CONFIG", "SET", "cluster-preferred-endpoint-type", "hostname"});
    }
    const auto masters = cluster.master_ports();
    const auto seed = masters.front();
    // The seed's CLUSTER SLOTS names every master once the names have gone round by gossip.
    std::string slots;
    ASSERT_TRUE(wait_until([&] {
        slots = cluster.cli(seed, {"CLUSTER", "SLOTS"});
        for (auto p : masters)
            if (slots.find("node-" + std::to_string(p) + ".invalid") == std::string::npos) return false;
        return true;
    })) << "CLUSTER SLOTS of 127.0.0.1:" << seed << " does not name every master:\n" << slots;
    ClusterOptions o;
    o.seeds.push_back(NodeAddress{"127.0.0.1", seed});
    for (auto p : cluster.master_ports())
        o.address_map[NodeAddress{"node-" + std::to_string(p) + ".invalid", p}] = NodeAddress{"127.0.0.1", p};
    Cluster client{o};
    client.start();
    ASSERT_TRUE(client.refresh_now(5s));
    EXPECT_EQ(client.slot_map()->masters().front().host.find(".invalid") != std::string::npos, true);
    boost::asio::io_context ioc;
    for (int i = 0; i < 30; ++i) {
        const auto key = "mapped:" + std::to_string(i);
        auto set = run_one(ioc, client, make_command({"SET", key, "v"}));
        ASSERT_TRUE(set) << set.error().message();
        EXPECT_FALSE((*set)[0]->is_error());
    }
    client.stop();
}

TEST(ClusterTopology, ReadsGoToReplicasWhenAsked) {
    test::RedisCluster cluster;
    ClusterOptions o;
    o.seeds.push_back(NodeAddress{"127.0.0.1", cluster.any_port()});
    o.read_from_replicas = true;
    Cluster client{o};
    client.start();
    ASSERT_TRUE(client.refresh_now(5s));
    boost::asio::io_context ioc;
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(run_one(ioc, client, make_command({"SET", "r:" + std::to_string(i), "v"})));
    // Replicas show in CLUSTER SLOTS once they have replicated something.
    std::size_t replicas = 0;
    ASSERT_TRUE(wait_until([&] {
        client.refresh_now(5s);
        replicas = 0;
        for (std::uint16_t s = 0; s < kSlotCount; s += 1000) replicas += client.slot_map()->replicas_for(s).size();
        return replicas > 0;
    })) << "the client's map lists no replica";
    auto gets_on_replicas = [&cluster] {
        long total = 0;
        for (const auto& n : cluster.nodes()) {
            if (n.master) continue;
            auto stats = cluster.cli(n.port, {"INFO", "commandstats"});
            auto at = stats.find("cmdstat_get:calls=");
            if (at != std::string::npos) total += std::stol(stats.substr(at + 18));
        }
        return total;
    };
    const auto before = gets_on_replicas();
    for (int i = 0; i < 50; ++i) {
        auto cmd = make_command({"GET", "r:" + std::to_string(i)});
        cmd.read_only = true;
        auto got = run_one(ioc, client, std::move(cmd));
        ASSERT_TRUE(got);
        // A replica may lag a moment behind; a value or a miss, never an error.
        EXPECT_FALSE((*got)[0]->is_error()) << (*got)[0]->error_message();
    }
    EXPECT_GT(gets_on_replicas() - before, 0);
    client.stop();
}

TEST(ClusterTopology, MultiKeyCommandRetriesTryagainUntilTheMigrationEnds) {
    test::RedisCluster cluster{{.replicas = 0}};
    ClusterOptions o;
    o.seeds.push_back(NodeAddress{"127.0.0.1", cluster.any_port()});
    Cluster client{o};
    client.start();
    ASSERT_TRUE(client.refresh_now(5s));
    boost::asio::io_context ioc;
    ASSERT_TRUE(run_one(ioc, client, make_command({"MSET", "{t}a", "1", "{t}b", "2"})));
    const int slot = key_slot("{t}a");
    const auto from = cluster.port_for_slot(slot);
    std::uint16_t to = 0;
    for (auto p : cluster.master_ports())
        if (p != from) to = p;
    cluster.begin_migration(slot, to, 1);  // the two keys now live on two nodes: MGET gets TRYAGAIN
    // The migration ends once the client has met TRYAGAIN (the cap only ends a failing wait;
    // the migration then ends anyway, so the MGET below returns).
    const auto tryagain_before = client.stats().tryagain;
    std::thread finisher([&] {
        wait_until([&] { return client.stats().tryagain > tryagain_before; }, 60s);
        cluster.finish_migration(slot, to);
    });
    auto got = run_one(ioc, client, make_command({"MGET", "{t}a", "{t}b"}), 120s);
    finisher.join();
    ASSERT_TRUE(got) << got.error().message();
    ASSERT_FALSE((*got)[0]->is_error()) << (*got)[0]->error_message();
    EXPECT_EQ((*got)[0]->as_string(1), "1");
    EXPECT_EQ((*got)[0]->as_string(2), "2");
    EXPECT_GE(client.stats().tryagain, 1u);
    client.stop();
}

}  // namespace
}  // namespace yooni::redis
