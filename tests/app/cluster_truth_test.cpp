// The truth while a cluster is broken (issue #12, items 2 to 5), against
// real 127.0.0.1 clusters and the real binary:
// - cluster/info answers while one master hangs (SIGSTOP), naming it;
// - slots in migration are read from every node's own CLUSTER NODES line;
// - in the seed's layout (3 masters, no replica) one master killed puts the
//   cluster in cluster_state:fail: /readyz 503, yooni_cache_ready 0, keys on
//   healthy masters fail at once with the cluster's reason (not after the
//   whole deadline), and `cluster info`/`cluster slots` exit 5 naming it;
// - masters without a replica are named before anything fails.
#include "support/eventually.hpp"
#include "support/process.hpp"
#include "support/redis_cluster.hpp"
#include "support/service.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <functional>
#include <iostream>
#include <thread>

namespace yooni::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

std::vector<std::string> cluster_env(RedisCluster& cluster) {
    return {"REDIS_CLUSTER_ENABLED=true", "REDIS_CLUSTER_NODES=127.0.0.1:" + std::to_string(cluster.any_port()),
            "REDIS_CLUSTER_REFRESH_INTERVAL_MS=200", "HTTP_REQUEST_TIMEOUT_MS=5000"};
}

json::object cluster_info(const Service& svc) {
    const auto r = svc.get("/api/v1/monitoring/cache/cluster/info", kReaderToken);
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return {};
    return json::parse(r.body).as_object();
}

const json::object* node_at(const json::object& info, std::uint16_t port) {
    for (const auto& n : info.at("nodes").as_array())
        if (n.as_object().at("address").as_string().ends_with(":" + std::to_string(port))) return &n.as_object();
    return nullptr;
}

std::string strings_of(const json::value& v) { return json::serialize(v); }

// A key whose slot the master on `port` serves.
std::string key_on(RedisCluster& cluster, std::uint16_t port) {
    for (int i = 0;; ++i) {
        const std::string key = "truth:" + std::to_string(i);
        if (cluster.port_for_slot(cluster.key_slot(key)) == port) return key;
    }
}

TEST(ClusterTruth, ClusterInfoAnswersWhileAMasterHangsAndNamesIt) {
    RedisCluster cluster{{.masters = 3, .replicas = 1}};
    Service svc{{.env = cluster_env(cluster)}};
    // The master of slot 0 is asked first; it hangs with its connections open.
    const auto hung = cluster.port_for_slot(0);
    cluster.pause_node(hung);
    const auto start = std::chrono::steady_clock::now();
    const auto r = svc.get("/api/v1/monitoring/cache/cluster/info", kReaderToken);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    std::cout << "cluster/info with one master paused answered " << r.status << " in " << took.count() << " ms\n";
    ASSERT_EQ(r.status, 200) << r.body;
    const auto info = json::parse(r.body).as_object();
    const auto* node = node_at(info, hung);
    ASSERT_NE(node, nullptr) << r.body;
    EXPECT_TRUE(node->contains("not_asked")) << json::serialize(*node);
    EXPECT_NE(strings_of(info.at("warnings")).find(std::to_string(hung)), std::string::npos) << r.body;
    cluster.resume_node(hung);
}

TEST(ClusterTruth, SlotsInMigrationAreShownOnBothNodes) {
    RedisCluster cluster{{.masters = 3, .replicas = 0}};
    Service svc{{.env = cluster_env(cluster)}};
    const int slot = 7028;
    const auto from = cluster.port_for_slot(slot);
    std::uint16_t to = 0;
    for (auto p : cluster.master_ports())
        if (p != from) to = p;
    cluster.begin_migration(slot, to, 0);
    const auto info = cluster_info(svc);
    const auto* source = node_at(info, from);
    const auto* target = node_at(info, to);
    ASSERT_TRUE(source && target);
    const auto source_id = std::string{source->at("id").as_string()};
    const auto target_id = std::string{target->at("id").as_string()};
    EXPECT_EQ(strings_of(source->at("migrating")), "[\"7028->-" + target_id + "\"]") << json::serialize(*source);
    EXPECT_EQ(strings_of(target->at("importing")), "[\"7028-<-" + source_id + "\"]") << json::serialize(*target);
    cluster.finish_migration(slot, to);
    const auto after = cluster_info(svc);
    EXPECT_EQ(strings_of(node_at(after, from)->at("migrating")), "[]");
    EXPECT_EQ(strings_of(node_at(after, to)->at("importing")), "[]");
}

TEST(ClusterTruth, AClusterThatRefusesEveryKeyIsNotReadyAndSaysWhy) {
    // The seed's layout: three masters, no replica.
    RedisCluster cluster{{.masters = 3, .replicas = 0}};
    const auto seed = cluster.any_port();
    Service svc{{.env = cluster_env(cluster)}};
    // Ready once the first slot map is in: the port opens before that.
    ASSERT_TRUE(eventually([&] { return svc.get("/readyz", "").status == 200; }, 20s)) << svc.log();

    // Before anything fails: every master is named as having no replica.
    const auto healthy = cluster_info(svc);
    for (auto port : cluster.master_ports())
        EXPECT_NE(strings_of(healthy.at("warnings")).find(":" + std::to_string(port) + " has no replica"),
                  std::string::npos)
            << port << ": " << strings_of(healthy.at("warnings"));
    EXPECT_TRUE(eventually([&] { return svc.log_count("cluster.masters_without_replica") > 0; }, 10s)) << svc.log();
    const auto detailed = svc.get("/api/v1/monitoring/health/detailed", kReaderToken);
    EXPECT_NE(detailed.body.find("masters_without_replica"), std::string::npos) << detailed.body;

    std::uint16_t victim = 0;
    for (auto port : cluster.master_ports())
        if (port != seed) victim = port;
    const auto alive_key = key_on(cluster, seed);
    ASSERT_EQ(svc.put("/api/v1/cache/" + alive_key, "{\"v\":1}").status, 200);
    cluster.kill_node(victim);

    // Not ready once the cluster says cluster_state:fail (after the node timeout).
    EXPECT_TRUE(eventually([&] { return svc.get("/readyz", "").status == 503; }, 30s)) << "still ready";
    EXPECT_NE(svc.get("/metrics", "").body.find("\nyooni_cache_ready 0\n"), std::string::npos);
    // A key of a healthy master: refused by the cluster; answered 503 with the
    // cluster's reason at once, not 504 after the whole 5 s deadline.
    const auto r = svc.get("/api/v1/cache/" + alive_key, kReaderToken);
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_NE(r.body.find("cluster_state:fail"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find(std::to_string(victim)), std::string::npos) << r.body;

    // The command line says so too, with its documented exit code.
    const std::vector<std::string> env{"REDIS_CLUSTER_ENABLED=true", "REDIS_CLUSTER_NODES=127.0.0.1:" + std::to_string(seed)};
    const auto info = run_binary({"cluster", "info"}, env);
    EXPECT_EQ(info.exit_code, 5) << info.out << info.err;
    EXPECT_NE(info.out.find("fail"), std::string::npos) << info.out;
    const auto slots = run_binary({"cluster", "slots"}, env);
    EXPECT_EQ(slots.exit_code, 5) << slots.out << slots.err;
    EXPECT_NE(slots.out.find("slots on failing masters"), std::string::npos) << slots.out;
    EXPECT_EQ(slots.out.find("all 16384 slots covered"), std::string::npos) << slots.out;
}

}  // namespace
}  // namespace yooni::test
