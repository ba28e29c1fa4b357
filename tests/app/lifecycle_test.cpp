// Start-up, settings, sub-commands, deadlines and graceful shutdown of the
// real binary.
#include "support/http_client.hpp"
#include "support/service.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <csignal>
#include <thread>

namespace yooni::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

TEST(Lifecycle, BadSettingStopsStartupWithOneLineAndExitCode2) {
    auto r = run_binary({"serve"}, {"REDIS_PORT=70000", "SECRET_KEY=" + kSecretKey});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("REDIS_PORT"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("70000"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(Lifecycle, BadSecretIsMaskedInTheError) {
    auto r = run_binary({"serve"}, {"API_TOKENS=ops:superuser:very-secret-token-value-123456", "SECRET_KEY=" + kSecretKey});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("API_TOKENS"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("very-secret-token-value"), std::string::npos) << r.err;
}

TEST(Lifecycle, BadDotenvValueIsReported) {
    auto r = run_binary({"serve"}, {"SECRET_KEY=" + kSecretKey}, "CACHE_COMPRESSION_LEVEL=11\n");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("CACHE_COMPRESSION_LEVEL"), std::string::npos) << r.err;
}

TEST(Lifecycle, NoSecretKeyOnLoopbackPrintsAWorkingAdminToken) {
    ServiceOptions opt;
    opt.default_env = false;
    Service svc{opt};
    std::string token;
    for (int i = 0; i < 100 && token.empty(); ++i) {
        auto log = svc.log();
        auto pos = log.find("Admin token");
        if (pos != std::string::npos) {
            auto start = log.find('\n', pos) + 1;
            auto end = log.find('\n', start);
            if (end != std::string::npos) token = log.substr(start, end - start);
        }
        if (token.empty()) std::this_thread::sleep_for(50ms);
    }
    ASSERT_FALSE(token.empty()) << svc.log();
    EXPECT_EQ(svc.post("/api/v1/monitoring/cache/stats/reset", "", token).status, 200);
}

TEST(Lifecycle, NoSecretKeyOnAnOpenAddressRefusesToStart) {
    auto r = run_binary({"serve", "--host", "0.0.0.0", "--port", std::to_string(free_port())});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("SECRET_KEY"), std::string::npos) << r.err;
}

TEST(Lifecycle, TokenCommandMintsATokenTheServiceAccepts) {
    auto minted = run_binary({"token", "--sub", "ops-42", "--role", "admin", "--ttl", "600"}, {"SECRET_KEY=" + kSecretKey});
    ASSERT_EQ(minted.exit_code, 0) << minted.err;
    const std::string token = minted.out.substr(0, minted.out.find('\n'));
    Service svc;
    EXPECT_EQ(svc.post("/api/v1/monitoring/cache/stats/reset", "", token).status, 200);
    auto reader = run_binary({"token", "--sub", "viewer", "--role", "read"}, {"SECRET_KEY=" + kSecretKey});
    const std::string read_token = reader.out.substr(0, reader.out.find('\n'));
    EXPECT_EQ(svc.put("/api/v1/cache/x", "1", read_token).status, 403);
}

TEST(Lifecycle, ConfigCheckMasksSecrets) {
    auto r = run_binary({"config", "check"}, {"SECRET_KEY=super-secret-signing-key-0123456789abcdef",
                                              "REDIS_CLUSTER_PASSWORD=cluster-pass-xyz"},
                        "API_TOKENS=ops:admin:dotenv-static-token-0123456789abcdef\n");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("SECRET_KEY"), std::string::npos);
    EXPECT_NE(r.out.find("CACHE_TTL_SECONDS=300"), std::string::npos) << r.out;
    for (auto secret : {"super-secret-signing-key", "cluster-pass-xyz", "dotenv-static-token"}) {
        EXPECT_EQ(r.out.find(secret), std::string::npos) << secret;
        EXPECT_EQ(r.err.find(secret), std::string::npos) << secret;
    }
}

TEST(Lifecycle, ConfigCheckWarnsAboutAWeakKey) {
    auto r = run_binary({"config", "check"}, {"SECRET_KEY=short"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("warning"), std::string::npos) << r.out;
}

TEST(Lifecycle, SlowClientIsCutOffAndOthersAreServed) {
    ServiceOptions opt;
    opt.env = {"HTTP_HEADER_TIMEOUT_MS=400"};
    Service svc{opt};
    RawConnection slow{svc.port()};
    ASSERT_TRUE(slow.send("GET /livez HTTP/1.1\r\nHost: x\r\n"));  // never finishes its header
    EXPECT_EQ(svc.get("/livez", "").status, 200);
    EXPECT_TRUE(slow.closed_by_peer(5s));
}

TEST(Lifecycle, SlowBodyIsCutOff) {
    ServiceOptions opt;
    opt.env = {"HTTP_BODY_TIMEOUT_MS=400"};
    Service svc{opt};
    RawConnection slow{svc.port()};
    ASSERT_TRUE(slow.send("PUT /api/v1/cache/slow HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kWriterToken +
                          "\r\nContent-Length: 10\r\n\r\n[1"));
    EXPECT_TRUE(slow.closed_by_peer(5s));
    EXPECT_EQ(svc.get("/api/v1/cache/slow").status, 404);
}

TEST(Lifecycle, ConnectionsOverTheLimitAreClosed) {
    ServiceOptions opt;
    opt.env = {"HTTP_MAX_CONNECTIONS=2", "WORKER_THREADS=1"};
    Service svc{opt};
    RawConnection a{svc.port()}, b{svc.port()};
    ASSERT_TRUE(a.send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(b.send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n"));
    a.read_all(200ms);
    b.read_all(200ms);
    RawConnection c{svc.port()};
    EXPECT_TRUE(c.closed_by_peer(3s));
}

TEST(Lifecycle, RequestInFlightSurvivesSigterm) {
    Service svc;
    RawConnection client{svc.port()};
    const std::string body = R"({"order":"in-flight"})";
    ASSERT_TRUE(client.send("PUT /api/v1/cache/inflight HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                            "Authorization: Bearer " + kWriterToken + "\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, 5)));
    std::this_thread::sleep_for(200ms);
    ::kill(svc.process().pid(), SIGTERM);
    std::this_thread::sleep_for(2s);  // the request is still being received two seconds later
    EXPECT_EQ(svc.get("/readyz", "").status, 0);  // no new connections
    ASSERT_TRUE(client.send(body.substr(5)));
    auto r = parse_response(client.read_all(5s));
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(svc.process().stop(SIGTERM, 10s) >= 0, true);
}

TEST(Lifecycle, SigtermClosesIdleConnectionsAndExits) {
    Service svc;
    RawConnection idle{svc.port()};
    ASSERT_TRUE(idle.send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n"));
    idle.read_all(200ms);
    int status = svc.process().stop(SIGTERM, 10s);
    EXPECT_GE(status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    EXPECT_TRUE(idle.closed_by_peer(1s));
}

}  // namespace
}  // namespace yooni::test
