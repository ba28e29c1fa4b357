// The near cache in the service (NEAR_CACHE_MAX_BYTES), over HTTP, on a
// standalone Redis and a Redis Cluster: a hot key's second GET is answered
// without asking Redis, a PUT through the service is read back at once, a
// write by another program is seen once Redis's invalidation arrives; and
// stale-if-error through a master's failover.
#include "support/eventually.hpp"
#include "support/redis_cluster.hpp"
#include "support/redis_server.hpp"
#include "support/service.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

namespace yooni::test {
namespace {

using namespace std::chrono_literals;

// GET and MGET calls a node counted (batch/get without the near cache uses MGET).
int gets_in(const std::string& commandstats) {
    int n = 0;
    for (const std::string name : {"cmdstat_get:calls=", "cmdstat_mget:calls="}) {
        const auto at = commandstats.find(name);
        if (at != std::string::npos) n += std::stoi(commandstats.substr(at + name.size()));
    }
    return n;
}

enum class Kind { standalone, cluster };

class NearCacheService : public ::testing::TestWithParam<Kind> {
protected:
    void SetUp() override {
        std::vector<std::string> env{"NEAR_CACHE_MAX_BYTES=1048576"};
        if (GetParam() == Kind::standalone) {
            redis_ = std::make_unique<RedisServer>();
            env.push_back("REDIS_URL=redis://127.0.0.1:" + std::to_string(redis_->port()));
        } else {
            cluster_ = std::make_unique<RedisCluster>(ClusterOptions{.masters = 3, .replicas = 0});
            env.push_back("REDIS_CLUSTER_ENABLED=true");
            env.push_back("REDIS_CLUSTER_NODES=127.0.0.1:" + std::to_string(cluster_->any_port()));
        }
        svc_ = std::make_unique<Service>(ServiceOptions{.env = env});
        ASSERT_TRUE(eventually([&] { return svc_->get("/readyz").status == 200; })) << svc_->log();
    }
    // The node that holds `key`, asked directly.
    std::string cli(const std::string& key, const std::vector<std::string>& args) {
        if (redis_) return redis_->cli(args).out;
        return cluster_->cli(cluster_->port_for_slot(cluster_->key_slot(key)), args) + "\n";
    }
    int gets_on(const std::string& key) { return gets_in(cli(key, {"INFO", "commandstats"})); }
    std::string read(const std::string& key) { return svc_->get("/api/v1/cache/" + key, kReaderToken).body; }

    std::unique_ptr<RedisServer> redis_;
    std::unique_ptr<RedisCluster> cluster_;
    std::unique_ptr<Service> svc_;
};

TEST_P(NearCacheService, AHotKeyIsReadFromRedisOnce) {
    ASSERT_EQ(svc_->put("/api/v1/cache/hot:1", R"({"stock":5})").status, 200);
    EXPECT_EQ(read("hot:1"), R"({"stock":5})");
    // Each worker fills the near cache once at most (it is shared: usually once).
    const int gets = gets_on("hot:1");
    for (int i = 0; i < 50; ++i) EXPECT_EQ(read("hot:1"), R"({"stock":5})");
    EXPECT_LE(gets_on("hot:1") - gets, 1);
    // Counted where operators look.
    const auto metrics = svc_->get("/metrics").body;
    EXPECT_NE(metrics.find("yooni_cache_near_cache_hits_total"), std::string::npos);
    const auto health = svc_->get("/api/v1/monitoring/health/detailed").body;
    EXPECT_NE(health.find("\"near_cache\":{\"hits\":"), std::string::npos) << health;
    const auto stats = svc_->get("/api/v1/monitoring/cache/stats", kReaderToken).body;
    EXPECT_NE(stats.find("\"near_cache\":{\"hits\":"), std::string::npos) << stats;
    EXPECT_NE(stats.find("\"max_bytes\":1048576"), std::string::npos) << stats;
}

TEST_P(NearCacheService, ABatchOfHotKeysIsReadFromRedisOnce) {
    std::string keys;
    for (int i = 0; i < 10; ++i) {
        const auto key = "hot:b" + std::to_string(i);
        ASSERT_EQ(svc_->put("/api/v1/cache/" + key, R"({"n":)" + std::to_string(i) + "}").status, 200);
        keys += (i ? ",\"" : "\"") + key + "\"";
    }
    const std::string body = R"({"keys":[)" + keys + "]}";
    const auto first = svc_->post("/api/v1/batch/get", body, kReaderToken);
    ASSERT_EQ(first.status, 200) << first.body;
    // Summed over the keys' nodes (a node holding several keys is counted for each: still 0 more when none is asked).
    int gets = 0;
    for (int i = 0; i < 10; ++i) gets += gets_on("hot:b" + std::to_string(i));
    for (int round = 0; round < 5; ++round) EXPECT_EQ(svc_->post("/api/v1/batch/get", body, kReaderToken).body, first.body);
    int after = 0;
    for (int i = 0; i < 10; ++i) after += gets_on("hot:b" + std::to_string(i));
    EXPECT_EQ(after, gets);
}

TEST_P(NearCacheService, APutThroughTheServiceIsReadBackAtOnce) {
    for (int i = 0; i < 100; ++i) {
        const std::string doc = R"({"stock":)" + std::to_string(i) + "}";
        ASSERT_EQ(svc_->put("/api/v1/cache/hot:2", doc).status, 200);
        ASSERT_EQ(read("hot:2"), doc) << "round " << i;
    }
    ASSERT_EQ(svc_->del("/api/v1/cache/hot:2").status, 200);
    EXPECT_EQ(svc_->get("/api/v1/cache/hot:2", kReaderToken).status, 404);
}

TEST_P(NearCacheService, AWriteByAnotherProgramIsSeenOnceRedisInvalidatesIt) {
    ASSERT_EQ(svc_->put("/api/v1/cache/hot:3", R"({"v":1})").status, 200);
    EXPECT_EQ(read("hot:3"), R"({"v":1})");
    EXPECT_EQ(read("hot:3"), R"({"v":1})");
    ASSERT_EQ(cli("hot:3", {"SET", "hot:3", R"({"v":2})"}), "OK\n");
    EXPECT_TRUE(eventually([&] { return read("hot:3") == R"({"v":2})"; }));
}

INSTANTIATE_TEST_SUITE_P(Backends, NearCacheService, ::testing::Values(Kind::standalone, Kind::cluster),
                         [](const auto& info) {
                             return info.param == Kind::standalone ? std::string{"standalone"}
                                                                   : std::string{"cluster"};
                         });

// Stale-if-error through a failover (3 masters, 3 replicas): while the
// killed master's slots have no master, a hot key read before the kill is
// answered from its copy with Cache-Status and Age, and counted; a key never
// read waits or fails as before; once the replica is promoted, its answers win and no
// answer is marked stale again.
TEST(NearCacheFailover, AKeyReadBeforeTheKillIsAnsweredStaleUntilTheReplicaIsPromoted) {
    RedisCluster cluster{ClusterOptions{.masters = 3, .replicas = 1}};
    Service svc{ServiceOptions{.env = {"NEAR_CACHE_MAX_BYTES=1048576", "NEAR_CACHE_STALE_IF_ERROR_MS=120000",
                                        "REDIS_WAIT_REPLICAS=1", "REDIS_CLUSTER_ENABLED=true",
                                        "REDIS_CLUSTER_NODES=127.0.0.1:" + std::to_string(cluster.any_port())}}};
    ASSERT_TRUE(eventually([&] { return svc.get("/readyz").status == 200; })) << svc.log();
    const std::string doc = R"({"sku":"A-1","stock":7})";
    ASSERT_EQ(svc.put("/api/v1/cache/hot:f", doc).status, 200);  // on the replica too (WAIT 1)
    const auto fresh = svc.get("/api/v1/cache/hot:f", kReaderToken);
    ASSERT_EQ(fresh.status, 200);
    EXPECT_EQ(fresh.header("cache-status"), "");
    // A key of the same master, never read through the service.
    const int slot = cluster.key_slot("hot:f");
    const auto master = cluster.port_for_slot(slot);
    std::string unread;
    for (int i = 0; unread.empty(); ++i)
        if (cluster.port_for_slot(cluster.key_slot("cold:" + std::to_string(i))) == master)
            unread = "cold:" + std::to_string(i);
    ASSERT_EQ(svc.put("/api/v1/cache/" + unread, doc).status, 200);

    cluster.kill_node(master);
    HttpResponse stale;
    ASSERT_TRUE(eventually([&] {
        stale = svc.get("/api/v1/cache/hot:f", kReaderToken);
        return !stale.header("cache-status").empty();
    })) << svc.log();
    EXPECT_EQ(stale.status, 200);
    EXPECT_EQ(stale.body, doc);
    EXPECT_NE(stale.header("cache-status").find("stale-if-error"), std::string::npos) << stale.header("cache-status");
    EXPECT_FALSE(stale.header("age").empty());
    // No copy of it: it waits for the promotion (or fails), never stale.
    EXPECT_EQ(svc.get("/api/v1/cache/" + unread, kReaderToken).header("cache-status"), "");
    EXPECT_NE(svc.get("/metrics").body.find("yooni_cache_near_cache_stale_answers_total"), std::string::npos);

    cluster.wait_for_failover_of(master);
    ASSERT_TRUE(eventually([&] {
        const auto now = svc.get("/api/v1/cache/hot:f", kReaderToken);
        return now.status == 200 && now.header("cache-status").empty();
    })) << svc.log();
    for (int i = 0; i < 20; ++i) {
        const auto now = svc.get("/api/v1/cache/hot:f", kReaderToken);
        ASSERT_EQ(now.status, 200);
        EXPECT_EQ(now.body, doc);
        EXPECT_EQ(now.header("cache-status"), "") << "the promoted replica answers: never stale again";
    }
}

}  // namespace
}  // namespace yooni::test
