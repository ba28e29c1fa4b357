// The test-support Redis Cluster (tests/support/redis_cluster.hpp) and the
// operators' scripts/redis-cluster do what the cluster client's tests rely on.
// Each test that changes the topology starts its own cluster (~1-3 s); the
// failover test waits for a real failover (~4-6 s with the 2 s node timeout).
#include "support/redis_cluster.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <signal.h>
#include <sstream>

namespace yooni::test {
namespace {

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in{text};
    for (std::string l; std::getline(in, l);)
        if (!l.empty()) out.push_back(l);
    return out;
}

// One cluster for the tests that only read it.
class RedisClusterShared : public ::testing::Test {
protected:
    static void SetUpTestSuite() { cluster_ = new RedisCluster(); }
    static void TearDownTestSuite() {
        delete cluster_;
        cluster_ = nullptr;
    }
    static RedisCluster* cluster_;
    RedisCluster& cluster() { return *cluster_; }
};
RedisCluster* RedisClusterShared::cluster_ = nullptr;

TEST_F(RedisClusterShared, StartsThreeMastersWithOneReplicaEachAllOk) {
    auto nodes = cluster().nodes();
    ASSERT_EQ(nodes.size(), 6u);
    std::vector<std::string> masters;
    for (const auto& n : nodes)
        if (n.master) masters.push_back(n.id);
    EXPECT_EQ(masters.size(), 3u);
    for (const auto& n : nodes) {
        EXPECT_FALSE(n.failed) << n.port;
        if (!n.master) {
            EXPECT_NE(std::find(masters.begin(), masters.end(), n.master_id), masters.end()) << n.port;
        }
        EXPECT_EQ(cluster().cli(n.port, {"CLUSTER", "INFO"}).substr(0, 16), "cluster_state:ok") << n.port;
    }
    for (auto port : cluster().master_ports()) EXPECT_EQ(cluster().replicas_of(port).size(), 1u) << port;
    EXPECT_TRUE(cluster().wait_ok(std::chrono::seconds(1))) << cluster().last_unsettled();
}

TEST_F(RedisClusterShared, RefusesConfigWhenBlocked) {
    for (const auto& n : cluster().nodes())
        EXPECT_NE(cluster().cli(n.port, {"CONFIG", "GET", "maxmemory"}).find("unknown command"), std::string::npos);
}

TEST_F(RedisClusterShared, PortForSlotAgreesWithClusterSlots) {
    // redis-cli prints CLUSTER SLOTS flat: start, end, then ip, port, id and
    // an empty metadata map per node (master first).
    auto rows = lines(cluster().cli(cluster().any_port(), {"CLUSTER", "SLOTS"}));
    int ranges = 0;
    for (std::size_t i = 0; i + 4 < rows.size(); ++ranges) {
        int lo = std::stoi(rows[i]), hi = std::stoi(rows[i + 1]);
        auto master = static_cast<std::uint16_t>(std::stoi(rows[i + 3]));
        for (int slot : {lo, (lo + hi) / 2, hi}) EXPECT_EQ(cluster().port_for_slot(slot), master) << slot;
        for (i += 2; i < rows.size() && rows[i].find('.') != std::string::npos; i += 3) {}
    }
    EXPECT_EQ(ranges, 3);
}

TEST_F(RedisClusterShared, HashTaggedKeysShareASlot) {
    EXPECT_EQ(cluster().key_slot("{user:1}:a"), cluster().key_slot("{user:1}:b"));
    EXPECT_EQ(cluster().key_slot("{user:1}:a"), cluster().key_slot("user:1"));
    EXPECT_EQ(cluster().key_slot("foo"), 12182);  // the example in the cluster spec
}

TEST(RedisCluster, ReplicaTakesOverWhenItsMasterIsKilled) {
    RedisCluster cluster;
    const int slot = cluster.key_slot("{failover}k");
    const auto master = cluster.port_for_slot(slot);
    const auto replicas = cluster.replicas_of(master);
    ASSERT_EQ(replicas.size(), 1u);
    ASSERT_EQ(cluster.cli(master, {"SET", "{failover}k", "v"}), "OK");
    ASSERT_EQ(cluster.cli(master, {"WAIT", "1", "2000"}), "1");

    cluster.kill_node(master);
    cluster.wait_for_failover_of(master);

    EXPECT_EQ(cluster.port_for_slot(slot), replicas[0]);
    EXPECT_EQ(cluster.cli(replicas[0], {"GET", "{failover}k"}), "v");
    // The old master comes back as a replica of the one that replaced it.
    cluster.restart_node(master);
    EXPECT_EQ(cluster.replicas_of(replicas[0]), std::vector<std::uint16_t>{master});
}

TEST(RedisCluster, MigrateSlotMovesTheSlotWithItsKeys) {
    RedisCluster cluster{{.replicas = 0}};
    const int slot = cluster.key_slot("{mig}");
    const auto from = cluster.port_for_slot(slot);
    std::vector<std::string> mset{"MSET"};
    for (int i = 0; i < 250; ++i) mset.insert(mset.end(), {"{mig}:" + std::to_string(i), "v" + std::to_string(i)});
    ASSERT_EQ(cluster.cli(from, mset), "OK");
    const auto to = cluster.master_ports().front() == from ? cluster.master_ports().back() : cluster.master_ports().front();

    cluster.migrate_slot(slot, to);

    EXPECT_EQ(cluster.port_for_slot(slot), to);
    EXPECT_EQ(cluster.cli(to, {"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)}), "250");
    EXPECT_EQ(cluster.cli(from, {"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)}), "0");
    EXPECT_EQ(cluster.cli(from, {"-c", "GET", "{mig}:7"}), "v7");
    EXPECT_EQ(cluster.cli(from, {"GET", "{mig}:7"}).substr(0, 5), "MOVED");
}

TEST(RedisCluster, BeginMigrationLeavesMovedKeysAnsweringAsk) {
    RedisCluster cluster{{.replicas = 0}};
    const int slot = cluster.key_slot("{ask}");
    const auto from = cluster.port_for_slot(slot);
    ASSERT_EQ(cluster.cli(from, {"MSET", "{ask}a", "1", "{ask}b", "2"}), "OK");
    const auto to = cluster.master_ports().front() == from ? cluster.master_ports().back() : cluster.master_ports().front();

    cluster.begin_migration(slot, to, 1);  // one of the two keys moves

    auto a = cluster.cli(from, {"GET", "{ask}a"});
    auto b = cluster.cli(from, {"GET", "{ask}b"});
    const auto ask = "ASK " + std::to_string(slot) + " 127.0.0.1:" + std::to_string(to);
    EXPECT_TRUE((a == ask && b == "2") || (a == "1" && b == ask)) << a << " / " << b;
    EXPECT_EQ(cluster.cli(from, {"GET", "{ask}new"}), ask);  // a key that is nowhere
    EXPECT_EQ(cluster.port_for_slot(slot), from);

    cluster.finish_migration(slot, to);
    EXPECT_EQ(cluster.port_for_slot(slot), to);
    EXPECT_EQ(cluster.cli(to, {"MGET", "{ask}a", "{ask}b"}), "1\n2");
}

TEST(RedisCluster, PasswordIsRequiredWhenSet) {
    RedisCluster cluster{{.replicas = 0, .password = "s3cret pw"}};
    const auto port = cluster.any_port();
    EXPECT_EQ(cluster.cli(port, {"PING"}), "PONG");
    auto anonymous = run_command({"redis-cli", "-h", "127.0.0.1", "-p", std::to_string(port), "PING"});
    EXPECT_NE(anonymous.out.find("NOAUTH"), std::string::npos) << anonymous.out;
    // Replication and migration authenticate too.
    const int slot = cluster.key_slot("{pw}");
    ASSERT_EQ(cluster.cli(cluster.port_for_slot(slot), {"SET", "{pw}k", "v"}), "OK");
    const auto to = cluster.master_ports().back() == cluster.port_for_slot(slot) ? cluster.master_ports().front()
                                                                                : cluster.master_ports().back();
    cluster.migrate_slot(slot, to);
    EXPECT_EQ(cluster.cli(to, {"GET", "{pw}k"}), "v");
}

TEST(RedisCluster, AddedMasterTakesSlotsByReshard) {
    RedisCluster cluster{{.replicas = 0}};
    const auto from = cluster.master_ports().front();
    const auto added = cluster.add_master();
    EXPECT_EQ(cluster.master_ports().size(), 4u);

    cluster.reshard(10, from, added);

    int owned = 0;  // the slot ranges on the added node's own CLUSTER NODES line
    for (const auto& line : lines(cluster.cli(added, {"CLUSTER", "NODES"})))
        if (line.find("myself") != std::string::npos) {
            std::istringstream words{line};
            std::string w;
            for (int i = 0; words >> w; ++i)
                if (i >= 8) {
                    auto dash = w.find('-');
                    owned += dash == std::string::npos ? 1 : std::stoi(w.substr(dash + 1)) - std::stoi(w) + 1;
                }
        }
    EXPECT_EQ(owned, 10);
}

TEST(RedisCluster, PausedMasterIsReplacedAndRejoinsAsReplica) {
    RedisCluster cluster;
    const auto master = cluster.master_ports().front();
    const auto replica = cluster.replicas_of(master).at(0);

    cluster.pause_node(master);
    cluster.wait_for_failover_of(master);
    cluster.resume_node(master);

    EXPECT_EQ(cluster.replicas_of(replica), std::vector<std::uint16_t>{master});
}

TEST(RedisClusterScript, StartsReportsStatusAndStops) {
    const std::string script = std::string{YOONI_SOURCE_DIR} + "/scripts/redis-cluster";
    TempDir dir;
    const auto base = free_cluster_ports(6);
    const std::vector<std::string> where{"--port", std::to_string(base), "--dir", dir.path() + "/c"};
    auto run = [&](std::vector<std::string> args) {
        args.insert(args.begin(), script);
        args.insert(args.end(), where.begin(), where.end());
        return run_command(args, {}, std::chrono::seconds(120));
    };
    struct Stop {  // also when an assertion fails half-way
        std::function<CommandResult(std::vector<std::string>)> run;
        ~Stop() { run({"stop", "--clean"}); }
    } stop{run};

    auto started = run({"start", "--password", "pw", "--no-config-command", "--node-timeout", "2000"});
    ASSERT_EQ(started.exit_code, 0) << started.out << started.err;
    EXPECT_EQ(run({"status"}).exit_code, 0);
    EXPECT_EQ(run({"start"}).exit_code, 0);  // already running: left alone
    auto config = run_command({"redis-cli", "-p", std::to_string(base), "--no-auth-warning", "-a", "pw", "CONFIG", "GET", "x"});
    EXPECT_NE(config.out.find("unknown command"), std::string::npos) << config.out;

    std::ifstream pidfile{dir.path() + "/c/" + std::to_string(base + 5) + "/redis.pid"};
    int pid = 0;
    ASSERT_TRUE(pidfile >> pid);
    ::kill(pid, SIGKILL);
    EXPECT_EQ(run({"status"}).exit_code, 2);  // degraded

    auto stopped = run({"stop"});
    EXPECT_EQ(stopped.exit_code, 0) << stopped.out << stopped.err;
    EXPECT_EQ(run({"status"}).exit_code, 1);  // not running
}

}  // namespace
}  // namespace yooni::test
