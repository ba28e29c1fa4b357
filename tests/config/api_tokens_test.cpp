#include "yooni/config/settings.hpp"

#include <gtest/gtest.h>

namespace yooni::config {
namespace {

constexpr const char* kToken = "abcdefghijklmnopqrstuvwxyz012345";

std::vector<StaticToken> tokens_of(const std::string& text) {
    Environment environment;
    environment.env["API_TOKENS"] = text;
    return load(environment).settings.auth.static_tokens;
}

std::string error_of(const std::string& text) {
    Environment environment;
    environment.env["API_TOKENS"] = text;
    try {
        load(environment);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "<no error>";
}

TEST(ApiTokens, ReadsNameRoleAndToken) {
    const auto tokens = tokens_of(std::string("reader:read:") + kToken + ", ops : ADMIN : " + kToken + "X");
    ASSERT_EQ(tokens.size(), 2u);
    EXPECT_EQ(tokens[0].name, "reader");
    EXPECT_EQ(tokens[0].role, Role::read);
    EXPECT_EQ(tokens[0].token.reveal(), kToken);
    EXPECT_EQ(tokens[1].name, "ops");
    EXPECT_EQ(tokens[1].role, Role::admin);
    EXPECT_EQ(tokens[1].token.reveal(), std::string(kToken) + "X");
}

TEST(ApiTokens, TakesEverythingAfterTheSecondColonAsTheToken) {
    EXPECT_EQ(tokens_of("ci:write:abc:def:ghi:jkl:mno:pqr")[0].token.reveal(), "abc:def:ghi:jkl:mno:pqr");
}

TEST(ApiTokens, IgnoresEmptyEntries) {
    EXPECT_EQ(tokens_of(std::string(",ci:write:") + kToken + ",,").size(), 1u);
}

TEST(ApiTokens, RefusesEntryWithoutTwoColonsByPosition) {
    const auto message = error_of(std::string("ci:write:") + kToken + ",broken-entry-secret");
    EXPECT_EQ(message.rfind("API_TOKENS=\"***\": expected name:role:token entries", 0), 0u) << message;
    EXPECT_NE(message.find("entry 2 has no name:role:token form"), std::string::npos) << message;
}

TEST(ApiTokens, RefusesUnknownRole) {
    EXPECT_NE(error_of(std::string("ci:owner:") + kToken).find("entry 1 has a role other than read, write or admin"),
              std::string::npos);
}

TEST(ApiTokens, RefusesTokenShorterThan16Characters) {
    EXPECT_EQ(error_of("ci:read:sixteen-chars-xy"), "<no error>");
    EXPECT_NE(error_of("ci:read:fifteen-chars-x").find("has a token shorter than 16 characters"), std::string::npos);
}

TEST(ApiTokens, RefusesRepeatedNames) {
    EXPECT_NE(error_of(std::string("ci:read:") + kToken + ",ci:write:" + kToken).find("repeats a name"),
              std::string::npos);
}

TEST(ApiTokens, RefusesEmptyName) {
    EXPECT_NE(error_of(std::string(":read:") + kToken).find("has an empty name"), std::string::npos);
}

TEST(ApiTokens, RefusesTokensThatCannotTravelInAHeader) {
    EXPECT_NE(error_of("ci:read:abcdefgh ijklmnopq").find("characters other than visible ASCII"), std::string::npos);
}

}  // namespace
}  // namespace yooni::config
