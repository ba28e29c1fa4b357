// What one request may cost, against the real binary over sockets (issue
// #11, items 1, 2, 8, 10 and 11): who asks is decided from the header, before
// any body is read; a declared Content-Length reserves nothing; obs-fold is
// refused; near HTTP_MAX_CONNECTIONS idle keep-alive connections make room;
// batch/get serves a key asked for twice once, stays within
// HTTP_MAX_RESPONSE_BYTES and answers exactly the bytes GET answers.
#include "support/http_client.hpp"
#include "support/service.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>
#include <memory>
#include <string>
#include <vector>

namespace yooni::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// A field of /proc/<pid>/status in KiB (VmSize, VmRSS ...).
long proc_status_kib(int pid, const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.starts_with(field + ":")) return std::stol(line.substr(field.size() + 1));
    return -1;
}

// Waits until every established server-side socket on `port` has an empty
// receive queue (/proc/net/tcp): the service has read all that was sent.
bool wait_all_read(std::uint16_t port, std::chrono::milliseconds cap) {
    char local_port[8];
    std::snprintf(local_port, sizeof local_port, ":%04X", port);
    const auto until = std::chrono::steady_clock::now() + cap;
    while (std::chrono::steady_clock::now() < until) {
        std::ifstream in("/proc/net/tcp");
        std::string line;
        bool pending = false;
        std::getline(in, line);  // the column names
        while (std::getline(in, line)) {
            std::istringstream fields{line};
            std::string slot, local, remote, state, queues;
            fields >> slot >> local >> remote >> state >> queues;
            if (state == "01" && local.ends_with(local_port) && queues.substr(queues.find(':') + 1) != "00000000")
                pending = true;
        }
        if (!pending) return true;
        std::this_thread::sleep_for(5ms);  // polling interval of the condition
    }
    return false;
}

std::uint64_t stat_of(const Service& svc, const std::string& name) {
    const auto r = svc.get("/api/v1/monitoring/cache/stats");
    return json::parse(r.body).as_object().at(name).to_number<std::uint64_t>();
}

std::string auth_line(const std::string& token) { return "Authorization: Bearer " + token + "\r\n"; }

class RequestCost : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        service_ = new Service{ServiceOptions{.env = {"HTTP_MAX_RESPONSE_BYTES=1048576", "HTTP_BODY_TIMEOUT_MS=60000"}}};
    }
    static void TearDownTestSuite() {
        delete service_;
        service_ = nullptr;
    }
    static Service& svc() { return *service_; }
    static Service* service_;
};
Service* RequestCost::service_ = nullptr;

// ---------------------------------------------------------------- authorisation from the header

TEST_F(RequestCost, AnUnauthorisedBodyIsRefusedBeforeItIsSent) {
    // Only the header is sent; the answer must come without the body, and the
    // connection closes (the body that would follow is never read).
    RawConnection c{svc().port()};
    ASSERT_TRUE(c.send("PUT /api/v1/cache/pre-auth HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Content-Length: 8000000\r\n\r\n"));
    const auto raw = c.read_response(30s);
    const auto r = parse_response(raw);
    EXPECT_EQ(r.status, 401) << raw;
    EXPECT_EQ(r.header("www-authenticate"), "Bearer");
    EXPECT_EQ(r.header("connection"), "close") << raw;
    EXPECT_TRUE(c.closed_by_peer(30s));

    // A read token on a write route: 403, just as early.
    RawConnection d{svc().port()};
    ASSERT_TRUE(d.send("PUT /api/v1/cache/pre-auth HTTP/1.1\r\nHost: x\r\n" + auth_line(kReaderToken) +
                       "Content-Length: 8000000\r\n\r\n"));
    const auto raw403 = d.read_response(30s);
    EXPECT_EQ(parse_response(raw403).status, 403) << raw403;
    EXPECT_TRUE(d.closed_by_peer(30s));
    EXPECT_EQ(svc().get("/api/v1/cache/pre-auth").status, 404);
}

// The public routes need no credential, so a body declared on them must not
// be read either: 413 and close, before any of it is sent (10 x 8 MiB on
// GET /livez took 88 MiB of RSS when it was read).
TEST_F(RequestCost, ABodyOnARouteThatReadsNoneIsRefusedBeforeItIsSent) {
    for (const std::string target : {"/livez", "/readyz", "/metrics", "/openapi.json", "/dashboard"}) {
        RawConnection c{svc().port()};
        ASSERT_TRUE(c.send("GET " + target + " HTTP/1.1\r\nHost: x\r\nContent-Length: 67108864\r\n\r\n"));
        const auto raw = c.read_response(30s);
        const auto r = parse_response(raw);
        EXPECT_EQ(r.status, 413) << target << ": " << raw;
        EXPECT_EQ(r.header("connection"), "close") << raw;
        EXPECT_TRUE(c.closed_by_peer(30s)) << target;
    }
    // A token-guarded route that reads no body: the same, once admitted.
    RawConnection d{svc().port()};
    ASSERT_TRUE(d.send("GET /api/v1/cache/x HTTP/1.1\r\nHost: x\r\n" + auth_line(kReaderToken) +
                       "Transfer-Encoding: chunked\r\n\r\n"));
    EXPECT_EQ(parse_response(d.read_response(30s)).status, 413);
    EXPECT_TRUE(d.closed_by_peer(30s));
    // No body, or an empty one, is as before.
    EXPECT_EQ(svc().get("/livez").status, 200);
    RawConnection e{svc().port()};
    ASSERT_TRUE(e.send("GET /livez HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
    EXPECT_EQ(parse_response(e.read_response(30s)).status, 200);
}

TEST_F(RequestCost, HundredContinueOnlyToAnAuthorisedRequest) {
    RawConnection c{svc().port()};
    ASSERT_TRUE(c.send("PUT /api/v1/cache/expect HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                       "Authorization: Bearer wrong-token\r\nContent-Length: 2\r\n\r\n"));
    const auto refused = c.read_response(30s);
    EXPECT_TRUE(refused.starts_with("HTTP/1.1 401")) << "no 100 Continue before the refusal: " << refused;

    RawConnection d{svc().port()};
    ASSERT_TRUE(d.send("PUT /api/v1/cache/expect HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n" +
                       auth_line(kWriterToken) + "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n"));
    const auto interim = d.read_until([](const std::string& s) { return s.find("\r\n\r\n") != std::string::npos; }, 30s);
    EXPECT_TRUE(interim.starts_with("HTTP/1.1 100")) << interim;
    ASSERT_TRUE(d.send("{}"));
    const auto final_answer = d.read_response(30s);
    EXPECT_NE(final_answer.find("HTTP/1.1 200"), std::string::npos) << final_answer;
}

TEST_F(RequestCost, ARefusalWithoutABodyKeepsTheConnection) {
    RawConnection c{svc().port()};
    ASSERT_TRUE(c.send("GET /api/v1/cache/x HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_EQ(parse_response(c.read_response(30s)).status, 401);
    ASSERT_TRUE(c.send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_EQ(parse_response(c.read_response(30s)).status, 200);
}

TEST_F(RequestCost, ADeclaredLengthReservesNothing) {
    // 40 authorised connections each declare 64 MiB and send 9 bytes of it.
    // Reserving the declared length would map 2.5 GiB; growing with what
    // arrives maps almost nothing.
    Service big{ServiceOptions{.env = {"HTTP_MAX_BODY_BYTES=67108864", "HTTP_BODY_TIMEOUT_MS=60000", "WORKER_THREADS=1"}}};
    const long before = proc_status_kib(big.process().pid(), "VmSize");
    ASSERT_GT(before, 0);
    std::vector<std::unique_ptr<RawConnection>> conns;
    for (int i = 0; i < 40; ++i) {
        conns.push_back(std::make_unique<RawConnection>(big.port()));
        ASSERT_TRUE(conns.back()->send("PUT /api/v1/cache/big HTTP/1.1\r\nHost: x\r\n" + auth_line(kWriterToken) +
                                       "Content-Type: application/json\r\nExpect: 100-continue\r\n"
                                       "Content-Length: 67108864\r\n\r\n"));
    }
    // Each 100 Continue says the service has parsed that header and waits for the body.
    for (auto& c : conns) {
        const auto interim = c->read_until([](const std::string& s) { return s.find("\r\n\r\n") != std::string::npos; }, 30s);
        ASSERT_TRUE(interim.starts_with("HTTP/1.1 100")) << interim;
        ASSERT_TRUE(c->send("[1,2,3,4,"));
    }
    // The service has read every byte sent (its body reader began on each),
    // and its one worker has come back to its loop since to answer a probe.
    ASSERT_TRUE(wait_all_read(big.port(), 30s));
    ASSERT_EQ(big.get("/livez", "").status, 200);
    const long after = proc_status_kib(big.process().pid(), "VmSize");
    EXPECT_LT(after - before, 512 * 1024) << "VmSize grew by " << (after - before) / 1024 << " MiB";
}

// ---------------------------------------------------------------- obs-fold

TEST_F(RequestCost, ObsFoldIsRefused) {
    const auto raw = raw_exchange(svc().port(), "GET /api/v1/cache/fold HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer\r\n " +
                                                    kAdminToken + "\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(parse_response(raw).status, 400) << raw;
    const auto tab = raw_exchange(svc().port(), "GET /livez HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\t2\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(parse_response(tab).status, 400) << tab;
}

// ---------------------------------------------------------------- idle keep-alive near the limit

TEST(RequestCostConnections, IdleKeepAliveConnectionsMakeRoomNearTheLimit) {
    Service small{ServiceOptions{.env = {"HTTP_MAX_CONNECTIONS=16", "WORKER_THREADS=1"}}};
    // Sixteen clients each send one request and keep their connection open.
    std::vector<std::unique_ptr<RawConnection>> idle;
    for (int i = 0; i < 16; ++i) {
        idle.push_back(std::make_unique<RawConnection>(small.port()));
        ASSERT_TRUE(idle.back()->send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n"));
        ASSERT_EQ(parse_response(idle.back()->read_response(30s)).status, 200) << i;
    }
    // A new client (and a probe) still gets in: the longest-idle connections are closed.
    for (int i = 0; i < 4; ++i) EXPECT_EQ(small.get("/livez", "").status, 200) << i;
    EXPECT_TRUE(idle.front()->closed_by_peer(30s)) << "the longest-idle connection was kept";
    const auto metrics = small.get("/metrics", "");
    EXPECT_NE(metrics.body.find("yooni_cache_http_evicted_idle_connections_total "), std::string::npos);
    EXPECT_EQ(metrics.body.find("yooni_cache_http_evicted_idle_connections_total 0\n"), std::string::npos);
}

// ---------------------------------------------------------------- batch/get

std::string keys_body(const std::vector<std::string>& keys) {
    json::array a;
    for (const auto& k : keys) a.emplace_back(json::string{k});
    json::object o;
    o["keys"] = std::move(a);
    return json::serialize(o);
}

TEST_F(RequestCost, AKeyAskedForManyTimesIsServedOnce) {
    // A 1 MiB document of repetitive JSON, stored compressed in a few KB.
    std::string doc = "[";
    while (doc.size() < 1000000) doc += "\"yooni-dropshipping\",";
    doc += "0]";
    ASSERT_EQ(svc().put("/api/v1/cache/repeat", doc).status, 200);
    const auto hits_before = stat_of(svc(), "hits");
    const auto r = svc().post("/api/v1/batch/get", keys_body(std::vector<std::string>(1000, "repeat")), kReaderToken);
    ASSERT_EQ(r.status, 200) << r.body.substr(0, 200);
    EXPECT_LT(r.body.size(), doc.size() + 100) << "the value was answered more than once";
    const auto parsed = json::parse(r.body).as_object();
    EXPECT_EQ(parsed.at("found").as_int64(), 1);
    EXPECT_EQ(parsed.at("missing").as_array().size(), 0u);
    EXPECT_EQ(stat_of(svc(), "hits") - hits_before, 1u) << "the key was fetched and decoded more than once";
}

TEST_F(RequestCost, AnAnswerPastTheResponseBudgetIs413) {
    // HTTP_MAX_RESPONSE_BYTES is 1 MiB here: two 600 KB values do not fit.
    const std::string doc = "\"" + std::string(600000, 'a') + "\"";
    ASSERT_EQ(svc().put("/api/v1/cache/budget-1", doc).status, 200);
    ASSERT_EQ(svc().put("/api/v1/cache/budget-2", doc).status, 200);
    const auto one = svc().post("/api/v1/batch/get", keys_body({"budget-1"}), kReaderToken);
    EXPECT_EQ(one.status, 200);
    const auto both = svc().post("/api/v1/batch/get", keys_body({"budget-1", "budget-2"}), kReaderToken);
    EXPECT_EQ(both.status, 413) << both.body;
    EXPECT_NE(both.body.find("HTTP_MAX_RESPONSE_BYTES"), std::string::npos) << both.body;
}

TEST_F(RequestCost, BatchGetAnswersExactlyWhatGetAnswers) {
    // Numbers past a double, a 400-digit integer and a repeated member: a
    // parse and serialise would turn them into null and {"a":2}.
    const std::string doc = R"({"big":1e400,"digits":)" + std::string(400, '7') + R"(,"twice":{"a":1,"a":2}, "s" : "x"})";
    ASSERT_EQ(svc().put("/api/v1/cache/exact", doc).status, 200);
    const auto single = svc().get("/api/v1/cache/exact", kReaderToken);
    ASSERT_EQ(single.status, 200);
    EXPECT_EQ(single.body, doc);
    const auto batch = svc().post("/api/v1/batch/get", keys_body({"exact", "exact-missing"}), kReaderToken);
    ASSERT_EQ(batch.status, 200);
    EXPECT_EQ(batch.body, R"({"found":1,"values":{"exact":)" + single.body + R"(},"missing":["exact-missing"]})");
}

}  // namespace
}  // namespace yooni::test
