// HTTP/1.1 framing the way RFC 9112 asks, against the real binary over raw
// sockets (issue #11, items 6 and 10): fields that decide who asks count only
// in the header, never in a chunked body's trailer; an HTTP/1.0 request with
// chunked framing is answered 400 and closed, so nothing smuggled behind it
// runs; an HTTP/1.1 request needs exactly one Host.
#include "support/http_client.hpp"
#include "support/service.hpp"

#include <gtest/gtest.h>

namespace yooni::test {
namespace {

class FramingTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { service_ = new Service{}; }
    static void TearDownTestSuite() {
        delete service_;
        service_ = nullptr;
    }
    static Service& svc() { return *service_; }
    static Service* service_;
};
Service* FramingTest::service_ = nullptr;

TEST_F(FramingTest, CredentialsInAChunkedTrailerDoNotAuthenticate) {
    const std::string raw = raw_exchange(
        svc().port(), "PUT /api/v1/cache/trailer-auth HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nAuthorization: Bearer " +
                          kAdminToken + "\r\n\r\n");
    const auto r = parse_response(raw);
    EXPECT_TRUE(r.status == 400 || r.status == 401) << raw;
    EXPECT_EQ(svc().get("/api/v1/cache/trailer-auth").status, 404) << "the trailer's token wrote the key";
}

TEST_F(FramingTest, ATrailerThatChangesTheContentTypeOrConnectionIsRefused) {
    for (const std::string field : {"Content-Type: text/plain", "Connection: keep-alive", "If-Match: \"x\""}) {
        const std::string raw = raw_exchange(
            svc().port(), "PUT /api/v1/cache/trailer-field HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                          "Authorization: Bearer " + kWriterToken +
                              "\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n" + field + "\r\n\r\n");
        EXPECT_EQ(parse_response(raw).status, 400) << field << ": " << raw;
    }
    // A harmless trailer field is no reason to refuse.
    const std::string ok = raw_exchange(
        svc().port(), "PUT /api/v1/cache/trailer-ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer " +
                          kWriterToken + "\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nX-Checksum: 1\r\n\r\n");
    EXPECT_EQ(parse_response(ok).status, 200) << ok;
}

TEST_F(FramingTest, Http10WithChunkedFramingIsAnsweredAndClosedSoNothingIsSmuggled) {
    // The smuggled second request would delete a key; it must never run.
    ASSERT_EQ(svc().put("/api/v1/cache/smuggle-target", "{\"kept\":true}").status, 200);
    const std::string raw = raw_exchange(
        svc().port(), "PUT /api/v1/cache/smuggle HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n"
                      "Authorization: Bearer " + kWriterToken +
                          "\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
                          "DELETE /api/v1/cache/smuggle-target HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                          kWriterToken + "\r\n\r\n");
    EXPECT_EQ(parse_response(raw).status, 400) << raw;
    EXPECT_EQ(raw.find("HTTP/1.1 200", 12), std::string::npos) << "a second answer came: " << raw;
    EXPECT_EQ(svc().get("/api/v1/cache/smuggle-target").status, 200);
}

TEST_F(FramingTest, Http11NeedsExactlyOneHost) {
    EXPECT_EQ(parse_response(raw_exchange(svc().port(), "GET /livez HTTP/1.1\r\nConnection: close\r\n\r\n")).status, 400);
    EXPECT_EQ(parse_response(raw_exchange(svc().port(),
                                          "GET /livez HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n"))
                  .status,
              400);
    EXPECT_EQ(parse_response(raw_exchange(svc().port(), "GET /livez HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"))
                  .status,
              200);
    // HTTP/1.0 had no Host requirement.
    EXPECT_EQ(parse_response(raw_exchange(svc().port(), "GET /livez HTTP/1.0\r\n\r\n")).status, 200);
}

}  // namespace
}  // namespace yooni::test
