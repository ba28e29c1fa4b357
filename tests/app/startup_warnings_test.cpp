// What `serve` says and refuses at start (issue #11, item 7): every warning
// of `config check` is in the log, and a SECRET_KEY shorter than 32 bytes is
// refused when the service would listen beyond loopback; the least-privilege
// warnings (write access by default, JWTs of any audience, a shared Redis
// without API_KEY_PREFIXES, a public /metrics).
#include "support/process.hpp"
#include "support/service.hpp"

#include <gtest/gtest.h>

namespace yooni::test {
namespace {

TEST(StartupWarnings, AShortSecretOnLoopbackStartsWithTheWarningInTheLog) {
    ServiceOptions opt;
    opt.env = {"SECRET_KEY=short-key"};
    Service svc{opt};
    EXPECT_TRUE(svc.wait_for_log("SECRET_KEY is shorter than 32 bytes")) << svc.log();
    EXPECT_EQ(svc.log_count("short-key"), 0u) << "the secret itself was logged";
}

TEST(StartupWarnings, AShortSecretBeyondLoopbackIsRefused) {
    const auto r = run_binary({"serve"}, {"SECRET_KEY=short-key", "HOST=0.0.0.0", "PORT=" + std::to_string(free_port()),
                                          "API_TOKENS=", "WORKER_THREADS=1"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("SECRET_KEY is shorter than 32 bytes"), std::string::npos) << r.err << r.out;
    EXPECT_EQ(r.out.find("listening"), std::string::npos) << r.out;
}

// Issue 11, least privilege: what rests on defaults is said at start and by
// `config check`.
TEST(StartupWarnings, LeastPrivilegeWarningsAreInTheLog) {
    ServiceOptions opt;
    opt.env = {"AUTH_DEFAULT_ROLE=write", "REDIS_URL=redis://127.0.0.1:" + std::to_string(free_port()),
               "REDIS_CONNECT_TIMEOUT_MS=200"};
    Service svc{opt};
    for (const std::string& warning :
         {std::string{"config.warning AUTH_DEFAULT_ROLE=write: every JWT signed with SECRET_KEY that has no roles or "
                      "scope claim"},
          std::string{"config.warning AUTH_AUDIENCE and AUTH_ISSUER are not set"},
          std::string{"config.warning API_KEY_PREFIXES is not set: HTTP keys address every key of the Redis database"}}) {
        EXPECT_TRUE(svc.wait_for_log(warning)) << warning << "\n" << svc.log();
    }
    EXPECT_EQ(svc.log_count(kSecretKey), 0u) << "the secret itself was logged";
}

TEST(StartupWarnings, QuietAboutAccessWhenItIsConfined) {
    ServiceOptions opt;
    opt.env = {"AUTH_AUDIENCE=yooni-cache", "API_KEY_PREFIXES=product:"};
    Service svc{opt};
    // Printed after the warnings: they are all in the log by then.
    ASSERT_TRUE(svc.wait_for_log("yooni-cache listening on")) << svc.log();
    for (const char* name : {"AUTH_DEFAULT_ROLE", "AUTH_AUDIENCE", "API_KEY_PREFIXES", "METRICS_TOKEN"})
        EXPECT_EQ(svc.log_count(std::string{"config.warning "} + name), 0u) << name << "\n" << svc.log();
}

TEST(StartupWarnings, ConfigCheckSaysMetricsArePublicBeyondLoopback) {
    const auto r = run_binary({"config", "check"}, {"SECRET_KEY=" + kSecretKey, "HOST=0.0.0.0"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("warning: METRICS_TOKEN is not set and HOST=0.0.0.0 is not a loopback address: /metrics is "
                         "public"),
              std::string::npos)
        << r.out;
    const auto quiet = run_binary({"config", "check"}, {"SECRET_KEY=" + kSecretKey, "HOST=0.0.0.0",
                                                        "METRICS_TOKEN=metrics-token-0123456789abcdef0123456789"});
    EXPECT_EQ(quiet.out.find("METRICS_TOKEN is not set"), std::string::npos) << quiet.out;
}

}  // namespace
}  // namespace yooni::test
