// The key scope rule in-process (the service's routes are tested over sockets
// in tests/app/key_scope_test.cpp): API_KEY_PREFIXES and the token's
// key_prefixes claim, both required when both are given; a pattern judged by
// its literal head.
#include "http/handlers.hpp"

#include <gtest/gtest.h>

namespace yooni::http::detail {
namespace {

ApiOptions configured(std::vector<std::string> prefixes) {
    ApiOptions o;
    o.key_prefixes = std::move(prefixes);
    return o;
}

Principal token(std::optional<std::vector<std::string>> prefixes) {
    Principal p;
    p.subject = "42";
    p.key_prefixes = std::move(prefixes);
    return p;
}

TEST(KeyScopeRule, NothingConfiguredAllowsEveryKey) {
    const ApiOptions none;
    const auto plain = token(std::nullopt);
    EXPECT_TRUE(key_allowed("session:42", &plain, none));
    EXPECT_TRUE(key_allowed("session:42", nullptr, none));
    EXPECT_TRUE(pattern_allowed("*", &plain, none));
}

TEST(KeyScopeRule, ConfiguredPrefixesAreRequired) {
    const auto o = configured({"product:", "order:"});
    EXPECT_TRUE(key_allowed("product:1", nullptr, o));
    EXPECT_TRUE(key_allowed("order:", nullptr, o));
    EXPECT_FALSE(key_allowed("session:42", nullptr, o));
    EXPECT_FALSE(key_allowed("product", nullptr, o));
    EXPECT_FALSE(key_allowed("Product:1", nullptr, o));
    EXPECT_FALSE(key_allowed(" product:1", nullptr, o));
    EXPECT_TRUE(keys_allowed({"product:1", "order:2"}, nullptr, o));
    EXPECT_FALSE(keys_allowed({"product:1", "session:42"}, nullptr, o));
    EXPECT_TRUE(keys_allowed({}, nullptr, o));
}

TEST(KeyScopeRule, TheTokensPrefixesNarrowTheConfiguredOnes) {
    const auto o = configured({"product:"});
    const auto narrow = token(std::vector<std::string>{"product:a"});
    EXPECT_TRUE(key_allowed("product:a1", &narrow, o));
    EXPECT_FALSE(key_allowed("product:b1", &narrow, o));
    const auto wider = token(std::vector<std::string>{"session:", "product:"});
    EXPECT_FALSE(key_allowed("session:42", &wider, o));  // both sets must allow it
    const auto none = token(std::vector<std::string>{});
    EXPECT_FALSE(key_allowed("product:1", &none, o));
    EXPECT_FALSE(key_allowed("product:1", &none, ApiOptions{}));
}

TEST(KeyScopeRule, APatternIsJudgedByItsLiteralHead) {
    const auto o = configured({"product:"});
    EXPECT_TRUE(pattern_allowed("product:*", nullptr, o));
    EXPECT_TRUE(pattern_allowed("product:1", nullptr, o));
    EXPECT_TRUE(pattern_allowed("product:[ab]?", nullptr, o));
    EXPECT_TRUE(pattern_allowed("product:\\*", nullptr, o));  // an escape ends the head: "product:" still allowed
    for (std::string_view refused : {"*", "?roduct:*", "[p]roduct:*", "\\product:*", "prod*", "product*", "produc\\t:*",
                                     "session:*", ""}) {
        EXPECT_FALSE(pattern_allowed(refused, nullptr, o)) << refused;
    }
    const auto narrow = token(std::vector<std::string>{"product:a"});
    EXPECT_TRUE(pattern_allowed("product:a*", &narrow, o));
    EXPECT_FALSE(pattern_allowed("product:*", &narrow, o));
}

TEST(KeyScopeRule, RefusalIsA403WithAFixedDetail) {
    const auto r = key_outside_prefixes();
    EXPECT_EQ(r.status, 403u);
    EXPECT_EQ(r.body, R"({"detail":"Key outside the allowed prefixes"})");
}

}  // namespace
}  // namespace yooni::http::detail
