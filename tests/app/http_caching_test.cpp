// HTTP the way caches speak it (issue #13, items 1 and 2), on the memory,
// standalone Redis and Redis Cluster backends, against the real binary:
// - every GET carries a strong ETag, SHA-1 of the stored bytes: the same on
//   every backend, and what Redis's own redis.sha1hex of the value gives;
// - If-None-Match answers 304 without a body;
// - HEAD answers GET's headers (Content-Length included) without the body;
// - a client that accepts gzip gets the stored gzip member as it is
//   (Content-Encoding: gzip, Vary: Accept-Encoding), others the document;
//   batch/get answers, values stored plain and the monitoring answers of
//   HTTP_GZIP_MIN_BYTES or more are compressed on the fly for it;
// - the monitoring answers carry weak tags and answer 304 while the state
//   they show has not changed.
#include "support/process.hpp"
#include "support/redis_cluster.hpp"
#include "support/redis_server.hpp"
#include "support/service.hpp"

#include <yooni/codec/codec.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <thread>
#include <vector>
#include <memory>
#include <string>

namespace yooni::test {
namespace {

using namespace std::chrono_literals;

std::string sample_4k() {
    std::ifstream f{std::string{YOONI_SOURCE_DIR} + "/bench/data/sample-product-4k.json"};
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// /usr/bin/python3 decodes the answer by hand, as a client library would.
const char* kPythonClient = R"PY(
import gzip, sys, urllib.request
req = urllib.request.Request(sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2], "Accept-Encoding": "gzip"})
with urllib.request.urlopen(req) as r:
    body = r.read()
    assert r.headers["Content-Encoding"] == "gzip", r.headers
    assert "Accept-Encoding" in r.headers["Vary"], r.headers
    sys.stdout.write(gzip.decompress(body).decode())
)PY";

enum class Kind { memory, standalone, cluster };

class HttpCaching : public ::testing::TestWithParam<Kind> {
protected:
    void SetUp() override {
        std::vector<std::string> env;
        switch (GetParam()) {
            case Kind::memory: break;
            case Kind::standalone:
                redis_ = std::make_unique<RedisServer>();
                env.push_back("REDIS_URL=redis://127.0.0.1:" + std::to_string(redis_->port()));
                break;
            case Kind::cluster:
                cluster_ = std::make_unique<RedisCluster>(ClusterOptions{.masters = 3, .replicas = 0});
                env.push_back("REDIS_CLUSTER_ENABLED=true");
                env.push_back("REDIS_CLUSTER_NODES=127.0.0.1:" + std::to_string(cluster_->any_port()));
                break;
        }
        svc_ = std::make_unique<Service>(ServiceOptions{.env = env});
    }
    // The stored value's SHA-1 as Redis computes it (Lua's redis.sha1hex).
    std::string redis_sha1(const std::string& key) {
        const std::vector<std::string> args{"EVAL", "return redis.sha1hex(redis.call('GET', KEYS[1]))", "1", key};
        if (redis_) return redis_->cli(args).out;
        return cluster_->cli(cluster_->port_for_slot(cluster_->key_slot(key)), args) + "\n";
    }
    HttpResponse get(const std::string& key, std::vector<std::pair<std::string, std::string>> headers = {},
                     const std::string& method = "GET") {
        headers.emplace_back("Authorization", "Bearer " + kReaderToken);
        return http_request(svc_->port(), method, "/api/v1/cache/" + key, headers);
    }

    std::unique_ptr<RedisServer> redis_;
    std::unique_ptr<RedisCluster> cluster_;
    std::unique_ptr<Service> svc_;
};

TEST_P(HttpCaching, EveryGetCarriesTheStoredBytesSha1AsAStrongEntityTag) {
    const std::string small = R"({"id":123,"name":"humidifier"})";
    const std::string big = sample_4k();
    ASSERT_EQ(svc_->put("/api/v1/cache/etag:small", small).status, 200);
    ASSERT_EQ(svc_->put("/api/v1/cache/etag:big", big).status, 200);
    for (const auto& [key, doc] : {std::pair{"etag:small", small}, std::pair{"etag:big", big}}) {
        const auto r = get(key);
        ASSERT_EQ(r.status, 200);
        EXPECT_EQ(r.body, doc);
        const auto tag = r.header("etag");
        ASSERT_EQ(tag.size(), 42u) << tag;  // "40 hex digits"
        EXPECT_EQ(tag.front(), '"');
        EXPECT_EQ(r.header("vary"), "Accept-Encoding");
        EXPECT_EQ(get(key).header("etag"), tag) << "the tag of an unchanged value changed";
        if (GetParam() != Kind::memory)
            EXPECT_EQ("\"" + redis_sha1(key).substr(0, 40) + "\"", tag) << "Redis computes another tag";
    }
    // The same stored value has the same tag on every backend: the sample's
    // tag on a memory service equals this one.
    Service memory{};
    ASSERT_EQ(memory.put("/api/v1/cache/etag:big", big).status, 200);
    EXPECT_EQ(http_request(memory.port(), "GET", "/api/v1/cache/etag:big", bearer(kReaderToken)).header("etag"),
              get("etag:big").header("etag"));
    // A new value, a new tag.
    ASSERT_EQ(svc_->put("/api/v1/cache/etag:small", R"({"id":124})").status, 200);
    EXPECT_NE(get("etag:small").header("etag"), get("etag:big").header("etag"));
}

TEST_P(HttpCaching, IfNoneMatchAnswers304WithoutABody) {
    ASSERT_EQ(svc_->put("/api/v1/cache/cond", sample_4k()).status, 200);
    const auto tag = get("cond").header("etag");
    for (const std::string& header : {tag, "\"other\", " + tag, "W/" + tag, std::string{"*"}}) {
        const auto r = get("cond", {{"If-None-Match", header}});
        EXPECT_EQ(r.status, 304) << header;
        EXPECT_TRUE(r.body.empty()) << header;
        EXPECT_EQ(r.header("etag"), tag);
    }
    EXPECT_EQ(get("cond", {{"If-None-Match", "\"0000\""}}).status, 200);
    EXPECT_EQ(get("cond-missing", {{"If-None-Match", "*"}}).status, 404);
    // Changed since: the new value.
    ASSERT_EQ(svc_->put("/api/v1/cache/cond", "[1]").status, 200);
    const auto changed = get("cond", {{"If-None-Match", tag}});
    EXPECT_EQ(changed.status, 200);
    EXPECT_EQ(changed.body, "[1]");
}

TEST_P(HttpCaching, HeadAnswersGetsHeadersWithoutTheBody) {
    ASSERT_EQ(svc_->put("/api/v1/cache/head", sample_4k()).status, 200);
    const auto full = get("head");
    const auto head = get("head", {}, "HEAD");
    EXPECT_EQ(head.status, 200);
    EXPECT_TRUE(head.body.empty()) << head.body.substr(0, 80);
    EXPECT_EQ(head.header("content-length"), std::to_string(full.body.size()));
    EXPECT_EQ(head.header("etag"), full.header("etag"));
    const auto zipped = get("head", {{"Accept-Encoding", "gzip"}}, "HEAD");
    EXPECT_EQ(zipped.header("content-encoding"), "gzip");
    EXPECT_EQ(zipped.header("content-length"), std::to_string(get("head", {{"Accept-Encoding", "gzip"}}).body.size()));
    const auto missing = get("head-missing", {}, "HEAD");
    EXPECT_EQ(missing.status, 404);
    EXPECT_TRUE(missing.body.empty());
    EXPECT_EQ(http_request(svc_->port(), "HEAD", "/api/v1/cache/head").status, 401);
    EXPECT_EQ(http_request(svc_->port(), "HEAD", "/livez").status, 200);
}

TEST_P(HttpCaching, AClientThatAcceptsGzipGetsTheStoredMemberAsItIs) {
    const std::string doc = sample_4k();
    ASSERT_EQ(svc_->put("/api/v1/cache/zip", doc).status, 200);
    const auto plain = get("zip");
    EXPECT_EQ(plain.body, doc);
    EXPECT_EQ(plain.header("content-encoding"), "");
    for (const std::string accept : {"gzip", "deflate, gzip;q=0.5", "*", "br;q=1.0, GZIP", "gzip;q=0.001"}) {
        const auto r = get("zip", {{"Accept-Encoding", accept}});
        EXPECT_EQ(r.header("content-encoding"), "gzip") << accept;
        EXPECT_TRUE(r.body.starts_with("\x1f\x8b")) << accept;
        EXPECT_LT(r.body.size(), doc.size() / 2) << accept;
        EXPECT_EQ(r.header("etag"), plain.header("etag")) << "one stored value, one tag";
    }
    for (const std::string accept : {"identity", "gzip;q=0", "gzip;q=0.000, *", "deflate", "*;q=0"}) {
        const auto r = get("zip", {{"Accept-Encoding", accept}});
        EXPECT_EQ(r.header("content-encoding"), "") << accept;
        EXPECT_EQ(r.body, doc) << accept;
    }
    // A value too small to be stored compressed is sent as it is.
    ASSERT_EQ(svc_->put("/api/v1/cache/zip:small", "[1,2,3]").status, 200);
    const auto small = get("zip:small", {{"Accept-Encoding", "gzip"}});
    EXPECT_EQ(small.header("content-encoding"), "");
    EXPECT_EQ(small.body, "[1,2,3]");
    // Real clients decode it: curl --compressed and Python's urllib by hand.
    const auto url = "http://127.0.0.1:" + std::to_string(svc_->port()) + "/api/v1/cache/zip";
    const auto curl = run_command({"curl", "-s", "--compressed", "-H", "Authorization: Bearer " + kReaderToken, url});
    EXPECT_EQ(curl.out, doc);
    const auto python = run_command({"/usr/bin/python3", "-c", kPythonClient, url, kReaderToken});
    EXPECT_EQ(python.exit_code, 0) << python.err;
    EXPECT_EQ(python.out, doc);
}

// batch/get builds its answer from several values: for a client that
// accepts gzip it is compressed on the fly (level 1), and inflates to the
// very answer a client without gzip gets.
TEST_P(HttpCaching, ABatchAnswerIsCompressedForAClientThatAcceptsGzip) {
    const std::string doc = sample_4k();
    std::string keys = "[";
    for (int i = 0; i < 20; ++i) {
        const auto key = "batch:zip:" + std::to_string(i);
        ASSERT_EQ(svc_->put("/api/v1/cache/" + key, doc).status, 200);
        keys += (i ? ",\"" : "\"") + key + "\"";
    }
    const std::string body = R"({"keys":)" + keys + "]}";
    auto batch = [&](std::vector<std::pair<std::string, std::string>> headers) {
        headers.emplace_back("Authorization", "Bearer " + kReaderToken);
        headers.emplace_back("Content-Type", "application/json");
        return http_request(svc_->port(), "POST", "/api/v1/batch/get", headers, body);
    };
    const auto plain = batch({});
    ASSERT_EQ(plain.status, 200) << plain.body;
    EXPECT_EQ(plain.header("content-encoding"), "");
    EXPECT_NE(plain.header("vary").find("Accept-Encoding"), std::string::npos);
    const auto zipped = batch({{"Accept-Encoding", "gzip"}});
    ASSERT_EQ(zipped.status, 200);
    EXPECT_EQ(zipped.header("content-encoding"), "gzip");
    EXPECT_NE(zipped.header("vary").find("Accept-Encoding"), std::string::npos);
    EXPECT_LT(zipped.body.size(), plain.body.size() / 4);
    const auto inflated = codec::gzip_decompress(zipped.body, 64u << 20);
    ASSERT_TRUE(inflated);
    EXPECT_EQ(*inflated, plain.body);
    std::cout << "batch/get of 20 x 4 KB: " << plain.body.size() << " bytes, " << zipped.body.size()
              << " bytes gzip-compressed\n";
    EXPECT_EQ(batch({{"Accept-Encoding", "gzip;q=0"}}).body, plain.body);
}

// A value stored plain (written by another program, or below the storage
// threshold) of HTTP_GZIP_MIN_BYTES or more is compressed on the fly; its
// tag is still the stored bytes' SHA-1.
TEST(HttpCompression, AValueStoredPlainIsCompressedOnTheFlyWithItsTagUnchanged) {
    Service svc{ServiceOptions{.env = {"CACHE_COMPRESSION_THRESHOLD=1048576"}}};
    const std::string doc = sample_4k();
    ASSERT_EQ(svc.put("/api/v1/cache/plain:big", doc).status, 200);
    auto get = [&](std::vector<std::pair<std::string, std::string>> headers) {
        headers.emplace_back("Authorization", "Bearer " + kReaderToken);
        return http_request(svc.port(), "GET", "/api/v1/cache/plain:big", headers);
    };
    const auto plain = get({});
    EXPECT_EQ(plain.body, doc);
    const auto zipped = get({{"Accept-Encoding", "gzip"}});
    EXPECT_EQ(zipped.header("content-encoding"), "gzip");
    EXPECT_EQ(zipped.header("etag"), plain.header("etag"));
    const auto inflated = codec::gzip_decompress(zipped.body, 1u << 20);
    ASSERT_TRUE(inflated);
    EXPECT_EQ(*inflated, doc);
    // HEAD says what GET would send: the compressed length.
    const auto head = http_request(svc.port(), "HEAD", "/api/v1/cache/plain:big",
                                   {{"Authorization", "Bearer " + kReaderToken}, {"Accept-Encoding", "gzip"}});
    EXPECT_EQ(head.header("content-length"), std::to_string(zipped.body.size()));
    EXPECT_EQ(head.body, "");
    // Below HTTP_GZIP_MIN_BYTES (1024) nothing is compressed.
    ASSERT_EQ(svc.put("/api/v1/cache/plain:small", R"({"id":1,"name":"kettle"})").status, 200);
    const auto small = http_request(svc.port(), "GET", "/api/v1/cache/plain:small",
                                    {{"Authorization", "Bearer " + kReaderToken}, {"Accept-Encoding", "gzip"}});
    EXPECT_EQ(small.header("content-encoding"), "");
}

TEST(HttpCompression, GzipMinBytesZeroTurnsItOff) {
    Service svc{ServiceOptions{.env = {"CACHE_COMPRESSION_THRESHOLD=1048576", "HTTP_GZIP_MIN_BYTES=0"}}};
    const std::string doc = sample_4k();
    ASSERT_EQ(svc.put("/api/v1/cache/plain:big", doc).status, 200);
    const auto r = http_request(svc.port(), "GET", "/api/v1/cache/plain:big",
                                {{"Authorization", "Bearer " + kReaderToken}, {"Accept-Encoding", "gzip"}});
    EXPECT_EQ(r.header("content-encoding"), "");
    EXPECT_EQ(r.body, doc);
}

// The monitoring answers a dashboard polls: a weak tag of what they show
// (their time stamps aside); sent back, it gets 304 without a body until
// the state changes.
TEST(HttpCompression, MonitoringAnswersAre304WhileTheirStateIsUnchanged) {
    Service svc;
    for (const std::string path : {"/api/v1/monitoring/cache/stats", "/api/v1/monitoring/health/detailed",
                                   "/api/v1/monitoring/cache/cluster/info"}) {
        auto get = [&](std::vector<std::pair<std::string, std::string>> headers) {
            headers.emplace_back("Authorization", "Bearer " + kReaderToken);
            return http_request(svc.port(), "GET", path, headers);
        };
        const auto first = get({});
        ASSERT_EQ(first.status, 200) << path;
        const auto tag = first.header("etag");
        ASSERT_TRUE(tag.starts_with("W/\"")) << path << ": " << tag;
        EXPECT_EQ(first.header("cache-control"), "private, no-cache") << path;
        const auto again = get({{"If-None-Match", tag}});
        EXPECT_EQ(again.status, 304) << path;
        EXPECT_EQ(again.body, "") << path;
        EXPECT_EQ(again.header("etag"), tag) << path;
        EXPECT_EQ(get({{"If-None-Match", "W/\"0000\""}}).status, 200) << path;
    }
    // A cache call changes the statistics: a new tag, a full answer.
    const auto stats = [&](const std::string& tag) {
        return http_request(svc.port(), "GET", "/api/v1/monitoring/cache/stats",
                            {{"Authorization", "Bearer " + kReaderToken}, {"If-None-Match", tag}});
    };
    const auto before = stats("").header("etag");
    ASSERT_EQ(svc.get("/api/v1/cache/absent:key", kReaderToken).status, 404);
    const auto after = stats(before);
    EXPECT_EQ(after.status, 200);
    EXPECT_NE(after.header("etag"), before);
}

// ---------------------------------------------------------------- compare-and-set (item 3)

HttpResponse write(std::uint16_t port, const std::string& method, const std::string& key, const std::string& body,
                   std::vector<std::pair<std::string, std::string>> headers) {
    headers.emplace_back("Authorization", "Bearer " + kWriterToken);
    if (method == "PUT") headers.emplace_back("Content-Type", "application/json");
    return http_request(port, method, "/api/v1/cache/" + key, headers, body);
}

TEST_P(HttpCaching, ConditionalWritesAnswer412WhenTheValueChanged) {
    const auto port = svc_->port();
    // Create only.
    auto created = write(port, "PUT", "cas", R"({"v":1})", {{"If-None-Match", "*"}});
    ASSERT_EQ(created.status, 200) << created.body;
    const auto tag1 = created.header("etag");
    EXPECT_EQ(tag1, get("cas").header("etag")) << "a PUT's ETag is the one GET then shows";
    EXPECT_EQ(write(port, "PUT", "cas", R"({"v":2})", {{"If-None-Match", "*"}}).status, 412);
    // Replace only what was read.
    auto replaced = write(port, "PUT", "cas", R"({"v":2})", {{"If-Match", tag1}});
    ASSERT_EQ(replaced.status, 200) << replaced.body;
    const auto tag2 = replaced.header("etag");
    EXPECT_NE(tag2, tag1);
    EXPECT_EQ(write(port, "PUT", "cas", R"({"v":3})", {{"If-Match", tag1}}).status, 412) << "a stale tag wrote";
    EXPECT_EQ(get("cas").body, R"({"v":2})");
    EXPECT_EQ(write(port, "PUT", "cas", R"({"v":3})", {{"If-Match", "\"stale\", " + tag2}}).status, 200);
    EXPECT_EQ(write(port, "PUT", "cas", R"({"v":4})", {{"If-Match", "W/" + get("cas").header("etag")}}).status, 412)
        << "If-Match compares strongly";
    EXPECT_EQ(write(port, "PUT", "cas-missing", "1", {{"If-Match", "*"}}).status, 412);
    EXPECT_EQ(write(port, "PUT", "cas", "5", {{"If-Match", "*"}}).status, 200);
    // Deletes.
    EXPECT_EQ(write(port, "DELETE", "cas", "", {{"If-Match", tag1}}).status, 412);
    EXPECT_EQ(get("cas").status, 200);
    const auto del = write(port, "DELETE", "cas", "", {{"If-Match", get("cas").header("etag")}});
    EXPECT_EQ(del.status, 200) << del.body;
    EXPECT_EQ(get("cas").status, 404);
    EXPECT_EQ(write(port, "DELETE", "cas", "", {{"If-None-Match", "*"}}).status, 400);
    EXPECT_EQ(write(port, "PUT", "cas", "1", {{"If-None-Match", tag1}}).status, 400);
}

// 64 writers send the same If-Match at once, round after round: exactly one
// wins each round (YOONI_CAS_ROUNDS rounds, 100 by default).
TEST_P(HttpCaching, SixtyFourWritersWithOneTagExactlyOneWinsEveryRound) {
    const auto port = svc_->port();
    const char* env_rounds = std::getenv("YOONI_CAS_ROUNDS");
    const int rounds = env_rounds ? std::atoi(env_rounds) : 100;
    constexpr int kWriters = 64;
    ASSERT_EQ(write(port, "PUT", "race", R"({"round":-1})", {}).status, 200);
    std::string tag = get("race").header("etag");
    std::barrier start{kWriters + 1}, done{kWriters + 1};
    std::vector<int> status(kWriters);
    std::atomic<int> round{0};
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w)
        writers.emplace_back([&, w] {
            for (;;) {
                start.arrive_and_wait();
                const int r = round.load();
                if (r >= rounds) return;
                status[w] = write(port, "PUT", "race", "{\"round\":" + std::to_string(r) + ",\"writer\":" + std::to_string(w) + "}",
                                  {{"If-Match", tag}}).status;
                done.arrive_and_wait();
            }
        });
    int bad_rounds = 0;
    for (int r = 0; r < rounds; ++r) {
        start.arrive_and_wait();
        done.arrive_and_wait();
        const auto winners = std::count(status.begin(), status.end(), 200);
        const auto refused = std::count(status.begin(), status.end(), 412);
        if (winners != 1 || refused != kWriters - 1) {
            ++bad_rounds;
            ADD_FAILURE() << "round " << r << ": " << winners << " writers won, " << refused << " refused";
        }
        const auto now = get("race");
        EXPECT_NE(now.body.find("\"round\":" + std::to_string(r) + ","), std::string::npos) << now.body;
        tag = now.header("etag");
        round.store(r + 1);
    }
    start.arrive_and_wait();  // the writers see round == rounds and leave
    for (auto& t : writers) t.join();
    std::cout << rounds << " rounds of " << kWriters << " writers: " << bad_rounds << " rounds without exactly one winner\n";
    EXPECT_EQ(bad_rounds, 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, HttpCaching, ::testing::Values(Kind::memory, Kind::standalone, Kind::cluster),
                         [](const auto& info) {
                             switch (info.param) {
                                 case Kind::memory: return std::string{"memory"};
                                 case Kind::standalone: return std::string{"standalone"};
                                 case Kind::cluster: return std::string{"cluster"};
                             }
                             return std::string{"unknown"};
                         });

}  // namespace
}  // namespace yooni::test
