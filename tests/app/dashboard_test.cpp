// The dashboard's files as the real binary serves them: embedded (the test
// compares them with src/http/dashboard/), without auth, with a
// Content-Security-Policy that allows no inline script or style, and with
// ETag revalidation. Its behaviour in a browser is tests/dashboard/.
#include "support/service.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace yooni::test {
namespace {

std::string source_file(const std::string& name) {
    std::ifstream f{std::string{YOONI_SOURCE_DIR} + "/src/http/dashboard/" + name, std::ios::binary};
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

TEST(Dashboard, PageAndFilesAreServedFromTheBinaryWithoutAToken) {
    Service svc;
    struct Want { std::string target, file, type; };
    const Want wants[] = {
        {"/dashboard", "index.html", "text/html; charset=utf-8"},
        {"/dashboard/", "index.html", "text/html; charset=utf-8"},
        {"/dashboard/dashboard.js", "dashboard.js", "text/javascript; charset=utf-8"},
        {"/dashboard/dashboard.css", "dashboard.css", "text/css; charset=utf-8"},
        {"/dashboard/favicon.svg", "favicon.svg", "image/svg+xml"},
    };
    for (const auto& w : wants) {
        auto r = svc.get(w.target, "");
        ASSERT_EQ(r.status, 200) << w.target << ": " << r.body;
        EXPECT_EQ(r.body, source_file(w.file)) << w.target;
        EXPECT_EQ(r.header("content-type"), w.type) << w.target;
        EXPECT_EQ(r.header("x-content-type-options"), "nosniff") << w.target;
        EXPECT_FALSE(r.header("etag").empty()) << w.target;
    }
}

TEST(Dashboard, PolicyAllowsOnlyTheDashboardsOwnFiles) {
    Service svc;
    auto r = svc.get("/dashboard", "");
    const auto csp = r.header("content-security-policy");
    EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("style-src 'self'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("http"), std::string::npos) << "no other origin: " << csp;
    // Nothing inline for the policy to refuse, and nothing loaded from elsewhere.
    const auto html = source_file("index.html");
    EXPECT_EQ(html.find("<script>"), std::string::npos);
    EXPECT_EQ(html.find("style="), std::string::npos);
    EXPECT_EQ(html.find("<style"), std::string::npos);
    EXPECT_EQ(html.find("//"), std::string::npos) << "no absolute or protocol-relative URL";
    const auto js = source_file("dashboard.js");
    for (const char* sink : {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "localStorage"})
        EXPECT_EQ(js.find(sink), std::string::npos) << sink;
}

TEST(Dashboard, UnchangedFilesAreRevalidatedWithTheirEntityTag) {
    Service svc;
    auto first = svc.get("/dashboard/dashboard.js", "");
    const auto tag = first.header("etag");
    ASSERT_FALSE(tag.empty());
    EXPECT_EQ(first.header("cache-control"), "no-cache");
    auto again = http_request(svc.port(), "GET", "/dashboard/dashboard.js", {{"If-None-Match", tag}});
    EXPECT_EQ(again.status, 304);
    EXPECT_TRUE(again.body.empty());
    EXPECT_EQ(again.header("etag"), tag);
    auto other = http_request(svc.port(), "GET", "/dashboard/dashboard.js", {{"If-None-Match", "\"0\""}});
    EXPECT_EQ(other.status, 200);
}

TEST(Dashboard, OtherNamesAreNotFoundAndOtherMethodsNotAllowed) {
    Service svc;
    for (const char* target : {"/dashboard/nope.js", "/dashboard/../README.md", "/dashboard/%2e%2e/README.md",
                               "/dashboard/dashboard.js/", "/dashboard//index.html", "/dashboard/.hidden",
                               "/dashboardx"})
        EXPECT_EQ(svc.get(target, "").status, 404) << target;
    EXPECT_EQ(svc.post("/dashboard", "{}", "").status, 405);
    EXPECT_EQ(svc.put("/dashboard/dashboard.js", "{}", "").status, 405);
    // The data behind the page still needs a token.
    EXPECT_EQ(svc.get("/api/v1/monitoring/cache/stats", "").status, 401);
    EXPECT_EQ(svc.get("/readyz", "").status, 200);
}

}  // namespace
}  // namespace yooni::test
