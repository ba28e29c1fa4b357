// The real service binary over real sockets: the cache API, auth, errors,
// limits, health and metrics on the memory backend.
#include "support/http_client.hpp"
#include "support/service.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

namespace yooni::test {
namespace {

namespace json = boost::json;

std::string read_sample(const std::string& name) {
    std::ifstream f{std::string{YOONI_SOURCE_DIR} + "/bench/data/" + name};
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// One service for the many tests that do not need their own settings.
class ServiceTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { service_ = new Service(); }
    static void TearDownTestSuite() {
        delete service_;
        service_ = nullptr;
    }
    static Service* service_;
    const Service& svc() { return *service_; }
};
Service* ServiceTest::service_ = nullptr;

TEST_F(ServiceTest, LivezAndReadyzAnswerWithoutAuth) {
    EXPECT_EQ(svc().get("/livez", "").status, 200);
    auto ready = svc().get("/readyz", "");
    EXPECT_EQ(ready.status, 200);
    EXPECT_EQ(ready.body, R"({"status":"ready"})");  // nothing of the backend on a public route
}

TEST_F(ServiceTest, PutThenGetReturnsTheSameDocument) {
    const std::string doc = R"({"id":123,"name_ko":"무선 가습기","price_krw":42000})";
    auto put = svc().put("/api/v1/cache/product:123", doc);
    ASSERT_EQ(put.status, 200) << put.body;
    EXPECT_EQ(json::parse(put.body).at("ttl"), 300);
    auto got = svc().get("/api/v1/cache/product:123", kReaderToken);
    EXPECT_EQ(got.status, 200);
    EXPECT_EQ(got.body, doc);
    EXPECT_EQ(got.header("content-type"), "application/json");
}

TEST_F(ServiceTest, LargeDocumentRoundTripsThroughCompression) {
    const auto doc = read_sample("sample-catalogue-200k.json");
    ASSERT_GT(doc.size(), 100000u);
    ASSERT_EQ(svc().put("/api/v1/cache/catalogue:all", doc).status, 200);
    auto got = svc().get("/api/v1/cache/catalogue:all");
    ASSERT_EQ(got.status, 200);
    EXPECT_EQ(got.body, doc);
    auto stats = json::parse(svc().get("/api/v1/monitoring/cache/stats").body).as_object();
    EXPECT_GE(stats.at("compression").at("compressed_count").to_number<std::uint64_t>(), 1u);
    EXPECT_TRUE(stats.at("compression").as_object().contains("space_saved_percentage"));
}

TEST_F(ServiceTest, MissIs404WithDetail) {
    auto r = svc().get("/api/v1/cache/never-set-key");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(json::parse(r.body).at("detail"), "Key not found");
}

TEST_F(ServiceTest, DeleteReportsWhetherTheKeyExisted) {
    ASSERT_EQ(svc().put("/api/v1/cache/to-delete", "1").status, 200);
    auto first = svc().del("/api/v1/cache/to-delete");
    EXPECT_EQ(first.status, 200);
    EXPECT_EQ(json::parse(first.body).at("deleted"), true);
    EXPECT_EQ(json::parse(svc().del("/api/v1/cache/to-delete").body).at("deleted"), false);
    EXPECT_EQ(svc().get("/api/v1/cache/to-delete").status, 404);
}

TEST_F(ServiceTest, PercentEncodedKeysAreDecoded) {
    ASSERT_EQ(svc().put("/api/v1/cache/%7Buser%3A1%7D%3Aorders", "[1,2]").status, 200);
    EXPECT_EQ(svc().get("/api/v1/cache/{user:1}:orders").body, "[1,2]");
}

TEST_F(ServiceTest, MissingTokenIs401WithBearerChallenge) {
    auto r = svc().get("/api/v1/cache/x", "");
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.header("www-authenticate"), "Bearer");
    EXPECT_EQ(json::parse(r.body).at("detail"), "Not authenticated");
}

TEST_F(ServiceTest, BadTokenIs401WithThePythonSystemsDetail) {
    auto r = svc().get("/api/v1/monitoring/cache/stats", "not-a-token");
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.header("www-authenticate"), "Bearer");
    EXPECT_EQ(json::parse(r.body).at("detail"), "인증 정보를 확인할 수 없습니다");
}

TEST_F(ServiceTest, SchemeIsMatchedInAnyCase) {
    auto r = http_request(svc().port(), "GET", "/api/v1/monitoring/cache/stats",
                          {{"Authorization", "bEaReR " + kReaderToken}});
    EXPECT_EQ(r.status, 200);
}

TEST_F(ServiceTest, TwoAuthorizationHeadersAreRefused) {
    auto r = http_request(svc().port(), "GET", "/api/v1/monitoring/cache/stats",
                          {{"Authorization", "Bearer " + kReaderToken}, {"Authorization", "Bearer " + kAdminToken}});
    EXPECT_EQ(r.status, 401);
}

TEST_F(ServiceTest, ReadOnlyTokenCannotWrite) {
    auto r = svc().put("/api/v1/cache/x", "1", kReaderToken);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(svc().del("/api/v1/cache/x", kReaderToken).status, 403);
}

TEST_F(ServiceTest, StatsResetAndPatternDeleteNeedAdmin) {
    EXPECT_EQ(svc().post("/api/v1/monitoring/cache/stats/reset", "", kWriterToken).status, 403);
    EXPECT_EQ(svc().del("/api/v1/cache?pattern=x*", kWriterToken).status, 403);
    auto reset = svc().post("/api/v1/monitoring/cache/stats/reset", "", kAdminToken);
    EXPECT_EQ(reset.status, 200);
    EXPECT_TRUE(json::parse(reset.body).as_object().contains("timestamp"));
}

TEST_F(ServiceTest, TokenMintedByPythonJoseIsAccepted) {
    auto minted = run_python(
        "import sys, time, uuid\n"
        "from jose import jwt\n"
        "now = int(time.time())\n"
        "print(jwt.encode({'sub': '42', 'jti': uuid.uuid4().hex, 'exp': now + 600, 'iat': now}, sys.argv[1],"
        " algorithm='HS256'))\n",
        {kSecretKey});
    ASSERT_EQ(minted.exit_code, 0) << minted.err;
    std::string token = minted.out.substr(0, minted.out.find('\n'));
    // No role claim: AUTH_DEFAULT_ROLE, read (issue 11: an end user's access
    // token signed with the same key used to be able to write).
    ASSERT_EQ(svc().put("/api/v1/cache/jose-key", "true", kWriterToken).status, 200);
    EXPECT_EQ(svc().get("/api/v1/cache/jose-key", token).status, 200);
    EXPECT_EQ(svc().put("/api/v1/cache/jose-key", "false", token).status, 403);
    EXPECT_EQ(svc().del("/api/v1/cache/jose-key", token).status, 403);
    EXPECT_EQ(svc().post("/api/v1/monitoring/cache/stats/reset", "", token).status, 403);
    EXPECT_EQ(svc().get("/api/v1/cache/jose-key", token).body, "true");
}

// Issue 11: with AUTH_AUDIENCE and AUTH_ISSUER set, tokens the same key signed
// for another service or purpose are refused; `yooni-cache token` mints
// tokens the service accepts.
TEST(ServiceAudience, TokensForAnotherAudienceIssuerOrPurposeAreRefused) {
    ServiceOptions opt;
    opt.env = {"AUTH_AUDIENCE=yooni-cache", "AUTH_ISSUER=https://auth.yooni.example"};
    Service svc{opt};
    auto minted = run_python(
        "import sys, time, uuid\n"
        "from jose import jwt\n"
        "now = int(time.time())\n"
        "def mint(**extra):\n"
        "    claims = {'sub': '42', 'jti': uuid.uuid4().hex, 'exp': now + 600, 'iat': now, 'roles': ['write']}\n"
        "    claims.update(extra)\n"
        "    print(jwt.encode(claims, sys.argv[1], algorithm='HS256'))\n"
        "ours = dict(aud='yooni-cache', iss='https://auth.yooni.example')\n"
        "mint(**ours)\n"
        "mint(aud=['shop-web', 'yooni-cache'], iss='https://auth.yooni.example')\n"
        "mint(aud='shop-web', iss='https://auth.yooni.example')\n"
        "mint(iss='https://auth.yooni.example')\n"
        "mint(aud='yooni-cache', iss='https://other.example')\n"
        "mint(aud='yooni-cache')\n"
        "mint(type='password_reset', **ours)\n"
        "mint(token_type='refresh', **ours)\n",
        {kSecretKey});
    ASSERT_EQ(minted.exit_code, 0) << minted.err;
    std::vector<std::string> tokens;
    for (std::size_t at = 0, end; (end = minted.out.find('\n', at)) != std::string::npos; at = end + 1)
        tokens.push_back(minted.out.substr(at, end - at));
    ASSERT_EQ(tokens.size(), 8u);
    EXPECT_EQ(svc.put("/api/v1/cache/aud-key", "1", tokens[0]).status, 200);
    EXPECT_EQ(svc.put("/api/v1/cache/aud-key", "2", tokens[1]).status, 200);
    const char* refused[] = {"", "", "another audience", "no audience", "another issuer", "no issuer",
                             "type password_reset", "token_type refresh"};
    for (std::size_t i = 2; i < tokens.size(); ++i) {
        auto r = svc.get("/api/v1/cache/aud-key", tokens[i]);
        EXPECT_EQ(r.status, 401) << refused[i] << ": " << r.body;
    }
    auto cli = run_binary({"token", "--sub", "ops", "--role", "read"},
                          {"SECRET_KEY=" + kSecretKey, "AUTH_AUDIENCE=yooni-cache", "AUTH_ISSUER=https://auth.yooni.example"});
    ASSERT_EQ(cli.exit_code, 0) << cli.err;
    auto got = svc.get("/api/v1/cache/aud-key", cli.out.substr(0, cli.out.find('\n')));
    EXPECT_EQ(got.status, 200) << got.body;
    EXPECT_EQ(got.body, "2");
}

TEST_F(ServiceTest, BadTtlIs422InFastApisShape) {
    for (std::string ttl : {"-1", "abc", "1.5", ""}) {
        auto r = svc().put("/api/v1/cache/ttl-key?ttl=" + ttl, "1");
        ASSERT_EQ(r.status, 422) << ttl;
        auto detail = json::parse(r.body).at("detail").as_array();
        ASSERT_EQ(detail.size(), 1u);
        EXPECT_EQ(detail[0].at("loc"), (json::array{"query", "ttl"}));
        EXPECT_TRUE(detail[0].as_object().contains("msg"));
        EXPECT_TRUE(detail[0].as_object().contains("type"));
        EXPECT_TRUE(detail[0].as_object().contains("input"));
    }
}

TEST_F(ServiceTest, InvalidJsonBodyIs422) {
    auto r = svc().put("/api/v1/cache/bad-json", "{not json");
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(json::parse(r.body).at("detail").at(0).at("type"), "json_invalid");
    EXPECT_EQ(svc().get("/api/v1/cache/bad-json").status, 404);  // nothing stored
}

TEST_F(ServiceTest, BadKeysAre422) {
    EXPECT_EQ(svc().put("/api/v1/cache/" + std::string(1025, 'k'), "1").status, 422);
    EXPECT_EQ(svc().put("/api/v1/cache/" + std::string(1024, 'k'), "1").status, 200);
    EXPECT_EQ(svc().put("/api/v1/cache/%FF%FE", "1").status, 422);
    EXPECT_EQ(svc().put("/api/v1/cache/%zz", "1").status, 422);
}

TEST_F(ServiceTest, UnknownPathIs404AndWrongMethodIs405) {
    EXPECT_EQ(svc().get("/api/v1/nothing-here").status, 404);
    EXPECT_EQ(http_request(svc().port(), "POST", "/livez").status, 405);
}

TEST_F(ServiceTest, BatchSetGetDelete) {
    auto set = svc().post("/api/v1/batch/set",
                          R"({"items":[{"key":"b:1","value":{"n":1}},{"key":"b:2","value":[2],"ttl":60}],"ttl":120})");
    ASSERT_EQ(set.status, 200) << set.body;
    EXPECT_EQ(json::parse(set.body).at("stored"), 2);
    auto got = svc().post("/api/v1/batch/get", R"({"keys":["b:1","b:2","b:3"]})", kReaderToken);
    ASSERT_EQ(got.status, 200);
    auto o = json::parse(got.body).as_object();
    EXPECT_EQ(o.at("values").at("b:1"), (json::object{{"n", 1}}));
    EXPECT_EQ(o.at("values").at("b:2"), (json::array{2}));
    EXPECT_EQ(o.at("missing"), (json::array{"b:3"}));
    auto del = svc().post("/api/v1/batch/delete", R"({"keys":["b:1","b:2","b:3"]})");
    EXPECT_EQ(json::parse(del.body).at("deleted"), 2);
}

TEST_F(ServiceTest, BatchBodiesAreValidated) {
    EXPECT_EQ(svc().post("/api/v1/batch/get", R"({"keys":"b:1"})").status, 422);
    EXPECT_EQ(svc().post("/api/v1/batch/get", R"({"nokeys":[]})").status, 422);
    EXPECT_EQ(svc().post("/api/v1/batch/set", R"({"items":[{"key":"k"}]})").status, 422);
    EXPECT_EQ(svc().post("/api/v1/batch/set", R"({"items":[{"key":"k","value":1,"ttl":-5}]})").status, 422);
}

TEST_F(ServiceTest, PatternDeleteUsesRedisGlobRules) {
    for (std::string k : {"pd:a1", "pd:b1", "pd:c1", "pd:a22", "other:a1"})
        ASSERT_EQ(svc().put("/api/v1/cache/" + k, "1").status, 200);
    auto r = svc().del("/api/v1/cache?pattern=pd:%5Bab%5D%3F", kAdminToken);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body).at("deleted"), 2);
    EXPECT_EQ(svc().get("/api/v1/cache/pd:c1").status, 200);
    EXPECT_EQ(svc().get("/api/v1/cache/pd:a22").status, 200);
    EXPECT_EQ(svc().get("/api/v1/cache/pd:a1").status, 404);
}

TEST_F(ServiceTest, StatsCountHitsAndMissesWithThePythonFieldNames) {
    ASSERT_EQ(svc().post("/api/v1/monitoring/cache/stats/reset", "", kAdminToken).status, 200);
    ASSERT_EQ(svc().put("/api/v1/cache/stat-key", "1").status, 200);
    svc().get("/api/v1/cache/stat-key");
    svc().get("/api/v1/cache/stat-key");
    svc().get("/api/v1/cache/stat-missing");
    auto o = json::parse(svc().get("/api/v1/monitoring/cache/stats").body).as_object();
    EXPECT_EQ(o.at("hits"), 2);
    EXPECT_EQ(o.at("misses"), 1);
    EXPECT_EQ(o.at("sets"), 1);
    EXPECT_EQ(o.at("total_requests"), 3);
    EXPECT_EQ(o.at("hit_rate"), "66.67%");
    for (auto field : {"deletes", "errors", "compression", "timestamp"}) EXPECT_TRUE(o.contains(field)) << field;
}

TEST_F(ServiceTest, ClusterInfoSaysNotClusterMode) {
    auto o = json::parse(svc().get("/api/v1/monitoring/cache/cluster/info").body).as_object();
    EXPECT_EQ(o.at("cluster_enabled"), false);
    EXPECT_EQ(o.at("message"), "Cache is not running in cluster mode");
}

TEST_F(ServiceTest, HealthDetailedReportsConnectedCache) {
    auto o = json::parse(svc().get("/api/v1/monitoring/health/detailed").body).as_object();
    EXPECT_EQ(o.at("cache").at("connected"), true);
    EXPECT_TRUE(o.at("cache").as_object().contains("stats"));
}

TEST_F(ServiceTest, MetricsPassPromtool) {
    svc().get("/api/v1/cache/metrics-probe");
    auto r = svc().get("/metrics", "");
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("yooni_cache_operation_duration_seconds_bucket{op=\"get\",le=\"0.0001\"}"), std::string::npos);
    auto check = run_command({"promtool", "check", "metrics"}, r.body);
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST_F(ServiceTest, OpenApiListsEveryRoute) {
    auto r = svc().get("/openapi.json", "");
    ASSERT_EQ(r.status, 200);
    auto doc = json::parse(r.body).as_object();
    EXPECT_EQ(doc.at("openapi"), "3.1.0");
    EXPECT_TRUE(doc.at("paths").as_object().contains("/api/v1/cache/{key}"));
}

TEST_F(ServiceTest, BodyOverTheLimitIs413) {
    // The default limit is 8 MiB; declare more than that without sending it.
    auto raw = raw_exchange(svc().port(),
                            "PUT /api/v1/cache/big HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kWriterToken +
                                "\r\nContent-Length: 9000000\r\n\r\n{");
    EXPECT_EQ(parse_response(raw).status, 413);
}

TEST_F(ServiceTest, OversizedHeaderIs431) {
    auto raw = raw_exchange(svc().port(), "GET /livez HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'a') +
                                              "\r\n\r\n");
    auto r = parse_response(raw);
    EXPECT_TRUE(r.status == 431 || r.status == 0) << r.status;
}

TEST_F(ServiceTest, TransferEncodingWithContentLengthIsRefused) {
    auto raw = raw_exchange(svc().port(),
                            "PUT /api/v1/cache/smuggle HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kWriterToken +
                                "\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n1\r\n0\r\n\r\n");
    EXPECT_EQ(parse_response(raw).status, 400);
    EXPECT_EQ(svc().get("/api/v1/cache/smuggle").status, 404);
}

TEST_F(ServiceTest, TransferEncodingOtherThanChunkedIsRefused) {
    auto raw = raw_exchange(svc().port(), "PUT /api/v1/cache/te HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                                              kWriterToken + "\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n");
    EXPECT_EQ(parse_response(raw).status, 400);
}

TEST_F(ServiceTest, ChunkedBodyIsAccepted) {
    auto raw = raw_exchange(svc().port(), "PUT /api/v1/cache/chunked HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                          "Authorization: Bearer " + kWriterToken +
                                              "\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n[1\r\n1\r\n]\r\n0\r\n\r\n");
    EXPECT_EQ(parse_response(raw).status, 200) << raw;
    EXPECT_EQ(svc().get("/api/v1/cache/chunked").body, "[1]");
}

TEST_F(ServiceTest, MalformedRequestLineIs400) {
    auto r = parse_response(raw_exchange(svc().port(), "GARBAGE\x01 / HTTP/9.9\r\n\r\n"));
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(svc().get("/livez", "").status, 200);  // and everyone else is still served
}

TEST_F(ServiceTest, KeepAliveServesManyRequestsOnOneConnection) {
    RawConnection c{svc().port()};
    std::string req = "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n";
    ASSERT_TRUE(c.send(req + req + req));
    auto answers = [](const std::string& out) {
        std::size_t count = 0;
        for (auto pos = out.find("HTTP/1.1 200"); pos != std::string::npos; pos = out.find("HTTP/1.1 200", pos + 1))
            ++count;
        return count;
    };
    // Until the third answer (or the server closes); the cap only ends a failing wait.
    auto out = c.read_until(
        [&](const std::string& got) {
            return answers(got) >= 3 && complete_response(got.substr(got.rfind("HTTP/1.1 200")));
        },
        std::chrono::seconds(30));
    EXPECT_EQ(answers(out), 3u) << out;
}

TEST_F(ServiceTest, ConcurrentClientsAllGetAnswers) {
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 25; ++i) {
                const auto key = "/api/v1/cache/conc:" + std::to_string(t) + ":" + std::to_string(i);
                if (svc().put(key, std::to_string(i)).status == 200 && svc().get(key).body == std::to_string(i)) ++ok;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 200);
}


// A batch value is stored byte for byte as it was written in the body, as
// PUT stores its body: numbers are not rewritten by a round trip through a
// double, and the spacing inside a value is kept.
TEST_F(ServiceTest, BatchValuesAreStoredAsTheyWereWritten) {
    std::string numbers = "[";
    for (int i = 0; i < 1000; ++i) numbers += "1e5,";
    numbers.back() = ']';
    const std::string body = R"({"items":[ {"key":"w:1", "value" : 1e5 },
        {"key":"w:2","value":12345678901234567890123},
        {"key":"w:3","value":{ "price" : 19.90, "name":"caf\u00e9 \"}]" }},
        {"key":"w:4","val\u0075e":[1.0, -0]},
        {"key":"w:5","value":"first","value":"last"},
        {"key":"w:6","value":)" + numbers + R"(}]})";
    auto set = svc().post("/api/v1/batch/set", body);
    ASSERT_EQ(set.status, 200) << set.body;
    EXPECT_EQ(json::parse(set.body).at("stored"), 6);
    EXPECT_EQ(svc().get("/api/v1/cache/w:1").body, "1e5");
    EXPECT_EQ(svc().get("/api/v1/cache/w:2").body, "12345678901234567890123");
    EXPECT_EQ(svc().get("/api/v1/cache/w:3").body, R"({ "price" : 19.90, "name":"caf\u00e9 \"}]" })");
    EXPECT_EQ(svc().get("/api/v1/cache/w:4").body, "[1.0, -0]");
    EXPECT_EQ(svc().get("/api/v1/cache/w:5").body, R"("last")") << "the member the JSON parser keeps";
    EXPECT_EQ(svc().get("/api/v1/cache/w:6").body, numbers);
    auto got = svc().post("/api/v1/batch/get", R"({"keys":["w:2"]})", kReaderToken);
    EXPECT_EQ(got.body, R"({"found":1,"values":{"w:2":12345678901234567890123},"missing":[]})");
}

}  // namespace
}  // namespace yooni::test
