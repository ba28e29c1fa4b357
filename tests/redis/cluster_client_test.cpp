// redis::Cluster against a real 3-master/3-replica cluster on loopback:
// discovery, routing, redirections, failover without MOVED, resharding.
#include <yooni/redis/cluster.hpp>
#include <yooni/redis/key_slot.hpp>
#include <yooni/resp/encoder.hpp>

#include "support/asio_run.hpp"
#include "support/redis_cluster.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

namespace yooni::redis {
namespace {

using namespace std::chrono_literals;
using test::run_on;

Deadline in(std::chrono::milliseconds d) { return std::chrono::steady_clock::now() + d; }

ClusterOptions options_for(test::RedisCluster& cluster, const std::string& password = {}) {
    ClusterOptions o;
    o.seeds.push_back(NodeAddress{"127.0.0.1", cluster.any_port()});
    if (!password.empty()) o.connection.credentials = [password] { return Credentials{"", password}; };
    o.refresh_interval = 1000ms;
    return o;
}

// Plain commands through the client (SET, GET) for the tests below.
class Client {
public:
    Client(boost::asio::io_context& ioc, Cluster& c) : ioc_(ioc), c_(c) {}
    result<std::string> get(const std::string& key, std::chrono::milliseconds budget = 5s) {
        std::vector<Command> cmds;
        cmds.push_back(make_command({"GET", key}));
        auto r = run_on(ioc_, c_.run(std::move(cmds), in(budget)));
        if (!r) return r.error();
        if ((*r)[0]->is_error()) return make_error_code(errc::server_error);
        auto s = (*r)[0]->as_string();
        return s ? std::string{*s} : std::string{"<nil>"};
    }
    result<void> set(const std::string& key, const std::string& value, std::chrono::milliseconds budget = 5s) {
        std::vector<Command> cmds;
        cmds.push_back(make_command({"SET", key, value}));
        auto r = run_on(ioc_, c_.run(std::move(cmds), in(budget)));
        if (!r) return r.error();
        if ((*r)[0]->is_error()) return make_error_code(errc::server_error);
        return {};
    }

private:
    boost::asio::io_context& ioc_;
    Cluster& c_;
};

class ClusterClientTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { cluster_ = new test::RedisCluster(); }
    static void TearDownTestSuite() {
        delete cluster_;
        cluster_ = nullptr;
    }
    void SetUp() override {
        auto o = options_for(*cluster_);
        o.refresh_interval = 60s;  // only redirections may teach the client about moves here
        client_ = std::make_unique<Cluster>(o);
        client_->start();
        ASSERT_TRUE(client_->refresh_now(5s));
        // Later moves must be learnt from redirections only, so wait for the
        // refreshes the client makes by itself before it keeps quiet for a
        // refresh_interval: start()'s; refresh_now()'s (a follow-up when the
        // first was still running); and the periodic one, which a client that
        // had no map when it started makes a second later (a quiet spell of a
        // few hundred ms, waited for here before, could end just before it,
        // and a test's migration then be learnt from it instead of a MOVED).
        // Should the periodic one have fallen into a slow first refresh (and
        // been merged with it), no third comes and the cap ends the wait.
        const auto until = std::chrono::steady_clock::now() + 10s;
        while (client_->stats().refreshes < 3 && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(10ms);
    }
    void TearDown() override {
        client_->stop();
        client_.reset();
    }
    static test::RedisCluster* cluster_;
    boost::asio::io_context ioc_;
    std::unique_ptr<Cluster> client_;
};
test::RedisCluster* ClusterClientTest::cluster_ = nullptr;

TEST_F(ClusterClientTest, DiscoversAllMastersFromOneSeed) {
    auto map = client_->slot_map();
    ASSERT_TRUE(map);
    EXPECT_TRUE(map->covers_all_slots());
    EXPECT_EQ(map->masters().size(), 3u);
    // Replicas that have not replicated a byte yet (offset 0) are left out of
    // CLUSTER SLOTS by Redis 7, so a fresh cluster may list only its masters.
    EXPECT_GE(map->all_nodes().size(), 3u);
    EXPECT_TRUE(client_->ready());
}

TEST_F(ClusterClientTest, RoutesEveryKeyToTheMasterOfItsSlot) {
    Client c{ioc_, *client_};
    for (int i = 0; i < 200; ++i) {
        const auto key = "route:" + std::to_string(i);
        ASSERT_TRUE(c.set(key, std::to_string(i)));
        const auto port = cluster_->port_for_slot(key_slot(key));
        // Asked directly (no -c), the owning master has it: no redirection was needed.
        EXPECT_EQ(cluster_->cli(port, {"GET", key}), std::to_string(i));
    }
    EXPECT_EQ(client_->stats().moved, 0u);
}

TEST_F(ClusterClientTest, HashTagsKeepKeysInOneSlot) {
    EXPECT_EQ(key_slot("{user:1}:orders"), key_slot("{user:1}:cart"));
    std::vector<Command> cmds;
    cmds.push_back(make_command({"MSET", "{user:1}:orders", "3", "{user:1}:cart", "1"}));
    auto r = run_on(ioc_, client_->run(std::move(cmds), in(5s)));
    ASSERT_TRUE(r);
    EXPECT_FALSE((*r)[0]->is_error()) << (*r)[0]->error_message();
}

TEST_F(ClusterClientTest, ManyCommandsAcrossSlotsComeBackInOrder) {
    Client c{ioc_, *client_};
    std::vector<Command> sets, gets;
    for (int i = 0; i < 300; ++i) sets.push_back(make_command({"SET", "order:" + std::to_string(i), std::to_string(i)}));
    ASSERT_TRUE(run_on(ioc_, client_->run(std::move(sets), in(5s))));
    for (int i = 0; i < 300; ++i) gets.push_back(make_command({"GET", "order:" + std::to_string(i)}));
    auto r = run_on(ioc_, client_->run(std::move(gets), in(5s)));
    ASSERT_TRUE(r);
    for (int i = 0; i < 300; ++i) EXPECT_EQ((*r)[i]->as_string(), std::to_string(i));
}

TEST_F(ClusterClientTest, FollowsMovedAfterASlotMigration) {
    Client c{ioc_, *client_};
    const std::string key = "{moved}k";
    ASSERT_TRUE(c.set(key, "v"));
    const int slot = key_slot(key);
    const auto from = cluster_->port_for_slot(slot);
    std::uint16_t to = 0;
    for (auto p : cluster_->master_ports())
        if (p != from) to = p;
    cluster_->migrate_slot(slot, to);
    auto got = c.get(key);
    ASSERT_TRUE(got) << got.error().message();
    EXPECT_EQ(*got, "v");
    const auto st = client_->stats();
    EXPECT_GE(st.moved, 1u) << "ask=" << st.ask << " refreshes=" << st.refreshes << " retries=" << st.retries;
    EXPECT_EQ(*client_->slot_map()->master_for(static_cast<std::uint16_t>(slot)),
              (NodeAddress{"127.0.0.1", to}));
    cluster_->migrate_slot(slot, from);  // leave the cluster as found
}

TEST_F(ClusterClientTest, FollowsAskDuringAMigrationWithoutChangingTheMap) {
    Client c{ioc_, *client_};
    const std::string moved_key = "{ask}a", staying_key = "{ask}b";
    ASSERT_TRUE(c.set(moved_key, "1"));
    ASSERT_TRUE(c.set(staying_key, "2"));
    const int slot = key_slot(moved_key);
    const auto from = cluster_->port_for_slot(slot);
    std::uint16_t to = 0;
    for (auto p : cluster_->master_ports())
        if (p != from) to = p;
    cluster_->begin_migration(slot, to, 1);  // one of the two keys moves
    const auto version = client_->slot_map()->version();
    auto a = c.get(moved_key), b = c.get(staying_key);
    ASSERT_TRUE(a);
    ASSERT_TRUE(b);
    EXPECT_EQ(*a, "1");
    EXPECT_EQ(*b, "2");
    EXPECT_GE(client_->stats().ask, 1u);
    EXPECT_EQ(client_->slot_map()->version(), version);
    cluster_->finish_migration(slot, to);
    cluster_->migrate_slot(slot, from);
}

TEST(ClusterClient, NeverSendsConfig) {
    test::RedisCluster cluster;  // CONFIG renamed away on every node, as on managed clouds
    boost::asio::io_context ioc;
    Cluster client{options_for(cluster)};
    client.start();
    ASSERT_TRUE(client.refresh_now(5s));
    Client c{ioc, client};
    EXPECT_TRUE(c.set("k", "v"));
    EXPECT_EQ(*c.get("k"), "v");
    client.stop();
}

TEST(ClusterClient, AuthenticatesWithTheClusterPassword) {
    test::RedisCluster cluster{{.password = "cluster-pw"}};
    boost::asio::io_context ioc;
    Cluster client{options_for(cluster, "cluster-pw")};
    client.start();
    ASSERT_TRUE(client.refresh_now(5s));
    Client c{ioc, client};
    EXPECT_TRUE(c.set("k", "v"));
    EXPECT_EQ(*c.get("k"), "v");
    client.stop();
}

TEST(ClusterClient, SurvivesAMasterThatJustDies) {
    test::RedisCluster cluster;
    boost::asio::io_context ioc;
    auto opt = options_for(cluster);
    Cluster client{opt};
    client.start();
    ASSERT_TRUE(client.refresh_now(5s));
    Client c{ioc, client};
    const std::string key = "failover:key";
    ASSERT_TRUE(c.set(key, "before"));
    const auto master = cluster.port_for_slot(key_slot(key));
    const auto before = client.stats();
    const auto killed_at = std::chrono::steady_clock::now();
    cluster.kill_node(master);  // SIGKILL: no MOVED will ever come
    // One call with a budget longer than the failover (node timeout 2 s + election;
    // the budget only caps a failing wait).
    auto got = c.get(key, 60s);
    ASSERT_TRUE(got) << got.error().message();
    EXPECT_EQ(*got, "before");
    EXPECT_TRUE(c.set(key, "after"));
    EXPECT_EQ(*c.get(key), "after");
    EXPECT_NE(*client.slot_map()->master_for(key_slot(key)), (NodeAddress{"127.0.0.1", master}));
    // No connection storm: a handful of attempts at the dead node, not one per
    // retry (a retry every 10-100 ms). How many its link's back-off allows
    // depends on how long the failover took, which a loaded machine stretches:
    // each wait is at least half of backoff_min doubled up to backoff_max
    // (25, 50, ..., 800 ms, then 1 s each), plus the first reconnect and the new
    // master's link. Never below the 12 of a failover of about 4 s.
    const auto after = client.stats();
    const auto outage_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed_at);
    std::uint64_t allowed = 3;
    auto wait = opt.connection.backoff_min;
    for (auto spent = wait / 2; spent <= outage_ms; spent += wait / 2) {
        ++allowed;
        wait = std::min(wait * 2, opt.connection.backoff_max);
    }
    allowed = std::max<std::uint64_t>(allowed, 12);
    const auto attempts = after.connect_attempts - before.connect_attempts;
    EXPECT_LE(attempts, allowed) << "in " << outage_ms.count() << " ms, " << after.retries - before.retries
                                 << " retries";
    RecordProperty("outage_ms", static_cast<int>(outage_ms.count()));
    RecordProperty("connect_attempts", static_cast<int>(attempts));
    client.stop();
}

TEST(ClusterClient, StartsWithoutAReachableSeedAndConnectsLater) {
    ClusterOptions o;
    o.seeds.push_back(NodeAddress{"127.0.0.1", test::free_port()});
    Cluster client{o};
    client.start();
    EXPECT_FALSE(client.refresh_now(1s));
    EXPECT_FALSE(client.ready());
    boost::asio::io_context ioc;
    std::vector<Command> cmds;
    cmds.push_back(make_command({"GET", "x"}));
    auto r = run_on(ioc, client.run(std::move(cmds), in(300ms)));
    ASSERT_FALSE(r);
    // Not a bare timeout: the call says no node could serve it, and the
    // client says which nodes it tried and why.
    EXPECT_EQ(r.error(), make_error_code(errc::no_node));
    EXPECT_NE(client.last_error().find("127.0.0.1:"), std::string::npos) << client.last_error();
    EXPECT_NE(client.last_error().find("refused"), std::string::npos) << client.last_error();
    client.stop();
}

TEST(ClusterClient, DeletesByPatternOnEveryMaster) {
    test::RedisCluster cluster;
    boost::asio::io_context ioc;
    Cluster client{options_for(cluster)};
    client.start();
    ASSERT_TRUE(client.refresh_now(5s));
    std::vector<Command> sets;
    for (int i = 0; i < 500; ++i) sets.push_back(make_command({"SET", "pd:" + std::to_string(i), "1"}));
    for (int i = 0; i < 50; ++i) sets.push_back(make_command({"SET", "keep:" + std::to_string(i), "1"}));
    ASSERT_TRUE(run_on(ioc, client.run(std::move(sets), in(5s))));
    auto n = run_on(ioc, client.delete_matching("pd:*", in(10s)));
    ASSERT_TRUE(n) << n.error().message();
    EXPECT_EQ(*n, 500u);
    std::size_t left = 0;
    for (auto p : cluster.master_ports()) left += std::stoul(cluster.cli(p, {"DBSIZE"}));
    EXPECT_EQ(left, 50u);
    client.stop();
}

TEST(ClusterClient, ClusterInfoHasThePythonSystemsShape) {
    test::RedisCluster cluster;
    boost::asio::io_context ioc;
    Cluster client{options_for(cluster)};
    client.start();
    ASSERT_TRUE(client.refresh_now(5s));
    auto got = run_on(ioc, client.cluster_info(in(5s)));
    ASSERT_TRUE(got) << got.error().message();
    ASSERT_TRUE(*got);
    const auto& info = **got;
    EXPECT_EQ(info.info.at("cluster_state"), "ok");
    EXPECT_EQ(info.info.at("cluster_slots_ok"), "16384");
    EXPECT_EQ(info.nodes.size(), 6u);
    std::size_t masters = 0;
    for (const auto& n : info.nodes) {
        EXPECT_FALSE(n.node.id.empty());
        EXPECT_FALSE(n.node.address.empty());
        // Every node answered its own INFO.
        EXPECT_TRUE(n.role && n.keys && n.used_memory_bytes && n.ops_per_sec) << n.node.address;
        if (n.role == "master") ++masters;
        // Which node answered the summary must not show: no "myself" anywhere.
        EXPECT_EQ(std::count(n.node.flags.begin(), n.node.flags.end(), "myself"), 0) << n.node.address;
        EXPECT_FALSE(n.node.is_myself) << n.node.address;
    }
    EXPECT_EQ(masters, 3u);
    client.stop();
}

}  // namespace
}  // namespace yooni::redis
