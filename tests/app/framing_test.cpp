// HTTP/1.1 framing the way RFC 9112 asks, against the real binary over raw
// sockets (issue #11, items 6 and 10): fields that decide who asks count only
// in the header, never in a chunked body's trailer; an HTTP/1.0 request with
// chunked framing is answered 400 and closed, so nothing smuggled behind it
// runs; an HTTP/1.1 request needs exactly one Host.
#include "support/http_client.hpp"
#include "support/service.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

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

// The answers' own framing (the service writes its header block itself):
// each answer on a kept-alive connection says its length and no Connection;
// the one asked to close says Connection: close; HTTP/1.0 keep-alive is said
// back; HEAD carries GET's length and no body; 304 carries neither; no field
// comes twice.
// `heads`: which answers are to HEAD requests (a length, and no body).
std::vector<std::string> split_answers(std::string raw, const std::vector<bool>& heads) {
    std::vector<std::string> out;
    while (!raw.empty()) {
        const auto end = raw.find("\r\n\r\n");
        if (end == std::string::npos) {
            out.push_back(raw);
            break;
        }
        const auto head = raw.substr(0, end + 4);
        std::size_t length = 0;
        if (const auto at = head.find("\r\nContent-Length: "); at != std::string::npos)
            length = std::stoul(head.substr(at + 18));
        const bool bodiless =
            head.rfind("HTTP/1.1 304", 0) == 0 || (out.size() < heads.size() && heads[out.size()]);
        const auto whole = std::min(raw.size(), end + 4 + (bodiless ? 0 : length));
        out.push_back(raw.substr(0, whole));
        raw.erase(0, whole);
    }
    return out;
}

std::vector<std::string> field_names(const std::string& answer) {
    std::vector<std::string> names;
    const auto head = answer.substr(0, answer.find("\r\n\r\n"));
    for (std::size_t at = head.find("\r\n"); at != std::string::npos; at = head.find("\r\n", at + 2)) {
        const auto line = head.substr(at + 2, head.find("\r\n", at + 2) - at - 2);
        names.push_back(line.substr(0, line.find(':')));
    }
    return names;
}

TEST_F(FramingTest, EachAnswerSaysItsLengthAndWhetherTheConnectionStays) {
    ASSERT_EQ(svc().put("/api/v1/cache/framing-doc", "{\"a\":1}").status, 200);
    const auto tag = svc().get("/api/v1/cache/framing-doc").header("etag");
    ASSERT_FALSE(tag.empty());
    const std::string auth = "Authorization: Bearer " + kReaderToken + "\r\n";
    const auto answers = split_answers(raw_exchange(
        svc().port(), "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n"
                      "HEAD /api/v1/cache/framing-doc HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n"
                      "GET /api/v1/cache/framing-doc HTTP/1.1\r\nHost: x\r\nIf-None-Match: " + tag + "\r\n" +
                          auth + "\r\n"
                          "GET /api/v1/cache/framing-doc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + auth +
                          "\r\n"),
        {false, true, false, false});
    ASSERT_EQ(answers.size(), 4u);
    const auto live = parse_response(answers[0]);
    EXPECT_EQ(live.status, 200) << answers[0];
    EXPECT_EQ(live.header("content-length"), std::to_string(live.body.size()));
    EXPECT_EQ(live.header("connection"), "");
    const auto head = parse_response(answers[1]);
    EXPECT_EQ(head.status, 200) << answers[1];
    EXPECT_EQ(head.header("content-length"), "7") << answers[1];
    EXPECT_TRUE(answers[1].ends_with("\r\n\r\n")) << "HEAD sent a body: " << answers[1];
    const auto not_modified = parse_response(answers[2]);
    EXPECT_EQ(not_modified.status, 304) << answers[2];
    EXPECT_EQ(not_modified.header("content-length"), "") << answers[2];
    EXPECT_EQ(not_modified.header("content-type"), "") << "a 304 has no content to type: " << answers[2];
    EXPECT_EQ(not_modified.header("etag"), tag);
    const auto last = parse_response(answers[3]);
    EXPECT_EQ(last.status, 200) << answers[3];
    EXPECT_EQ(last.body, "{\"a\":1}");
    EXPECT_EQ(last.header("connection"), "close");
    for (const auto& answer : answers) {
        auto names = field_names(answer);
        for (auto& n : names)
            for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::sort(names.begin(), names.end());
        EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end()) << "a field came twice: " << answer;
        EXPECT_TRUE(answer.find("\r\nServer: yooni-cache\r\n") != std::string::npos) << answer;
    }

    // An answer that closes the connection is framed the same way; to HEAD
    // without its body.
    const auto refused = raw_exchange(svc().port(), "HEAD /livez HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n");
    EXPECT_TRUE(refused.rfind("HTTP/1.1 413 ", 0) == 0) << refused;
    EXPECT_TRUE(refused.ends_with("\r\n\r\n")) << "HEAD got a body: " << refused;
    EXPECT_EQ(parse_response(refused).header("connection"), "close") << refused;
    EXPECT_EQ(parse_response(refused).header("cache-control"), "no-store") << refused;

    // No 100 Continue to an HTTP/1.0 client (RFC 9110 10.1.1).
    const auto old_expect = raw_exchange(
        svc().port(), "PUT /api/v1/cache/framing-old HTTP/1.0\r\nAuthorization: Bearer " + kWriterToken +
                          "\r\nContent-Type: application/json\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n{}");
    EXPECT_TRUE(old_expect.rfind("HTTP/1.0 200 OK\r\n", 0) == 0) << old_expect;
    EXPECT_EQ(old_expect.find(" 100 "), std::string::npos) << old_expect;

    // HTTP/1.0: kept alive only when asked, and then said back.
    const auto old = split_answers(raw_exchange(
        svc().port(), "GET /livez HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /livez HTTP/1.0\r\n\r\n"), {});
    ASSERT_EQ(old.size(), 2u);
    EXPECT_EQ(parse_response(old[0]).header("connection"), "keep-alive") << old[0];
    EXPECT_TRUE(old[1].rfind("HTTP/1.0 200 OK\r\n", 0) == 0) << old[1];
    EXPECT_EQ(parse_response(old[1]).header("connection"), "") << old[1];
}

}  // namespace
}  // namespace yooni::test
