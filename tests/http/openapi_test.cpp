// The OpenAPI document is written by hand; it must describe exactly the routes
// the router serves.
#include <yooni/http/api.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace yooni::http {
namespace {

std::string lower(std::string_view s) {
    std::string out{s};
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

TEST(OpenApi, DocumentListsExactlyTheRoutersRoutes) {
    auto doc = boost::json::parse(openapi_document()).as_object();
    std::set<std::pair<std::string, std::string>> documented, served;
    for (const auto& [path, item] : doc.at("paths").as_object())
        for (const auto& [method, op] : item.as_object())
            if (method != "parameters") documented.emplace(std::string{path}, std::string{method});
    for (const auto& r : routes()) served.emplace(std::string{r.path}, lower(r.method));
    EXPECT_EQ(documented, served);
}

TEST(OpenApi, RoutesWithoutAuthDeclareNoSecurity) {
    auto doc = boost::json::parse(openapi_document()).as_object();
    for (const auto& r : routes()) {
        const auto& op = doc.at("paths").at(r.path).at(lower(r.method)).as_object();
        const bool open = op.contains("security") && op.at("security").as_array().empty();
        EXPECT_EQ(open, !r.role.has_value()) << r.path;
    }
}

TEST(Router, MatchesEveryRouteByMethodAndPath) {
    for (const auto& r : routes()) {
        std::string path{r.path};
        if (auto p = path.find("{key}"); p != std::string::npos) path.replace(p, 5, "some:key");
        EXPECT_EQ(Api::match(r.method, path), r.id) << r.method << " " << path;
    }
}

TEST(Router, WrongMethodOnAKnownPathIsAMethodMismatch) {
    bool mismatch = false;
    EXPECT_EQ(Api::match("POST", "/api/v1/cache/k", &mismatch), RouteId::not_found);
    EXPECT_TRUE(mismatch);
    EXPECT_EQ(Api::match("GET", "/nope", &mismatch), RouteId::not_found);
    EXPECT_FALSE(mismatch);
}

TEST(Router, EmptyKeyIsNotACacheRoute) {
    EXPECT_EQ(Api::match("GET", "/api/v1/cache/"), RouteId::not_found);
}

TEST(PercentDecode, DecodesAndRefusesMalformedEscapes) {
    EXPECT_EQ(percent_decode("a%2Fb%7B", false), "a/b{");
    EXPECT_EQ(percent_decode("a+b", false), "a+b");
    EXPECT_EQ(percent_decode("a+b", true), "a b");
    EXPECT_FALSE(percent_decode("%", false));
    EXPECT_FALSE(percent_decode("%4", false));
    EXPECT_FALSE(percent_decode("%zz", false));
}

TEST(QueryParam, FindsDecodedValues) {
    EXPECT_EQ(query_param("a=1&ttl=60", "ttl"), "60");
    EXPECT_EQ(query_param("pattern=user%3A*", "pattern"), "user:*");
    EXPECT_FALSE(query_param("a=1", "ttl"));
    bool bad = false;
    EXPECT_FALSE(query_param("ttl=%G1", "ttl", &bad));
    EXPECT_TRUE(bad);
}

}  // namespace
}  // namespace yooni::http
