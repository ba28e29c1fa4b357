// Issue 11: the routes without a role say as little as they can. /readyz
// answers ready or not and nothing of the backend (no host, port or error);
// the reason is in the log and behind the read role. /metrics, with
// METRICS_TOKEN set, wants that token as a bearer token and answers 401 with
// a Bearer challenge otherwise; promtool still reads what it serves.
#include "support/http_client.hpp"
#include "support/service.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace yooni::test {
namespace {

namespace json = boost::json;

const std::string kMetricsToken = "metrics-token-7f3a9c1e5b2d8f4a6c0e1b3d5f7a9c2e";

TEST(PublicReadyz, SaysReadyAndNothingElse) {
    Service svc;
    auto r = svc.get("/readyz", "");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, R"({"status":"ready"})");
    EXPECT_TRUE(svc.wait_for_log("http.readyz ready=true")) << svc.log();
}

TEST(PublicReadyz, SaysNotReadyWithoutTheBackendsDetailWhenRedisIsDown) {
    const auto port = free_port();  // nothing listens there
    const auto where = std::to_string(port);
    ServiceOptions opt;
    opt.env = {"REDIS_URL=redis://127.0.0.1:" + where + "/0", "REDIS_CONNECT_TIMEOUT_MS=200"};
    Service svc{opt};
    auto r = svc.get("/readyz", "");
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.body, R"({"status":"not ready"})");
    for (const std::string& detail : {where, std::string{"127.0.0.1"}, std::string{"redis"}, std::string{"refused"},
                                      std::string{"backend"}, std::string{"detail"}}) {
        EXPECT_EQ(r.body.find(detail), std::string::npos) << "/readyz told " << detail << ": " << r.body;
    }
    // The reason is logged (once per change, not per probe at info) ...
    EXPECT_TRUE(svc.wait_for_log("http.readyz ready=false backend=redis")) << svc.log();
    EXPECT_EQ(svc.get("/readyz", "").status, 503);
    EXPECT_EQ(svc.log_count("http.readyz ready=false backend=redis"), 1u) << svc.log();
    // ... and behind the read role.
    auto health = svc.get("/api/v1/monitoring/health/detailed", kReaderToken);
    ASSERT_EQ(health.status, 200) << health.body;
    EXPECT_EQ(json::parse(health.body).at("cache").at("connected"), false);
    EXPECT_NE(health.body.find(where), std::string::npos) << "the detailed health should name the node: " << health.body;
}

TEST(PublicReadyz, ReadyBodyNamesNoBackendKind) {
    ServiceOptions opt;
    opt.env = {"REDIS_URL=redis://127.0.0.1:" + std::to_string(free_port()), "REDIS_FALLBACK_TO_MEMORY=true",
               "REDIS_CONNECT_TIMEOUT_MS=200"};
    Service svc{opt};
    EXPECT_EQ(svc.get("/readyz", "").body, R"({"status":"ready"})");
}

// One service with METRICS_TOKEN set.
class MetricsToken : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        ServiceOptions opt;
        opt.env = {"METRICS_TOKEN=" + kMetricsToken};
        service_ = new Service(opt);
    }
    static void TearDownTestSuite() {
        delete service_;
        service_ = nullptr;
    }
    static HttpResponse metrics(const std::vector<std::pair<std::string, std::string>>& headers) {
        return http_request(service_->port(), "GET", "/metrics", headers);
    }
    static void expect_401(const HttpResponse& r, const std::string& what) {
        EXPECT_EQ(r.status, 401) << what << ": " << r.body;
        EXPECT_EQ(r.header("www-authenticate"), "Bearer") << what;
        EXPECT_EQ(r.body.find("yooni_cache_"), std::string::npos) << what << " got the metrics";
        EXPECT_EQ(r.body.find(kMetricsToken), std::string::npos) << what;
    }
    static Service* service_;
};
Service* MetricsToken::service_ = nullptr;

TEST_F(MetricsToken, WithoutATokenIs401) {
    expect_401(metrics({}), "no Authorization");
    EXPECT_EQ(json::parse(metrics({}).body).at("detail"), "Not authenticated");
}

TEST_F(MetricsToken, WithAWrongTokenIs401) {
    std::string last_byte = kMetricsToken;
    last_byte.back() = last_byte.back() == 'e' ? 'f' : 'e';
    const std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> wrong{
        {"another token", bearer("another-token-0123456789abcdef")},
        {"last byte differs", bearer(last_byte)},
        {"a prefix", bearer(kMetricsToken.substr(0, 20))},
        {"one byte more", bearer(kMetricsToken + "0")},
        {"an API admin token", bearer(kAdminToken)},
        {"no scheme", {{"Authorization", kMetricsToken}}},
        {"basic scheme", {{"Authorization", "Basic " + kMetricsToken}}},
        {"scheme only", {{"Authorization", "Bearer"}}},
        {"two headers", {{"Authorization", "Bearer " + kMetricsToken}, {"Authorization", "Bearer " + kMetricsToken}}},
        {"in another header", {{"X-Metrics-Token", kMetricsToken}}},
    };
    for (const auto& [what, headers] : wrong) expect_401(metrics(headers), what);
}

TEST_F(MetricsToken, WithTheTokenIs200AndPassesPromtool) {
    auto r = metrics(bearer(kMetricsToken));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("yooni_cache_ready 1"), std::string::npos);
    EXPECT_EQ(metrics({{"Authorization", "bearer   " + kMetricsToken}}).status, 200);  // scheme in any case
    // promtool reads what it is sent: the body fetched with the token.
    auto check = run_command({"promtool", "check", "metrics"}, r.body);
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
    // The refusals are counted like any answer.
    metrics({});
    auto again = metrics(bearer(kMetricsToken));
    EXPECT_NE(again.body.find(R"(route="/metrics",code="401")"), std::string::npos) << again.body.substr(0, 2000);
}

TEST_F(MetricsToken, OtherPublicRoutesStayPublic) {
    EXPECT_EQ(service_->get("/livez", "").status, 200);
    EXPECT_EQ(service_->get("/readyz", "").status, 200);
    EXPECT_EQ(service_->get("/openapi.json", "").status, 200);
}

TEST(MetricsPublic, WithoutMetricsTokenMetricsStayPublic) {
    Service svc;
    auto r = svc.get("/metrics", "");
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("yooni_cache_ready"), std::string::npos);
}

}  // namespace
}  // namespace yooni::test
