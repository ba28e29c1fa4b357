// /metrics on a real Redis Cluster: the cluster's own state (CLUSTER INFO)
// that the alert rules in deploy/prometheus/ need, healthy and with a master
// lost, in a form promtool accepts.
#include "support/process.hpp"
#include "support/redis_cluster.hpp"
#include "support/service.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace yooni::test {
namespace {

using namespace std::chrono_literals;

// A short refresh period: the state is read at each refresh, and the test
// should not wait the default 5 s to see a change.
std::vector<std::string> cluster_env(RedisCluster& cluster) {
    return {"REDIS_CLUSTER_ENABLED=true", "REDIS_CLUSTER_NODES=127.0.0.1:" + std::to_string(cluster.any_port()),
            "REDIS_CLUSTER_REFRESH_INTERVAL_MS=200"};
}

bool has_line(const std::string& text, const std::string& line) {
    return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

// Polls /metrics until it holds every line of `want` (whole lines).
std::string metrics_with(const Service& svc, const std::vector<std::string>& want, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string body;
    for (;;) {
        body = svc.get("/metrics", "").body;
        bool all = true;
        for (const auto& line : want) all = all && has_line(body, line);
        if (all || std::chrono::steady_clock::now() > deadline) return body;
        std::this_thread::sleep_for(100ms);
    }
}

TEST(ClusterMetrics, HealthyClusterReportsStateOkAndEverySlotOk) {
    RedisCluster cluster{{.replicas = 0}};
    Service svc{{.env = cluster_env(cluster)}};
    const std::vector<std::string> want{
        "yooni_cache_cluster_state_ok 1",
        "yooni_cache_cluster_slots{state=\"assigned\"} 16384",
        "yooni_cache_cluster_slots{state=\"ok\"} 16384",
        "yooni_cache_cluster_slots{state=\"pfail\"} 0",
        "yooni_cache_cluster_slots{state=\"fail\"} 0",
        "yooni_cache_cluster_known_nodes 3",
        "yooni_cache_cluster_size 3",
        "yooni_cache_cluster_unserved_slots 0",
    };
    const auto body = metrics_with(svc, want, 10s);
    for (const auto& line : want) EXPECT_TRUE(has_line(body, line)) << line << "\n" << body;
    EXPECT_NE(body.find("yooni_cache_cluster_redirects_total{type=\"moved\"} "), std::string::npos) << body;
    auto check = run_command({"promtool", "check", "metrics"}, body);
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST(ClusterMetrics, MasterWithoutReplicaLostReportsStateFailAndFailingSlots) {
    RedisCluster cluster{{.replicas = 0}};
    const auto seed = cluster.any_port();
    Service svc{{.env = {"REDIS_CLUSTER_ENABLED=true", "REDIS_CLUSTER_NODES=127.0.0.1:" + std::to_string(seed),
                         "REDIS_CLUSTER_REFRESH_INTERVAL_MS=200"}}};
    ASSERT_TRUE(has_line(metrics_with(svc, {"yooni_cache_cluster_state_ok 1"}, 10s), "yooni_cache_cluster_state_ok 1"));
    std::uint16_t victim = 0;
    for (auto port : cluster.master_ports())
        if (port != seed) victim = port;
    ASSERT_NE(victim, 0);
    cluster.kill_node(victim);  // no replica: its slots stay failing; the others agree after the node timeout (2 s)
    const auto body = metrics_with(svc, {"yooni_cache_cluster_state_ok 0"}, 20s);
    EXPECT_TRUE(has_line(body, "yooni_cache_cluster_state_ok 0")) << body;
    // Its third of the slots is failing (or suspected, on a node that has not heard the verdict yet).
    bool failing = false;
    for (const auto* state : {"fail", "pfail"}) {
        const std::string prefix = std::string{"yooni_cache_cluster_slots{state=\""} + state + "\"} ";
        const auto at = body.find(prefix);
        if (at != std::string::npos && std::stol(body.substr(at + prefix.size())) > 0) failing = true;
    }
    EXPECT_TRUE(failing) << body;
    auto check = run_command({"promtool", "check", "metrics"}, body);
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

}  // namespace
}  // namespace yooni::test
