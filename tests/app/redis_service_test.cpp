// The service on real Redis: a standalone server and a 3+3 cluster, values
// shared with the Python system's reader and writer, and a Redis that is not
// there at start.
#include "support/redis_cluster.hpp"
#include "support/redis_server.hpp"
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

// The Python system's reader and writer (ORIGINAL-SYSTEM.md), run by python3 with redis-py.
const char* kPythonCodec = R"PY(
import base64, gzip, json, sys
import redis
r = redis.Redis(host='127.0.0.1', port=int(sys.argv[1]))
def read(key):
    raw = r.get(key)
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
    r.set(key, text, ex=300)
)PY";

TEST(RedisService, ValuesWrittenByTheServiceAreReadByThePythonSystem) {
    RedisServer redis;
    ServiceOptions opt;
    opt.env = {"REDIS_URL=redis://127.0.0.1:" + std::to_string(redis.port()) + "/0"};
    Service svc{opt};
    const auto doc = sample_4k();
    ASSERT_EQ(svc.put("/api/v1/cache/product:4k", doc).status, 200);
    ASSERT_EQ(svc.put("/api/v1/cache/product:small", R"({"name_ko":"무선 가습기"})").status, 200);
    auto py = run_python(std::string{kPythonCodec} +
                             "import sys\n"
                             "big = read('product:4k'); small = read('product:small')\n"
                             "raw = r.get('product:4k')\n"
                             "print(raw[:5].decode(), json.dumps(big, ensure_ascii=False) == json.dumps(json.loads(sys.argv[2]), ensure_ascii=False), small['name_ko'])\n",
                         {std::to_string(redis.port()), doc});
    ASSERT_EQ(py.exit_code, 0) << py.err;
    EXPECT_EQ(py.out, "gzip: True 무선 가습기\n");
}

TEST(RedisService, ValuesWrittenByThePythonSystemAreServed) {
    RedisServer redis;
    ServiceOptions opt;
    opt.env = {"REDIS_URL=redis://127.0.0.1:" + std::to_string(redis.port())};
    Service svc{opt};
    auto py = run_python(std::string{kPythonCodec} +
                             "write('py:big', {'items': ['상품'] * 400, 'total': 42000})\n"
                             "write('py:small', {'id': 7})\n",
                         {std::to_string(redis.port())});
    ASSERT_EQ(py.exit_code, 0) << py.err;
    auto big = svc.get("/api/v1/cache/py:big");
    ASSERT_EQ(big.status, 200) << big.body;
    auto o = json::parse(big.body).as_object();
    EXPECT_EQ(o.at("total"), 42000);
    EXPECT_EQ(o.at("items").as_array().size(), 400u);
    EXPECT_EQ(json::parse(svc.get("/api/v1/cache/py:small").body).at("id"), 7);
}

TEST(RedisService, UnreachableRedisAtStartIsNotReadyAnd503ThenRecovers) {
    const auto port = free_port();
    ServiceOptions opt;
    opt.env = {"REDIS_URL=redis://127.0.0.1:" + std::to_string(port), "HTTP_REQUEST_TIMEOUT_MS=300"};
    Service svc{opt};
    EXPECT_EQ(svc.get("/livez", "").status, 200);
    EXPECT_EQ(svc.get("/readyz", "").status, 503);
    auto r = svc.get("/api/v1/cache/k");
    EXPECT_TRUE(r.status == 503 || r.status == 504) << r.status << r.body;
    EXPECT_NE(json::parse(r.body).at("detail").as_string().find("Cache backend"), std::string::npos);
    RedisServer redis{{.extra_args = {}, .password = {}, .port = port}};
    bool ready = false;
    for (int i = 0; i < 100 && !ready; ++i) {
        ready = svc.get("/readyz", "").status == 200;
        if (!ready) std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(ready);
    EXPECT_EQ(svc.put("/api/v1/cache/k", "1").status, 200);
}

TEST(RedisService, FallbackToMemoryWhenAskedAndRedisIsAbsent) {
    ServiceOptions opt;
    opt.env = {"REDIS_URL=redis://127.0.0.1:" + std::to_string(free_port()), "REDIS_FALLBACK_TO_MEMORY=true",
               "REDIS_CONNECT_TIMEOUT_MS=200"};
    Service svc{opt};
    EXPECT_EQ(json::parse(svc.get("/api/v1/monitoring/health/detailed", kReaderToken).body).at("cache").at("backend"),
              "memory");
    EXPECT_EQ(svc.put("/api/v1/cache/k", "1").status, 200);
}

TEST(RedisService, RunsOnAClusterFromOneSeed) {
    RedisCluster cluster;
    ServiceOptions opt;
    opt.env = {"REDIS_CLUSTER_ENABLED=true",
               "REDIS_CLUSTER_NODES=[\"127.0.0.1:" + std::to_string(cluster.any_port()) + "\"]"};
    Service svc{opt};
    bool ready = false;
    for (int i = 0; i < 100 && !ready; ++i) {
        ready = svc.get("/readyz", "").status == 200;
        if (!ready) std::this_thread::sleep_for(50ms);
    }
    ASSERT_TRUE(ready) << svc.log();
    // Keys over many slots, one batch: split by slot, answered in order.
    json::array items;
    json::array keys;
    for (int i = 0; i < 100; ++i) {
        items.push_back(json::object{{"key", "c:" + std::to_string(i)}, {"value", i}});
        keys.push_back(json::value("c:" + std::to_string(i)));
    }
    ASSERT_EQ(svc.post("/api/v1/batch/set", json::serialize(json::object{{"items", items}})).status, 200);
    auto got = svc.post("/api/v1/batch/get", json::serialize(json::object{{"keys", keys}}));
    ASSERT_EQ(got.status, 200) << got.body;
    auto values = json::parse(got.body).at("values").as_object();
    EXPECT_EQ(values.size(), 100u);
    EXPECT_EQ(values.at("c:42"), 42);
    auto info = json::parse(svc.get("/api/v1/monitoring/cache/cluster/info").body).as_object();
    EXPECT_EQ(info.at("cluster_enabled"), true);
    EXPECT_EQ(info.at("cluster_state"), "ok");
    EXPECT_EQ(info.at("nodes").as_array().size(), 6u);
    auto deleted = svc.del("/api/v1/cache?pattern=c:*", kAdminToken);
    EXPECT_EQ(json::parse(deleted.body).at("deleted"), 100);
}


// HTTP_MAX_BODY_BYTES bounds decoding too. 4 MiB of repetitive JSON left in
// Redis by another writer in about 4 KB, as "gzip:"+base64 and as a raw
// member, is refused with a 500 that names the cause and is counted, not
// inflated on every read; a compressed value under the limit is served.
TEST(RedisService, AStoredValueInflatingPastTheBodyLimitIsRefusedAndCounted) {
    RedisServer redis;
    ServiceOptions opt;
    opt.env = {"REDIS_URL=redis://127.0.0.1:" + std::to_string(redis.port()), "HTTP_MAX_BODY_BYTES=1048576"};
    Service svc{opt};
    auto py = run_python(std::string{kPythonCodec} +
                             "big = json.dumps({'items': ['무선 가습기 ' * 4] * 70000}).encode()\n"
                             "assert len(big) > 4 << 20, len(big)\n"
                             "member = gzip.compress(big, compresslevel=6)\n"
                             "assert len(member) < 64 << 10, len(member)\n"
                             "r.set('big:legacy', 'gzip:' + base64.b64encode(member).decode())\n"
                             "r.set('big:raw', member)\n"
                             "write('small', {'items': ['무선 가습기'] * 20000})\n",
                         {std::to_string(redis.port())});
    ASSERT_EQ(py.exit_code, 0) << py.err;
    for (const char* key : {"big:legacy", "big:raw"}) {
        auto got = svc.get(std::string{"/api/v1/cache/"} + key);
        EXPECT_EQ(got.status, 500) << key << ": " << got.body.substr(0, 200);
        const auto detail = std::string{json::parse(got.body).at("detail").as_string()};
        EXPECT_NE(detail.find("decodes to more than 1048576 bytes"), std::string::npos) << detail;
        EXPECT_NE(detail.find("HTTP_MAX_BODY_BYTES"), std::string::npos) << detail;
    }
    auto batch = svc.post("/api/v1/batch/get", R"({"keys":["small","big:raw"]})", kReaderToken);
    EXPECT_EQ(batch.status, 500) << batch.body.substr(0, 200);
    EXPECT_NE(batch.body.find("HTTP_MAX_BODY_BYTES"), std::string::npos) << batch.body.substr(0, 200);
    auto small = svc.get("/api/v1/cache/small");
    ASSERT_EQ(small.status, 200);
    EXPECT_EQ(json::parse(small.body).at("items").as_array().size(), 20000u);
    auto stats = json::parse(svc.get("/api/v1/monitoring/cache/stats").body);
    EXPECT_EQ(stats.at("decode_errors"), 3);
}

}  // namespace
}  // namespace yooni::test
