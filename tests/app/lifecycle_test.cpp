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
    // The token is the line after "Admin token"; wait until that line is whole.
    std::string token;
    for (const auto until = std::chrono::steady_clock::now() + 30s;
         token.empty() && std::chrono::steady_clock::now() < until;) {
        auto log = svc.log();
        auto pos = log.find("Admin token");
        if (pos != std::string::npos && log.find('\n', pos) != std::string::npos) {
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
    EXPECT_TRUE(slow.closed_by_peer(30s));  // the 400 ms header deadline closes it; 30 s only caps a failure
}

TEST(Lifecycle, SlowBodyIsCutOff) {
    ServiceOptions opt;
    opt.env = {"HTTP_BODY_TIMEOUT_MS=400"};
    Service svc{opt};
    RawConnection slow{svc.port()};
    ASSERT_TRUE(slow.send("PUT /api/v1/cache/slow HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kWriterToken +
                          "\r\nContent-Length: 10\r\n\r\n[1"));
    EXPECT_TRUE(slow.closed_by_peer(30s));  // the 400 ms body deadline closes it; 30 s only caps a failure
    EXPECT_EQ(svc.get("/api/v1/cache/slow").status, 404);
}

TEST(Lifecycle, ConnectionsOverTheLimitAreClosed) {
    ServiceOptions opt;
    opt.env = {"HTTP_MAX_CONNECTIONS=2", "WORKER_THREADS=1"};
    Service svc{opt};
    RawConnection a{svc.port()}, b{svc.port()};
    ASSERT_TRUE(a.send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(b.send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n"));
    // Both answered, so both are open connections of the service (kept alive) before the third comes.
    ASSERT_EQ(parse_response(a.read_response()).status, 200);
    ASSERT_EQ(parse_response(b.read_response()).status, 200);
    RawConnection c{svc.port()};
    EXPECT_TRUE(c.closed_by_peer(30s));
}

TEST(Lifecycle, RequestInFlightSurvivesSigterm) {
    Service svc;
    RawConnection client{svc.port()};
    const std::string body = R"({"order":"in-flight"})";
    // Expect: 100-continue makes the service say when it has read the header:
    // from then on the request is in flight (a connection still waiting for
    // its first byte is closed by the drain instead).
    ASSERT_TRUE(client.send("PUT /api/v1/cache/inflight HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                            "Authorization: Bearer " + kWriterToken + "\r\nExpect: 100-continue\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, 5)));
    const auto interim = client.read_until(
        [](const std::string& got) { return got.find("\r\n\r\n") != std::string::npos; }, 30s);
    ASSERT_EQ(interim.rfind("HTTP/1.1 100", 0), 0u) << interim;
    ::kill(svc.process().pid(), SIGTERM);
    ASSERT_TRUE(svc.wait_for_log("app.signal name=SIGTERM")) << svc.log();
    // The service stops taking connections: wait until a new one goes unanswered.
    HttpResponse fresh;
    for (const auto until = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < until;) {
        fresh = svc.get("/readyz", "");
        if (fresh.status == 0) break;
        std::this_thread::sleep_for(20ms);
    }
    EXPECT_EQ(fresh.status, 0) << "a new connection was still answered after SIGTERM: " << fresh.body;
    // A slow client: the rest of the body comes two seconds into the drain
    // (SHUTDOWN_GRACE_MS, 10 s by default, leaves it plenty).
    std::this_thread::sleep_for(2s);
    ASSERT_TRUE(client.send(body.substr(5)));
    auto r = parse_response(client.read_all(30s));
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(svc.process().stop(SIGTERM, 30s) >= 0, true);
}

TEST(Lifecycle, SigtermClosesIdleConnectionsAndExits) {
    Service svc;
    RawConnection idle{svc.port()};
    ASSERT_TRUE(idle.send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n"));
    // Answered and kept alive: the connection is idle, waiting for its next request.
    ASSERT_EQ(parse_response(idle.read_response()).status, 200);
    int status = svc.process().stop(SIGTERM, 30s);
    EXPECT_GE(status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    EXPECT_TRUE(idle.closed_by_peer(10s));  // the process has exited: its sockets are closed
}

}  // namespace
}  // namespace yooni::test
