// The service on Redis behind Sentinel (REDIS_SENTINEL_NODES): every Sentinel
// down (the last confirmed master keeps serving while it says master; once
// it is gone too, calls and /readyz answer 503 until the Sentinels are back
// and promote the replica), and a wrong Sentinel password (one log line
// naming the cause and the variable).
#include "support/eventually.hpp"
#include "support/redis_sentinel.hpp"
#include "support/service.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <csignal>
#include <iostream>
#include <thread>

namespace yooni::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

std::vector<std::string> sentinel_env(const RedisSentinelSetup& setup, const std::string& sentinel_password) {
    return {"REDIS_SENTINEL_NODES=" + setup.sentinel_nodes(),
            "REDIS_SENTINEL_MASTER=" + setup.options().master_name,
            "REDIS_SENTINEL_PASSWORD=" + sentinel_password,
            "REDIS_PASSWORD=" + setup.options().password,
            "REDIS_CONNECT_TIMEOUT_MS=1000",
            "HTTP_REQUEST_TIMEOUT_MS=2000"};
}

json::object sentinel_view(const Service& svc) {
    auto r = svc.get("/api/v1/monitoring/cache/cluster/info");
    auto doc = json::parse(r.body).as_object();
    return doc.at("sentinel").as_object();
}

TEST(SentinelService, EverySentinelDownKeepsTheMasterUntilItIsLostThenRecovers) {
    RedisSentinelSetup setup;
    ServiceOptions opt;
    opt.env = sentinel_env(setup, setup.options().sentinel_password);
    Service svc{opt};
    // The port opens before the first lookup of the master has answered.
    ASSERT_TRUE(eventually([&] { return svc.get("/readyz").status == 200; })) << svc.log();
    ASSERT_EQ(svc.put("/api/v1/cache/product:1", R"({"v":1})").status, 200) << svc.log();
    auto view = sentinel_view(svc);
    EXPECT_EQ(view.at("master").as_string(), "127.0.0.1:" + std::to_string(setup.node(0).port()));
    EXPECT_EQ(view.at("sentinels").as_array().size(), 3u);
    // The command line, on the same settings: `cluster info` shows the Sentinels' view.
    const auto info = run_binary({"cluster", "info"}, opt.env);
    EXPECT_EQ(info.exit_code, 0) << info.out << info.err;
    EXPECT_NE(info.out.find("127.0.0.1:" + std::to_string(setup.node(0).port())), std::string::npos) << info.out;
    EXPECT_NE(info.out.find("master confirmed"), std::string::npos) << info.out;
    EXPECT_EQ(run_binary({"get", "product:1"}, opt.env).out, "{\"v\":1}\n");

    const auto metrics = svc.get("/metrics").body;
    EXPECT_NE(metrics.find("yooni_cache_sentinel_master_known 1"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("yooni_cache_sentinel_sentinels_answering"), std::string::npos);

    // Every Sentinel down: the master still says master, so it keeps serving.
    for (int i = 0; i < 3; ++i) setup.stop_sentinel(i);
    ASSERT_TRUE(eventually([&] {
        auto v = sentinel_view(svc);
        for (const auto& s : v.at("sentinels").as_array())
            if (s.as_object().at("answered").as_bool()) return false;
        return true;
    })) << svc.get("/api/v1/monitoring/cache/cluster/info").body;
    EXPECT_EQ(svc.get("/readyz").status, 200);
    EXPECT_EQ(svc.put("/api/v1/cache/product:2", R"({"v":2})").status, 200);
    EXPECT_EQ(svc.get("/api/v1/cache/product:1").status, 200);
    // Redis replicates asynchronously: the master is killed only once its
    // replica has the write (this test is about the Sentinels, not that gap).
    ASSERT_TRUE(eventually([&] { return setup.node(1).cli({"GET", "product:2"}).out != "\n"; }));

    // The master lost too: no master is known; calls and /readyz answer 503.
    ::kill(setup.node(0).pid(), SIGKILL);
    ASSERT_TRUE(eventually([&] { return svc.get("/readyz").status == 503; })) << svc.log();
    EXPECT_EQ(svc.get("/api/v1/cache/product:1").status, 503);
    EXPECT_EQ(svc.put("/api/v1/cache/product:3", R"({"v":3})").status, 503);
    const auto health = svc.get("/api/v1/monitoring/health/detailed");
    EXPECT_EQ(health.status, 200);
    EXPECT_NE(health.body.find("\"status\":\"degraded\""), std::string::npos) << health.body;
    EXPECT_NE(svc.get("/metrics").body.find("yooni_cache_sentinel_master_known 0"), std::string::npos);

    // The Sentinels return, agree the master is down and promote the replica:
    // the service follows by itself.
    const auto back = std::chrono::steady_clock::now();
    for (int i = 0; i < 3; ++i) setup.start_sentinel(i);
    ASSERT_TRUE(eventually([&] { return svc.get("/readyz").status == 200; })) << svc.log() << setup.logs();
    const auto recovered = std::chrono::steady_clock::now();
    std::cout << "every Sentinel down, then the master: ready again "
              << std::chrono::duration_cast<std::chrono::milliseconds>(recovered - back).count()
              << " ms after the Sentinels returned\n";
    EXPECT_EQ(sentinel_view(svc).at("master").as_string(), "127.0.0.1:" + std::to_string(setup.node(1).port()));
    EXPECT_EQ(svc.put("/api/v1/cache/product:4", R"({"v":4})").status, 200);
    // Written while the first master served with its replica attached: kept.
    EXPECT_EQ(svc.get("/api/v1/cache/product:2").status, 200);
}

TEST(SentinelService, WrongSentinelPasswordIsOneClearLogLine) {
    RedisSentinelSetup setup;
    ServiceOptions opt;
    opt.env = sentinel_env(setup, "not-the-password");
    opt.wait_ready = false;
    Service svc{opt};
    ASSERT_TRUE(svc.wait_for_log("REDIS_SENTINEL_PASSWORD")) << svc.log();
    // Many more attempts, each Sentinel refusing each time: still one line.
    ASSERT_TRUE(eventually([&] {
        auto r = svc.get("/api/v1/monitoring/health/detailed");
        auto details = json::parse(r.body).as_object().at("cache").as_object().at("details").as_object();
        return details.at("lookups").to_number<std::int64_t>() >= 6;
    })) << svc.log();
    EXPECT_EQ(svc.log_count("redis.sentinel_lookup_failed"), 1u) << svc.log();
    const auto log = svc.log();
    const auto line_start = log.rfind('\n', log.find("redis.sentinel_lookup_failed")) + 1;
    const auto line = log.substr(line_start, log.find('\n', line_start) - line_start);
    std::cout << "the line: " << line << "\n";
    EXPECT_NE(line.find("WRONGPASS"), std::string::npos) << line;
    EXPECT_NE(line.find("REDIS_SENTINEL_PASSWORD"), std::string::npos) << line;
    EXPECT_EQ(svc.get("/readyz").status, 503);
    // The cause is in the backend's status too (not in /readyz's public answer).
    const auto health = svc.get("/api/v1/monitoring/health/detailed");
    EXPECT_NE(health.body.find("REDIS_SENTINEL_PASSWORD"), std::string::npos) << health.body;
}

}  // namespace
}  // namespace yooni::test
