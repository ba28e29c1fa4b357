// The operator command line (issue 5 item 2) against real Redis: a 3+3
// cluster shared by the CliCluster suite, a standalone server, an unreachable
// cluster, the memory backend's refusal, and healthcheck against a running
// service (and a fake HTTP server on loopback for the answers the service
// never gives). Every run is the real binary in a fresh directory (run_binary).
#include "support/redis_cluster.hpp"
#include "support/redis_server.hpp"
#include "support/service.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <thread>

namespace yooni::test {
namespace {

namespace json = boost::json;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in{text};
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

json::object parse_object(const CommandResult& r) {
    boost::system::error_code ec;
    auto v = json::parse(r.out, ec);
    EXPECT_FALSE(ec) << "not JSON: " << r.out << "\nstderr: " << r.err;
    EXPECT_TRUE(v.is_object()) << r.out;
    return v.is_object() ? v.as_object() : json::object{};
}

// One connection on 127.0.0.1 answered as a test says: for the answers the
// real service never gives (garbage, silence, no end). It reads the request
// first, and after answering waits for the client to close (or, when the
// client never connects, for destruction).
class FakeHttpServer {
public:
    enum class Mode {
        answer,          // sends `answer`, then closes its side
        silent,          // sends nothing
        endless_header,  // a status line, then header lines without end
        endless_body,    // 200 and a header, then a body without length or end
    };

    explicit FakeHttpServer(Mode mode, std::string answer = {}) : mode_(mode), answer_(std::move(answer)) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 4) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
            throw std::runtime_error("fake HTTP server: cannot listen on 127.0.0.1");
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    FakeHttpServer(const FakeHttpServer&) = delete;
    FakeHttpServer& operator=(const FakeHttpServer&) = delete;
    ~FakeHttpServer() { finish(); }

    std::uint16_t port() const { return port_; }

    // Waits for the exchange to end (the client closed, or never came) and
    // returns the request it read.
    std::string finish() {
        if (thread_.joinable()) {
            ::shutdown(fd_, SHUT_RDWR);  // wakes an accept() no client came to
            thread_.join();
            ::close(fd_);
        }
        return request_;
    }

private:
    void serve() {
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        char buf[4096];
        while (request_.find("\r\n\r\n") == std::string::npos) {
            const auto n = ::recv(c, buf, sizeof buf, 0);
            if (n <= 0) break;
            request_.append(buf, static_cast<std::size_t>(n));
        }
        auto send_all = [c](const std::string& bytes) {
            for (std::size_t sent = 0; sent < bytes.size();) {
                const auto n = ::send(c, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
                if (n <= 0) return false;
                sent += static_cast<std::size_t>(n);
            }
            return true;
        };
        switch (mode_) {
            case Mode::answer:
                send_all(answer_);
                ::shutdown(c, SHUT_WR);
                break;
            case Mode::silent: break;
            case Mode::endless_header:
                if (send_all("HTTP/1.1 200 OK\r\n"))
                    while (send_all("X-Padding: " + std::string(1000, 'x') + "\r\n")) {
                    }
                break;
            case Mode::endless_body:
                if (send_all("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"))
                    while (send_all(std::string(4096, 'y'))) {
                    }
                break;
        }
        // Until the client closes (its own deadline bounds this).
        while (::recv(c, buf, sizeof buf, 0) > 0) {
        }
        ::close(c);
    }

    Mode mode_;
    std::string answer_;
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::string request_;
    std::thread thread_;
};

class CliCluster : public ::testing::Test {
protected:
    static void SetUpTestSuite() { cluster_ = std::make_unique<RedisCluster>(); }
    static void TearDownTestSuite() { cluster_.reset(); }

    static std::vector<std::string> env() {
        return {"REDIS_CLUSTER_ENABLED=true",
                "REDIS_CLUSTER_NODES=[\"127.0.0.1:" + std::to_string(cluster_->any_port()) + "\"]"};
    }
    static CommandResult cli(const std::vector<std::string>& args) { return run_binary(args, env()); }

    static std::unique_ptr<RedisCluster> cluster_;
};
std::unique_ptr<RedisCluster> CliCluster::cluster_;

TEST_F(CliCluster, SetGetDelRoundTrip) {
    const std::string doc = R"({"id":123,"name_ko":"무선 가습기","price_krw":42000})";
    auto set = cli({"set", "product:123", doc, "--ttl", "600"});
    ASSERT_EQ(set.exit_code, 0) << set.err;
    EXPECT_EQ(set.out, "stored product:123 (ttl 600 s)\n");
    EXPECT_GT(std::stoll(cluster_->cli(cluster_->port_for_slot(cluster_->key_slot("product:123")),
                                       {"TTL", "product:123"})),
              590);

    auto get = cli({"get", "product:123"});
    ASSERT_EQ(get.exit_code, 0) << get.err;
    EXPECT_EQ(get.out, doc + "\n");
    auto get_json = parse_object(cli({"get", "product:123", "--json"}));
    EXPECT_EQ(get_json.at("found"), true);
    EXPECT_EQ(get_json.at("value").at("price_krw"), 42000);

    auto del = cli({"del", "product:123", "--json"});
    ASSERT_EQ(del.exit_code, 0) << del.err;
    EXPECT_EQ(parse_object(del).at("deleted"), true);

    auto miss = cli({"get", "product:123"});
    EXPECT_EQ(miss.exit_code, 3) << miss.out << miss.err;
    EXPECT_EQ(miss.out, "");
    EXPECT_TRUE(contains(miss.err, "product:123: not found")) << miss.err;
    auto miss_json = cli({"get", "product:123", "--json"});
    EXPECT_EQ(miss_json.exit_code, 3);
    EXPECT_EQ(parse_object(miss_json).at("found"), false);

    auto del_again = cli({"del", "product:123"});
    EXPECT_EQ(del_again.exit_code, 0);
    EXPECT_TRUE(contains(del_again.out, "not found")) << del_again.out;
}

TEST_F(CliCluster, LargeValuesAreStoredCompressedAndReadBack) {
    std::string doc = R"({"items":[)";
    for (int i = 0; i < 200; ++i) doc += (i ? "," : "") + std::string{R"({"name_ko":"상품","n":)"} + std::to_string(i) + "}";
    doc += "]}";
    ASSERT_EQ(cli({"set", "big:1", doc}).exit_code, 0);
    const auto raw = cluster_->cli(cluster_->port_for_slot(cluster_->key_slot("big:1")), {"GET", "big:1"});
    EXPECT_EQ(raw.substr(0, 5), "gzip:");
    EXPECT_EQ(cli({"get", "big:1"}).out, doc + "\n");
}

TEST_F(CliCluster, DelPatternCountsTheKeysAndReportsProgress) {
    for (int i = 0; i < 25; ++i) ASSERT_EQ(cli({"set", "pat:" + std::to_string(i), std::to_string(i)}).exit_code, 0);
    ASSERT_EQ(cli({"set", "other:1", "1"}).exit_code, 0);
    auto del = cli({"del", "--pattern", "pat:*"});
    ASSERT_EQ(del.exit_code, 0) << del.err;
    EXPECT_EQ(del.out, "deleted 25 keys matching pat:*\n");
    EXPECT_TRUE(contains(del.err, "deleting keys matching pat:* on Redis Cluster")) << del.err;
    auto again = cli({"del", "--pattern", "pat:*", "--json"});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    auto o = parse_object(again);
    EXPECT_EQ(o.at("pattern"), "pat:*");
    EXPECT_EQ(o.at("deleted"), 0);
    EXPECT_EQ(cli({"get", "other:1"}).exit_code, 0);
}

TEST_F(CliCluster, ClusterInfo) {
    auto text = cli({"cluster", "info"});
    ASSERT_EQ(text.exit_code, 0) << text.err;
    auto l = lines(text.out);
    ASSERT_GE(l.size(), 7u) << text.out;
    EXPECT_TRUE(l[0].starts_with("state") && l[0].ends_with("  ok")) << text.out;
    EXPECT_TRUE(contains(text.out, "slots ok ")) << text.out;
    EXPECT_TRUE(contains(text.out, " 16384\n")) << text.out;
    // Aligned: every value starts in the same column.
    const auto column = l[0].find("ok");
    for (const auto& line : l) {
        ASSERT_GT(line.size(), column) << line;
        EXPECT_TRUE(line[column - 1] == ' ' && line[column] != ' ') << line;
    }

    auto r = cli({"cluster", "info", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto o = parse_object(r);
    EXPECT_EQ(o.at("cluster_state"), "ok");
    EXPECT_EQ(o.at("cluster_slots_assigned"), 16384);
    EXPECT_EQ(o.at("cluster_slots_ok"), 16384);
    EXPECT_EQ(o.at("cluster_slots_pfail"), 0);
    EXPECT_EQ(o.at("cluster_slots_fail"), 0);
    EXPECT_EQ(o.at("cluster_size"), 3);
    EXPECT_EQ(o.at("cluster_known_nodes"), 6);
    EXPECT_FALSE(o.contains("nodes"));
}

TEST_F(CliCluster, ClusterNodes) {
    auto text = cli({"cluster", "nodes"});
    ASSERT_EQ(text.exit_code, 0) << text.err;
    auto l = lines(text.out);
    ASSERT_EQ(l.size(), 7u) << text.out;
    EXPECT_TRUE(l[0].starts_with("ID ")) << l[0];
    for (const char* column : {"ADDRESS", "ROLE", "MASTER", "LINK", "SLOTS", "KEYS", "MEMORY", "OPS/S"})
        EXPECT_TRUE(contains(l[0], column)) << l[0];
    // Masters, each followed by its replica; columns aligned with the header.
    const auto address_column = l[0].find("ADDRESS");
    for (std::size_t i = 1; i < l.size(); ++i) {
        EXPECT_EQ(l[i].substr(address_column, 10), "127.0.0.1:") << l[i];
        EXPECT_TRUE(contains(l[i], i % 2 ? "master" : "replica")) << text.out;
        EXPECT_TRUE(contains(l[i], "connected")) << l[i];
    }

    auto r = cli({"cluster", "nodes", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto doc = parse_object(r);
    const auto& nodes = doc.at("nodes").as_array();
    ASSERT_EQ(nodes.size(), 6u);
    std::int64_t slots = 0;
    int masters = 0;
    for (const auto& n : nodes) {
        const auto& o = n.as_object();
        for (const char* key : {"id", "address", "role", "master_id", "link_state", "flags", "slot_count", "slots",
                                "keys", "used_memory_bytes", "ops_per_sec"})
            EXPECT_TRUE(o.contains(key)) << key << " in " << json::serialize(o);
        if (o.at("role") == "master") {
            ++masters;
            slots += o.at("slot_count").as_int64();
            EXPECT_TRUE(o.at("master_id").is_null());
        } else {
            EXPECT_EQ(o.at("role"), "replica");
            EXPECT_TRUE(o.at("master_id").is_string());
        }
        EXPECT_TRUE(o.at("keys").is_int64()) << json::serialize(o);
        EXPECT_GT(o.at("used_memory_bytes").as_int64(), 0);
    }
    EXPECT_EQ(masters, 3);
    EXPECT_EQ(slots, 16384);
}

TEST_F(CliCluster, ClusterSlots) {
    auto text = cli({"cluster", "slots"});
    ASSERT_EQ(text.exit_code, 0) << text.err;
    auto l = lines(text.out);
    ASSERT_EQ(l.size(), 5u) << text.out;
    EXPECT_TRUE(l[0].starts_with("SLOTS ")) << l[0];
    EXPECT_TRUE(l[1].starts_with("0-")) << l[1];
    EXPECT_EQ(l[4], "all 16384 slots covered");

    auto r = cli({"cluster", "slots", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto o = parse_object(r);
    EXPECT_EQ(o.at("slots_covered"), 16384);
    EXPECT_EQ(o.at("slots_uncovered"), 0);
    EXPECT_TRUE(o.at("uncovered").as_array().empty());
    const auto& ranges = o.at("ranges").as_array();
    ASSERT_EQ(ranges.size(), 3u);
    std::int64_t next = 0;
    for (const auto& range : ranges) {
        EXPECT_EQ(range.at("first"), next);
        next = range.at("last").as_int64() + 1;
        // Redis 7 leaves a replica that has replicated nothing yet out of CLUSTER SLOTS.
        EXPECT_LE(range.at("replicas").as_array().size(), 1u);
        EXPECT_TRUE(range.at("master").as_string().starts_with("127.0.0.1:"));
    }
    EXPECT_EQ(next, 16384);
}

TEST_F(CliCluster, Stats) {
    ASSERT_EQ(cli({"set", "stats:1", "1"}).exit_code, 0);
    auto text = cli({"stats"});
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_TRUE(contains(text.out, "redis-cluster")) << text.out;
    EXPECT_TRUE(contains(text.out, "INFO of 3 masters")) << text.out;
    EXPECT_TRUE(contains(text.out, "per service process")) << text.out;

    auto r = cli({"stats", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto o = parse_object(r);
    EXPECT_EQ(o.at("backend").at("backend"), "redis-cluster");
    EXPECT_EQ(o.at("redis").at("nodes").as_array().size(), 3u);
    EXPECT_GE(o.at("redis").at("keys").as_int64(), 1);
    EXPECT_TRUE(o.at("service_counters").is_string());
}

TEST(CliUnreachable, ClusterNamesEveryNodeTriedAndExits1) {
    const auto a = std::to_string(free_port());
    const auto b = std::to_string(free_port());
    const std::vector<std::string> env{"REDIS_CLUSTER_ENABLED=true",
                                       "REDIS_CLUSTER_NODES=127.0.0.1:" + a + ",127.0.0.1:" + b};
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"cluster", "info"}, {"cluster", "nodes"}, {"cluster", "slots"}, {"stats"}, {"get", "k"}}) {
        auto r = run_binary(args, env);
        EXPECT_EQ(r.exit_code, 1) << args[0] << ": " << r.out << r.err;
        EXPECT_TRUE(contains(r.err, "127.0.0.1:" + a)) << r.err;
        EXPECT_TRUE(contains(r.err, "127.0.0.1:" + b)) << r.err;
        EXPECT_EQ(lines(r.err).size(), 1u) << r.err;
    }
    auto r = run_binary({"cluster", "info", "--json"}, env);
    EXPECT_EQ(r.exit_code, 1);
    auto o = parse_object(r);
    EXPECT_EQ(o.at("exit_code"), 1);
    EXPECT_TRUE(contains(std::string{o.at("error").as_string()}, "127.0.0.1:" + a));
}

TEST(CliUnreachable, StandaloneNamesTheNodeAndExits1) {
    const auto port = std::to_string(free_port());
    auto r = run_binary({"set", "k", "1"}, {"REDIS_URL=redis://127.0.0.1:" + port});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(contains(r.err, "127.0.0.1:" + port)) << r.err;
    EXPECT_TRUE(contains(r.err, "refused")) << r.err;
}

TEST(CliUnreachable, AWrongPasswordIsNamedAsARefusalInOneLogLine) {
    RedisServer redis{{.extra_args = {}, .password = "the-right-password-0123"}};
    auto r = run_binary({"get", "k"}, {"REDIS_URL=redis://:a-wrong-password@127.0.0.1:" + std::to_string(redis.port())});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(contains(r.err, "refused the connection set-up")) << r.err;
    EXPECT_TRUE(contains(r.err, "WRONGPASS")) << r.err;
    EXPECT_FALSE(contains(r.err, "unreachable")) << r.err;
    EXPECT_FALSE(contains(r.err, "cannot reach")) << r.err;
    EXPECT_FALSE(contains(r.err, "a-wrong-password")) << r.err;
}

TEST(CliRedis, StandaloneRoundTripStatsAndNotInClusterMode) {
    RedisServer redis;
    const std::vector<std::string> env{"REDIS_URL=redis://127.0.0.1:" + std::to_string(redis.port()) + "/2"};
    ASSERT_EQ(run_binary({"set", "k:1", R"({"a":[1,2]})", "--ttl", "0"}, env).exit_code, 0);
    EXPECT_EQ(redis.cli({"-n", "2", "TTL", "k:1"}).out, "-1\n");
    EXPECT_EQ(run_binary({"get", "k:1"}, env).out, "{\"a\":[1,2]}\n");
    EXPECT_EQ(run_binary({"get", "k:2"}, env).exit_code, 3);
    auto stats = run_binary({"stats", "--json"}, env);
    ASSERT_EQ(stats.exit_code, 0) << stats.err;
    auto o = parse_object(stats);
    EXPECT_EQ(o.at("backend").at("backend"), "redis");
    EXPECT_EQ(o.at("redis").at("db"), 2);
    EXPECT_EQ(o.at("redis").at("keys"), 1);
    for (int i = 0; i < 3; ++i) ASSERT_EQ(run_binary({"set", "p:" + std::to_string(i), "1"}, env).exit_code, 0);
    auto del = run_binary({"del", "--pattern", "p:*", "--json"}, env);
    ASSERT_EQ(del.exit_code, 0) << del.err;
    EXPECT_EQ(parse_object(del).at("deleted"), 3);
    auto info = run_binary({"cluster", "info"}, env);
    EXPECT_EQ(info.exit_code, 4);
    EXPECT_TRUE(contains(info.err, "not in cluster mode")) << info.err;
    EXPECT_EQ(run_binary({"cluster", "slots", "--json"}, env).exit_code, 4);
}

TEST(CliMemory, RedisCommandsAreRefusedWithExit2) {
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"get", "k"}, {"set", "k", "1"}, {"del", "k"}, {"del", "--pattern", "*"}, {"stats"}}) {
        auto r = run_binary(args);
        EXPECT_EQ(r.exit_code, 2) << args[0];
        EXPECT_TRUE(contains(r.err, "memory store of the running service")) << r.err;
    }
    auto cluster = run_binary({"cluster", "nodes"});
    EXPECT_EQ(cluster.exit_code, 4);
    EXPECT_TRUE(contains(cluster.err, "not in cluster mode (backend: memory)")) << cluster.err;
}

TEST(CliUsage, BadInputExits2) {
    const std::vector<std::string> env{"REDIS_URL=redis://127.0.0.1:1"};  // never reached: input is checked first
    EXPECT_EQ(run_binary({"set", "k", "{not json"}, env).exit_code, 2);
    EXPECT_EQ(run_binary({"set", "k", "1", "--ttl", "-1"}, env).exit_code, 2);
    EXPECT_EQ(run_binary({"del"}, env).exit_code, 2);
    EXPECT_EQ(run_binary({"del", "k", "--pattern", "p*"}, env).exit_code, 2);
    EXPECT_EQ(run_binary({"get"}, env).exit_code, 2);
    EXPECT_EQ(run_binary({"get", "k", "--timeout", "0"}, env).exit_code, 2);
    EXPECT_EQ(run_binary({"cluster"}, env).exit_code, 2);
    EXPECT_EQ(run_binary({"healthcheck", "--url", "https://127.0.0.1:1"}).exit_code, 2);
}

TEST(CliHealthcheck, RunningServiceIs0AndFreePortIs1) {
    Service svc;
    const auto port = std::to_string(svc.port());
    auto ok = run_binary({"healthcheck"}, {"PORT=" + port});
    EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
    EXPECT_EQ(lines(ok.out).size(), 1u) << ok.out;
    EXPECT_TRUE(ok.out.starts_with("healthy: GET http://127.0.0.1:" + port + "/readyz answered 200")) << ok.out;
    auto by_url = run_binary({"healthcheck", "--url", "http://localhost:" + port, "--json"});
    EXPECT_EQ(by_url.exit_code, 0) << by_url.out << by_url.err;
    auto o = parse_object(by_url);
    EXPECT_EQ(o.at("healthy"), true);
    EXPECT_EQ(o.at("status"), 200);
    auto wildcard = run_binary({"healthcheck"}, {"HOST=0.0.0.0", "PORT=" + port, "SECRET_KEY=" + kSecretKey});
    EXPECT_EQ(wildcard.exit_code, 0) << wildcard.out << wildcard.err;

    const auto free = std::to_string(free_port());
    auto down = run_binary({"healthcheck"}, {"PORT=" + free});
    EXPECT_EQ(down.exit_code, 1);
    EXPECT_EQ(lines(down.out).size(), 1u) << down.out;
    EXPECT_TRUE(contains(down.out, "unhealthy") && contains(down.out, "127.0.0.1:" + free)) << down.out;
    auto down_json = run_binary({"healthcheck", "--json", "--url", "http://127.0.0.1:" + free});
    EXPECT_EQ(down_json.exit_code, 1);
    EXPECT_EQ(parse_object(down_json).at("healthy"), false);
}

TEST(CliHealthcheck, NotReadyServiceIs1) {
    ServiceOptions opt;
    opt.env = {"REDIS_URL=redis://127.0.0.1:" + std::to_string(free_port())};
    Service svc{opt};
    auto r = run_binary({"healthcheck"}, {"PORT=" + std::to_string(svc.port())});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_TRUE(contains(r.out, "answered 503")) << r.out;
}

// The exact line, the request sent, and a body's line breaks made spaces.
TEST(CliHealthcheck, A503AnswerIsOneLineWithItsBodyAndExits1) {
    const std::string body = "{\"status\":\"not ready\",\n\"why\":\"redis\"}";
    FakeHttpServer fake{FakeHttpServer::Mode::answer,
                        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\n\r\n" + body};
    const auto port = std::to_string(fake.port());
    auto r = run_binary({"healthcheck", "--url", "http://127.0.0.1:" + port + "/healthz"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_EQ(r.out, "unhealthy: GET http://127.0.0.1:" + port +
                         "/healthz answered 503 {\"status\":\"not ready\", \"why\":\"redis\"}\n");
    const auto request = fake.finish();
    EXPECT_TRUE(request.starts_with("GET /healthz HTTP/1.1\r\n")) << request;
    EXPECT_TRUE(contains(request, "\r\nHost: 127.0.0.1:" + port + "\r\n")) << request;
    EXPECT_TRUE(contains(request, "\r\nUser-Agent: yooni-cache-healthcheck\r\n")) << request;
    EXPECT_TRUE(contains(request, "\r\nConnection: close\r\n")) << request;

    FakeHttpServer again{FakeHttpServer::Mode::answer, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"};
    auto j = run_binary({"healthcheck", "--json", "--url", "http://127.0.0.1:" + std::to_string(again.port())});
    EXPECT_EQ(j.exit_code, 1) << j.out << j.err;
    auto o = parse_object(j);
    EXPECT_EQ(o.at("healthy"), false);
    EXPECT_EQ(o.at("status"), 503);
    EXPECT_TRUE(o.at("error").is_null()) << j.out;
}

TEST(CliHealthcheck, ARefusedConnectionIsNamed) {
    const auto free = std::to_string(free_port());
    auto r = run_binary({"healthcheck", "--url", "http://127.0.0.1:" + free});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "unhealthy: GET http://127.0.0.1:" + free + "/readyz: Connection refused\n");
    auto j = run_binary({"healthcheck", "--json", "--url", "http://127.0.0.1:" + free});
    EXPECT_EQ(j.exit_code, 1);
    auto o = parse_object(j);
    EXPECT_TRUE(o.at("status").is_null()) << j.out;
    EXPECT_EQ(o.at("error"), "Connection refused");
}

TEST(CliHealthcheck, NoAnswerByTheDeadlineExits1) {
    FakeHttpServer fake{FakeHttpServer::Mode::silent};
    const auto port = std::to_string(fake.port());
    auto r = run_binary({"healthcheck", "--timeout", "300", "--url", "http://127.0.0.1:" + port});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_EQ(r.out, "unhealthy: GET http://127.0.0.1:" + port + "/readyz: no answer before the deadline\n");
    EXPECT_TRUE(fake.finish().starts_with("GET /readyz HTTP/1.1\r\n"));
}

TEST(CliHealthcheck, AMalformedAnswerExits1) {
    FakeHttpServer garbage{FakeHttpServer::Mode::answer, "hello, this is not HTTP\r\n\r\n"};
    auto r = run_binary({"healthcheck", "--url", "http://127.0.0.1:" + std::to_string(garbage.port())});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(r.out.ends_with("/readyz: not an HTTP answer\n")) << r.out;

    FakeHttpServer bad_status{FakeHttpServer::Mode::answer, "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n"};
    auto s = run_binary({"healthcheck", "--json", "--url", "http://127.0.0.1:" + std::to_string(bad_status.port())});
    EXPECT_EQ(s.exit_code, 1) << s.out << s.err;
    EXPECT_EQ(parse_object(s).at("error"), "not an HTTP answer") << s.out;

    FakeHttpServer closed{FakeHttpServer::Mode::answer, ""};
    auto c = run_binary({"healthcheck", "--url", "http://127.0.0.1:" + std::to_string(closed.port())});
    EXPECT_EQ(c.exit_code, 1) << c.out << c.err;
    EXPECT_TRUE(c.out.ends_with("/readyz: not an HTTP answer\n")) << c.out;
}

// The answer is read only so far (8 KiB of header, 64 KiB of body): an
// endless one ends the check long before its deadline.
TEST(CliHealthcheck, AnEndlessAnswerIsCutAtTheSizeLimit) {
    using Clock = std::chrono::steady_clock;
    FakeHttpServer header{FakeHttpServer::Mode::endless_header};
    auto start = Clock::now();
    auto h = run_binary({"healthcheck", "--timeout", "20000", "--url", "http://127.0.0.1:" + std::to_string(header.port())});
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
    EXPECT_EQ(h.exit_code, 1) << h.out << h.err;
    EXPECT_TRUE(h.out.ends_with("/readyz: not an HTTP answer\n")) << h.out;

    FakeHttpServer body{FakeHttpServer::Mode::endless_body};
    start = Clock::now();
    auto b = run_binary({"healthcheck", "--timeout", "20000", "--url", "http://127.0.0.1:" + std::to_string(body.port())});
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
    EXPECT_EQ(b.exit_code, 0) << b.out << b.err;  // the status decides, as the header said 200
    EXPECT_TRUE(b.out.starts_with("healthy: GET http://127.0.0.1:" + std::to_string(body.port()) +
                                  "/readyz answered 200 " + std::string(200, 'y') + "...\n"))
        << b.out.substr(0, 300);
    EXPECT_EQ(lines(b.out).size(), 1u);
}

TEST(CliConfig, CheckJsonListsEverySettingWithItsSource) {
    auto r = run_binary({"config", "check", "--json"}, {"PORT=9123"}, "CACHE_TTL_SECONDS=60\n");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto o = parse_object(r);
    EXPECT_EQ(o.at("settings").at("PORT").at("value"), "9123");
    EXPECT_EQ(o.at("settings").at("PORT").at("source"), "env");
    EXPECT_EQ(o.at("settings").at("CACHE_TTL_SECONDS").at("source"), ".env");
    EXPECT_EQ(o.at("settings").at("HOST").at("source"), "default");
    EXPECT_TRUE(o.at("warnings").is_array());
    EXPECT_TRUE(o.at("dotenv").is_string());
}

}  // namespace
}  // namespace yooni::test
