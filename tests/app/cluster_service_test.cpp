// The service on a real 3+3 Redis Cluster (issue #4): values shared with the
// Python system through Debian's redis-py RedisCluster in both directions and
// both value formats, and every node of the cluster going down and coming back.
#include "support/redis_cluster.hpp"
#include "support/service.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

namespace yooni::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

std::string sample_4k() {
    std::ifstream f{std::string{YOONI_SOURCE_DIR} + "/bench/data/sample-product-4k.json"};
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// A product document in Hangul, well above the 1024-byte compression threshold.
std::string hangul_doc() {
    json::array options;
    for (int i = 0; i < 40; ++i)
        options.push_back(json::object{{"name_ko", "무선 가습기 옵션 " + std::to_string(i)},
                                       {"설명", "초음파 방식, 저소음, 대용량 물탱크"},
                                       {"price_krw", 42000 + i * 100}});
    return json::serialize(json::object{{"id", 123}, {"name_ko", "무선 가습기"}, {"options", options}});
}

std::vector<std::string> cluster_env(RedisCluster& cluster) {
    return {"REDIS_CLUSTER_ENABLED=true",
            "REDIS_CLUSTER_NODES=[\"127.0.0.1:" + std::to_string(cluster.any_port()) + "\"]"};
}

bool ready_within(const Service& svc, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (svc.get("/readyz", "").status == 200) return true;
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(100ms);
    }
}

// The Python system's reader and writer (ORIGINAL-SYSTEM.md) over redis-py's
// RedisCluster; sys.argv[1] is a seed port, the documents come on stdin.
const char* kPythonCluster = R"PY(
import base64, gzip, json, sys
from redis.cluster import RedisCluster
rc = RedisCluster(host='127.0.0.1', port=int(sys.argv[1]))
def read(key):
    raw = rc.get(key)
    if raw is None:
        return None
    text = raw.decode()
    if text.startswith('gzip:'):
        text = gzip.decompress(base64.b64decode(text[5:])).decode()
    return json.loads(text)
def write(key, value, threshold=1024):
    text = json.dumps(value, ensure_ascii=False)
    if len(text.encode()) >= threshold:
        text = 'gzip:' + base64.b64encode(gzip.compress(text.encode(), compresslevel=6)).decode()
    rc.set(key, text, ex=300)
docs = json.loads(sys.stdin.read())
)PY";

std::string docs_json(const std::vector<std::pair<std::string, std::string>>& docs) {
    json::object o;
    for (const auto& [key, text] : docs) o[key] = json::parse(text);
    return json::serialize(o);
}

TEST(ClusterService, LegacyValuesWrittenByTheServiceAreReadByPythonRedisCluster) {
    RedisCluster cluster;
    Service svc{{.env = cluster_env(cluster)}};
    ASSERT_TRUE(ready_within(svc, 10s)) << svc.log();
    const std::vector<std::pair<std::string, std::string>> docs{
        {"product:small", R"({"id":7,"name":"humidifier","price":9.5})"},
        {"product:4k", sample_4k()},
        {"product:ko", hangul_doc()},
    };
    for (const auto& [key, text] : docs) {
        auto r = svc.put("/api/v1/cache/" + key, text);
        ASSERT_EQ(r.status, 200) << key << ": " << r.body;
    }
    auto py = run_python(std::string{kPythonCluster} +
                             "for key in ['product:small', 'product:4k', 'product:ko']:\n"
                             "    print(key, rc.get(key).startswith(b'gzip:'), read(key) == docs[key])\n",
                         {std::to_string(cluster.any_port())}, docs_json(docs));
    ASSERT_EQ(py.exit_code, 0) << py.err;
    EXPECT_EQ(py.out,
              "product:small False True\n"
              "product:4k True True\n"
              "product:ko True True\n");
}

TEST(ClusterService, GzipFormatValuesAreRawGzipMembersThatPythonDecompresses) {
    RedisCluster cluster;
    auto env = cluster_env(cluster);
    env.push_back("CACHE_VALUE_FORMAT=gzip");
    Service svc{{.env = env}};
    ASSERT_TRUE(ready_within(svc, 10s)) << svc.log();
    const std::vector<std::pair<std::string, std::string>> docs{
        {"product:small", R"({"id":7,"name_ko":"무선 가습기"})"},
        {"product:4k", sample_4k()},
        {"product:ko", hangul_doc()},
    };
    for (const auto& [key, text] : docs) {
        auto r = svc.put("/api/v1/cache/" + key, text);
        ASSERT_EQ(r.status, 200) << key << ": " << r.body;
    }
    auto py = run_python(std::string{kPythonCluster} +
                             "for key in ['product:4k', 'product:ko']:\n"
                             "    raw = rc.get(key)\n"
                             "    print(key, raw[:2] == b'\\x1f\\x8b', json.loads(gzip.decompress(raw)) == docs[key])\n"
                             "raw = rc.get('product:small')\n"
                             "print('product:small', raw[:2] == b'\\x1f\\x8b', json.loads(raw.decode()) == docs['product:small'])\n",
                         {std::to_string(cluster.any_port())}, docs_json(docs));
    ASSERT_EQ(py.exit_code, 0) << py.err;
    EXPECT_EQ(py.out,
              "product:4k True True\n"
              "product:ko True True\n"
              "product:small False True\n");
}

TEST(ClusterService, ValuesWrittenByPythonRedisClusterAreServedByGetAndBatchGet) {
    RedisCluster cluster;
    Service svc{{.env = cluster_env(cluster)}};
    ASSERT_TRUE(ready_within(svc, 10s)) << svc.log();
    // Small and large (compressed) documents under keys spread over many slots.
    std::vector<std::pair<std::string, std::string>> docs;
    for (int i = 0; i < 60; ++i) {
        json::object o{{"id", i}, {"name_ko", "상품 " + std::to_string(i)}, {"ratio", 0.5 + i}};
        if (i % 2 == 1) {
            json::array tags;
            for (int t = 0; t < 120; ++t) tags.push_back(json::value("태그-" + std::to_string(t)));
            o["tags"] = tags;
        }
        docs.emplace_back("py:product:" + std::to_string(i), json::serialize(o));
    }
    docs.emplace_back("py:4k", sample_4k());
    auto py = run_python(std::string{kPythonCluster} +
                             "for key, value in docs.items():\n"
                             "    write(key, value)\n"
                             "compressed = sum(1 for k in docs if rc.get(k).startswith(b'gzip:'))\n"
                             "slots = len({rc.keyslot(k) for k in docs})\n"
                             "nodes = len({rc.get_node_from_key(k).name for k in docs})\n"
                             "print(compressed, slots > 40, nodes)\n",
                         {std::to_string(cluster.any_port())}, docs_json(docs));
    ASSERT_EQ(py.exit_code, 0) << py.err;
    ASSERT_EQ(py.out, "31 True 3\n");  // 30 large documents and the 4 KB sample; all three masters

    for (const auto& [key, text] : docs) {
        auto r = svc.get("/api/v1/cache/" + key);
        ASSERT_EQ(r.status, 200) << key << ": " << r.body << "\n" << svc.log();
        EXPECT_EQ(json::parse(r.body), json::parse(text)) << key;
    }

    json::array keys;
    for (const auto& [key, text] : docs) keys.push_back(json::value(key));
    keys.push_back(json::value("py:absent"));
    auto got = svc.post("/api/v1/batch/get", json::serialize(json::object{{"keys", keys}}));
    ASSERT_EQ(got.status, 200) << got.body;
    auto answer = json::parse(got.body).as_object();
    EXPECT_EQ(answer.at("found"), static_cast<std::int64_t>(docs.size()));
    EXPECT_EQ(answer.at("missing"), json::value(json::array{"py:absent"}));
    const auto& values = answer.at("values").as_object();
    EXPECT_EQ(values.size(), docs.size());
    for (const auto& [key, text] : docs) {
        auto it = values.find(key);
        ASSERT_NE(it, values.end()) << key;
        EXPECT_EQ(it->value(), json::parse(text)) << key;
    }
}

// Waits until the service answers a cache GET with a backend error (503 or
// 504); false on timeout, with the last answer in `last`.
bool answers_backend_error_within(const Service& svc, std::chrono::seconds timeout, HttpResponse& last) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        last = svc.get("/api/v1/cache/outage:k");
        if (last.status == 503 || last.status == 504) return true;
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(100ms);
    }
}

std::string detail_of(const HttpResponse& r) {
    auto v = json::parse(r.body);
    return std::string{v.at("detail").as_string()};
}

// 503 says the backend is unavailable; a 504 (the request deadline ran out
// while the client retried refused connections) says "Cache backend timed out".
void expect_backend_error(const HttpResponse& r, const std::string& what) {
    ASSERT_TRUE(r.status == 503 || r.status == 504) << what << ": " << r.status << " " << r.body;
    const auto detail = detail_of(r);
    if (r.status == 503)
        EXPECT_NE(detail.find("Cache backend unavailable"), std::string::npos) << what << ": " << detail;
    else
        EXPECT_NE(detail.find("Cache backend"), std::string::npos) << what << ": " << detail;
}

ServiceOptions outage_options(RedisCluster& cluster) {
    auto env = cluster_env(cluster);
    env.insert(env.end(), {"HTTP_REQUEST_TIMEOUT_MS=1000", "REDIS_CONNECT_TIMEOUT_MS=500",
                           "REDIS_CLUSTER_REFRESH_INTERVAL_MS=500"});
    return {.env = env};
}

TEST(ClusterService, EveryNodeDownAnswers503AndIsNotReadyButLive) {
    RedisCluster cluster;
    Service svc{outage_options(cluster)};
    ASSERT_TRUE(ready_within(svc, 10s)) << svc.log();
    ASSERT_EQ(svc.put("/api/v1/cache/outage:k", "1").status, 200);
    for (const auto& node : cluster.nodes()) cluster.kill_node(node.port);

    HttpResponse get;
    ASSERT_TRUE(answers_backend_error_within(svc, 10s, get)) << get.status << " " << get.body << "\n" << svc.log();
    expect_backend_error(get, "GET");
    expect_backend_error(svc.put("/api/v1/cache/outage:k", "2"), "PUT");
    HttpResponse readyz;
    for (int i = 0; i < 100 && readyz.status != 503; ++i) {
        readyz = svc.get("/readyz", "");
        if (readyz.status != 503) std::this_thread::sleep_for(100ms);
    }
    EXPECT_EQ(readyz.status, 503) << "/readyz with every node down: " << readyz.body << "\n" << svc.log();
    EXPECT_EQ(svc.get("/livez", "").status, 200);
}

TEST(ClusterService, RecoversByItselfWhenEveryNodeComesBack) {
    RedisCluster cluster;
    Service svc{outage_options(cluster)};
    ASSERT_TRUE(ready_within(svc, 10s)) << svc.log();
    const auto nodes = cluster.nodes();
    for (const auto& node : nodes) cluster.kill_node(node.port);
    HttpResponse get;
    ASSERT_TRUE(answers_backend_error_within(svc, 10s, get)) << get.status << " " << get.body << "\n" << svc.log();

    std::vector<std::uint16_t> ports;
    for (const auto& node : nodes) ports.push_back(node.port);
    cluster.restart_nodes(ports);

    ASSERT_TRUE(ready_within(svc, 15s)) << svc.log();
    // Keys on every master: the service reaches all three again.
    for (int i = 0; i < 30; ++i) {
        const auto key = "back:" + std::to_string(i);
        auto put = svc.put("/api/v1/cache/" + key, std::to_string(i));
        ASSERT_EQ(put.status, 200) << key << ": " << put.body << "\n" << svc.log();
        auto r = svc.get("/api/v1/cache/" + key);
        ASSERT_EQ(r.status, 200) << key << ": " << r.body << "\n" << svc.log();
        EXPECT_EQ(json::parse(r.body), i) << key;
    }
}

}  // namespace
}  // namespace yooni::test
