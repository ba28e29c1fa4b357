// Issue 11, least privilege over keys: API_KEY_PREFIXES confines every cache
// route of the real service (over sockets) to the configured prefixes, a JWT's
// key_prefixes claim narrows one token further, and without either everything
// works as before. On a Redis the service shares, a key written there by
// someone else outside the prefixes stays unreadable and undeleted.
#include <yooni/http/jwt.hpp>

#include "support/redis_server.hpp"
#include "support/service.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace yooni::test {
namespace {

namespace json = boost::json;

const std::string kOutside = R"({"detail":"Key outside the allowed prefixes"})";

// An HS256 JWT signed with the service's SECRET_KEY, with `extra` claims.
std::string jwt(const std::string& extra) {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    const std::string payload = R"({"sub":"scoped-user","jti":"j-scope","iat":)" + std::to_string(now) +
                                R"(,"exp":)" + std::to_string(now + 3600) + extra + "}";
    const std::string input = http::base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." +
                              http::base64url_encode(payload);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), kSecretKey.data(), static_cast<int>(kSecretKey.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &length);
    return input + "." + http::base64url_encode({reinterpret_cast<const char*>(mac), length});
}

void expect_outside(const HttpResponse& r, const std::string& what) {
    EXPECT_EQ(r.status, 403) << what << ": " << r.body;
    EXPECT_EQ(r.body, kOutside) << what;
}

// One service with API_KEY_PREFIXES=product:,order: on the memory backend.
class KeyScope : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        ServiceOptions opt;
        opt.env = {"API_KEY_PREFIXES=product:,order:"};
        service_ = new Service(opt);
    }
    static void TearDownTestSuite() {
        delete service_;
        service_ = nullptr;
    }
    static const Service& svc() { return *service_; }
    static Service* service_;
};
Service* KeyScope::service_ = nullptr;

TEST_F(KeyScope, ReadTokenCannotReadOutsideThePrefixes) {
    ASSERT_EQ(svc().put("/api/v1/cache/product:1", R"({"id":1})", kAdminToken).status, 200);
    expect_outside(svc().get("/api/v1/cache/session:42", kReaderToken), "GET session:42");
    // Percent-encoded, the key is compared decoded.
    expect_outside(svc().get("/api/v1/cache/%73ession:42", kReaderToken), "GET %73ession:42");
    // Not a prefix: a key that only contains one.
    expect_outside(svc().get("/api/v1/cache/x:product:1", kReaderToken), "GET x:product:1");
    auto inside = svc().get("/api/v1/cache/product:1", kReaderToken);
    EXPECT_EQ(inside.status, 200) << inside.body;
    EXPECT_EQ(inside.body, R"({"id":1})");
    EXPECT_EQ(svc().get("/api/v1/cache/order:missing", kReaderToken).status, 404);
}

TEST_F(KeyScope, AdminTokenIsConfinedToo) {
    expect_outside(svc().get("/api/v1/cache/session:42", kAdminToken), "admin GET");
    expect_outside(svc().put("/api/v1/cache/session:42", "1", kAdminToken), "admin PUT");
}

TEST_F(KeyScope, WriteTokenCannotPutOrDeleteOutside) {
    expect_outside(svc().put("/api/v1/cache/session:42", R"({"user":42})", kWriterToken), "PUT session:42");
    expect_outside(svc().del("/api/v1/cache/session:42", kWriterToken), "DELETE session:42");
    expect_outside(svc().put("/api/v1/cache/Product:1", "1", kWriterToken), "PUT Product:1 (case differs)");
    ASSERT_EQ(svc().put("/api/v1/cache/order:7", R"({"total":1})", kWriterToken).status, 200);
    auto deleted = svc().del("/api/v1/cache/order:7", kWriterToken);
    EXPECT_EQ(deleted.status, 200);
    EXPECT_EQ(json::parse(deleted.body).at("deleted"), true);
}

TEST_F(KeyScope, BatchWithOneKeyOutsideIsRefusedWhole) {
    expect_outside(svc().post("/api/v1/batch/set",
                              R"({"items":[{"key":"product:b1","value":1},{"key":"session:42","value":2}]})",
                              kWriterToken),
                   "batch/set");
    EXPECT_EQ(svc().get("/api/v1/cache/product:b1", kAdminToken).status, 404) << "part of a refused batch was stored";

    ASSERT_EQ(svc().put("/api/v1/cache/product:b2", "2", kWriterToken).status, 200);
    expect_outside(svc().post("/api/v1/batch/get", R"({"keys":["product:b2","session:42"]})", kReaderToken),
                   "batch/get");
    expect_outside(svc().post("/api/v1/batch/delete", R"({"keys":["product:b2","session:42"]})", kWriterToken),
                   "batch/delete");
    EXPECT_EQ(svc().get("/api/v1/cache/product:b2", kAdminToken).status, 200) << "part of a refused batch was deleted";

    // Every key inside: served.
    auto got = svc().post("/api/v1/batch/get", R"({"keys":["product:b2","order:none"]})", kReaderToken);
    ASSERT_EQ(got.status, 200) << got.body;
    EXPECT_EQ(json::parse(got.body).at("found"), 1);
    auto set = svc().post("/api/v1/batch/set", R"({"items":[{"key":"product:b3","value":3},{"key":"order:b3","value":4}]})",
                          kWriterToken);
    EXPECT_EQ(set.status, 200) << set.body;
    auto del = svc().post("/api/v1/batch/delete", R"({"keys":["product:b3","order:b3"]})", kWriterToken);
    ASSERT_EQ(del.status, 200) << del.body;
    EXPECT_EQ(json::parse(del.body).at("deleted"), 2);
}

TEST_F(KeyScope, PatternDeleteMustStartLiterallyWithAPrefix) {
    for (std::string k : {"product:p1", "product:p2", "order:p1"})
        ASSERT_EQ(svc().put("/api/v1/cache/" + k, "1", kWriterToken).status, 200);
    for (std::string pattern : {"*", "%2A", "%3Froduct:*", "%5Bp%5Droduct:*", "prod*", "%5Cproduct:*", "product*",
                                       "session:*"}) {
        expect_outside(svc().del("/api/v1/cache?pattern=" + pattern, kAdminToken), "pattern=" + pattern);
    }
    EXPECT_EQ(svc().get("/api/v1/cache/product:p1", kAdminToken).status, 200) << "a refused pattern deleted a key";

    auto r = svc().del("/api/v1/cache?pattern=product:p*", kAdminToken);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body).at("deleted"), 2);
    EXPECT_EQ(svc().get("/api/v1/cache/order:p1", kAdminToken).status, 200);
    // A pattern without glob characters is its own literal head.
    auto literal = svc().del("/api/v1/cache?pattern=order:p1", kAdminToken);
    ASSERT_EQ(literal.status, 200) << literal.body;
    EXPECT_EQ(json::parse(literal.body).at("deleted"), 1);
}

TEST_F(KeyScope, TokenClaimNarrowsWithinTheConfiguredPrefixes) {
    const auto narrow = jwt(R"(,"roles":["write"],"key_prefixes":["product:a"])");
    EXPECT_EQ(svc().put("/api/v1/cache/product:a1", "1", narrow).status, 200);
    EXPECT_EQ(svc().get("/api/v1/cache/product:a1", narrow).status, 200);
    expect_outside(svc().put("/api/v1/cache/product:b1", "1", narrow), "outside the token's prefixes");
    expect_outside(svc().get("/api/v1/cache/order:1", narrow), "inside the service's, outside the token's");
    expect_outside(svc().post("/api/v1/batch/get", R"({"keys":["product:a1","product:b2"]})", narrow), "batch/get");

    // A token prefix outside the configured ones grants nothing beyond them.
    const auto wider = jwt(R"(,"roles":["admin"],"key_prefixes":["session:","product:"])");
    expect_outside(svc().get("/api/v1/cache/session:42", wider), "the token's prefix, not the service's");
    EXPECT_EQ(svc().get("/api/v1/cache/product:a1", wider).status, 200);
    expect_outside(svc().del("/api/v1/cache?pattern=session:*", wider), "pattern=session:*");

    // An empty list: no key at all, but the token still authenticates.
    const auto none = jwt(R"(,"roles":["read"],"key_prefixes":[])");
    expect_outside(svc().get("/api/v1/cache/product:a1", none), "key_prefixes []");
    EXPECT_EQ(svc().get("/api/v1/monitoring/cache/stats", none).status, 200);
}

TEST_F(KeyScope, MalformedClaimRefusesTheToken) {
    for (std::string claim : {R"("product:")", R"(["product:",7])", R"(["product:",""])", "null"}) {
        auto r = svc().get("/api/v1/cache/product:1", jwt(R"(,"roles":["read"],"key_prefixes":)" + claim));
        EXPECT_EQ(r.status, 401) << claim << ": " << r.body;
        EXPECT_EQ(r.header("www-authenticate"), "Bearer") << claim;
    }
}

TEST(KeyScopeClaim, NarrowsWithoutConfiguredPrefixes) {
    Service svc;
    const auto narrow = jwt(R"(,"roles":["admin"],"key_prefixes":["tenant:7:"])");
    EXPECT_EQ(svc.put("/api/v1/cache/tenant:7:cart", "1", narrow).status, 200);
    expect_outside(svc.put("/api/v1/cache/tenant:8:cart", "1", narrow), "another tenant");
    expect_outside(svc.del("/api/v1/cache?pattern=tenant:*", narrow), "pattern=tenant:*");
    auto own = svc.del("/api/v1/cache?pattern=tenant:7:*", narrow);
    ASSERT_EQ(own.status, 200) << own.body;
    EXPECT_EQ(json::parse(own.body).at("deleted"), 1);
}

// Without API_KEY_PREFIXES and without the claim, every key is reachable, as before.
TEST(KeyScopeNone, EverythingWorksAsBefore) {
    Service svc;
    EXPECT_EQ(svc.put("/api/v1/cache/session:42", R"({"user":42})", kWriterToken).status, 200);
    EXPECT_EQ(svc.get("/api/v1/cache/session:42", kReaderToken).status, 200);
    EXPECT_EQ(svc.post("/api/v1/batch/get", R"({"keys":["session:42","x"]})", kReaderToken).status, 200);
    EXPECT_EQ(svc.post("/api/v1/batch/set", R"({"items":[{"key":"any:1","value":1}]})", kWriterToken).status, 200);
    EXPECT_EQ(svc.post("/api/v1/batch/delete", R"({"keys":["any:1"]})", kWriterToken).status, 200);
    auto all = svc.del("/api/v1/cache?pattern=*", kAdminToken);
    ASSERT_EQ(all.status, 200) << all.body;
    EXPECT_EQ(json::parse(all.body).at("deleted"), 1);
}

// A Redis the service shares: what others keep there outside the prefixes is
// out of reach of every route, whoever asks.
TEST(KeyScopeRedis, KeysWrittenDirectlyOutsideThePrefixesStayUnreadableAndUndeleted) {
    RedisServer redis;
    ASSERT_EQ(redis.cli({"SET", "session:42", R"({"user":42,"token":"s3cr3t"})"}).out, "OK\n");
    ASSERT_EQ(redis.cli({"SET", "product:1", R"({"id":1})"}).out, "OK\n");
    ServiceOptions opt;
    opt.env = {"REDIS_URL=redis://127.0.0.1:" + std::to_string(redis.port()) + "/0", "API_KEY_PREFIXES=product:,order:"};
    Service svc{opt};
    // The control: a key inside the prefixes, written the same way, is served.
    auto inside = svc.get("/api/v1/cache/product:1", kReaderToken);
    ASSERT_EQ(inside.status, 200) << inside.body << svc.log();
    EXPECT_EQ(inside.body, R"({"id":1})");

    expect_outside(svc.get("/api/v1/cache/session:42", kAdminToken), "GET");
    expect_outside(svc.post("/api/v1/batch/get", R"({"keys":["session:42"]})", kAdminToken), "batch/get");
    expect_outside(svc.del("/api/v1/cache/session:42", kAdminToken), "DELETE");
    expect_outside(svc.post("/api/v1/batch/delete", R"({"keys":["session:42"]})", kAdminToken), "batch/delete");
    expect_outside(svc.put("/api/v1/cache/session:42", R"({"user":1})", kAdminToken), "PUT");
    expect_outside(svc.del("/api/v1/cache?pattern=*", kAdminToken), "pattern=*");
    expect_outside(svc.del("/api/v1/cache?pattern=session:*", kAdminToken), "pattern=session:*");
    auto products = svc.del("/api/v1/cache?pattern=product:*", kAdminToken);
    ASSERT_EQ(products.status, 200) << products.body;
    EXPECT_EQ(json::parse(products.body).at("deleted"), 1);

    EXPECT_EQ(redis.cli({"GET", "session:42"}).out, "{\"user\":42,\"token\":\"s3cr3t\"}\n") << "session:42 was touched";
    EXPECT_EQ(redis.cli({"EXISTS", "product:1"}).out, "0\n");
}

}  // namespace
}  // namespace yooni::test
