// What `serve` says and refuses at start (issue #11, item 7): every warning
// of `config check` is in the log, and a SECRET_KEY shorter than 32 bytes is
// refused when the service would listen beyond loopback.
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

}  // namespace
}  // namespace yooni::test
