#include "config/dotenv.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace yooni::config {
namespace {

Environment parse(std::string_view text, const std::map<std::string, std::string>& process_env = {}) {
    return detail::parse_dotenv(text, process_env);
}

std::string value_of(std::string_view text, const std::string& name) {
    const auto environment = parse(text);
    const auto it = environment.dotenv.find(name);
    return it == environment.dotenv.end() ? "<missing>" : it->second;
}

std::string error_of(std::string_view text) {
    try {
        parse(text);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "<no error>";
}

TEST(Dotenv, ReadsNameEqualsValue) {
    EXPECT_EQ(value_of("REDIS_HOST=cache.internal\n", "REDIS_HOST"), "cache.internal");
}

TEST(Dotenv, IgnoresExportPrefix) {
    EXPECT_EQ(value_of("export REDIS_PORT=6380", "REDIS_PORT"), "6380");
}

TEST(Dotenv, SkipsBlankLinesAndComments) {
    const auto environment = parse("\n# a comment\n   \n  # indented comment\nA=1\n\n");
    EXPECT_EQ(environment.dotenv.size(), 1u);
    EXPECT_EQ(environment.dotenv_lines.at("A"), 5);
}

TEST(Dotenv, DropsInlineCommentAfterUnquotedValue) {
    EXPECT_EQ(value_of("A=value   # the comment", "A"), "value");
}

TEST(Dotenv, KeepsHashNotPrecededBySpace) {
    EXPECT_EQ(value_of("A=abc#def", "A"), "abc#def");
    EXPECT_EQ(value_of("A=#abc", "A"), "#abc");
}

TEST(Dotenv, TreatsSpacedCommentAfterEqualsAsEmptyValue) {
    EXPECT_EQ(value_of("A=   # nothing here", "A"), "");
}

TEST(Dotenv, TrimsUnquotedValueAndAllowsSpacesAroundEquals) {
    EXPECT_EQ(value_of("  A  =   two words  \t\n", "A"), "two words");
}

TEST(Dotenv, ReadsEmptyValueAsEmptyString) {
    EXPECT_EQ(value_of("A=\nB=1", "A"), "");
}

TEST(Dotenv, KeepsSingleQuotedValueLiteral) {
    EXPECT_EQ(value_of(R"(A='  a\nb # not a comment ')", "A"), R"(  a\nb # not a comment )");
}

TEST(Dotenv, DecodesOnlyQuoteAndBackslashEscapesInSingleQuotes) {
    EXPECT_EQ(value_of(R"(A='it\'s \\ \t')", "A"), R"(it's \ \t)");
}

TEST(Dotenv, DecodesEscapesInDoubleQuotes) {
    EXPECT_EQ(value_of(R"(A="line1\nsay \"hi\" \\ \t# kept")", "A"), "line1\nsay \"hi\" \\ \t# kept");
}

TEST(Dotenv, KeepsUnknownBackslashSequencesInDoubleQuotes) {
    EXPECT_EQ(value_of(R"(A="C:\dir\x")", "A"), R"(C:\dir\x)");
}

TEST(Dotenv, AllowsCommentAfterClosingQuote) {
    EXPECT_EQ(value_of("A=\"v\"  # note\nB='w'#note", "A"), "v");
    EXPECT_EQ(value_of("A=\"v\"  # note\nB='w'#note", "B"), "w");
}

TEST(Dotenv, ReadsQuotedValueAcrossLinesAndKeepsCountingLines) {
    const auto environment = parse("A=\"first\nsecond\"\nB=2\n");
    EXPECT_EQ(environment.dotenv.at("A"), "first\nsecond");
    EXPECT_EQ(environment.dotenv_lines.at("A"), 1);
    EXPECT_EQ(environment.dotenv_lines.at("B"), 3);
}

TEST(Dotenv, CountsCrLfAndLoneCrAsOneLineBreak) {
    const auto environment = parse("A=1\r\nB=2\rC=3\r\n");
    EXPECT_EQ(environment.dotenv.at("A"), "1");
    EXPECT_EQ(environment.dotenv_lines.at("B"), 2);
    EXPECT_EQ(environment.dotenv_lines.at("C"), 3);
}

TEST(Dotenv, LetsTheLastOfARepeatedNameWin) {
    const auto environment = parse("A=1\nA=2\n");
    EXPECT_EQ(environment.dotenv.at("A"), "2");
    EXPECT_EQ(environment.dotenv_lines.at("A"), 2);
}

TEST(Dotenv, SkipsUtf8ByteOrderMark) {
    EXPECT_EQ(value_of("\xEF\xBB\xBF" "A=1", "A"), "1");
}

TEST(Dotenv, ExpandsBracedVariablesFromEarlierLinesThenEnvironment) {
    const auto environment = parse("HOST_PART=cache\nA=${HOST_PART}:${PORT_PART}\n", {{"PORT_PART", "6379"}, {"HOST_PART", "env"}});
    EXPECT_EQ(environment.dotenv.at("A"), "cache:6379");
}

TEST(Dotenv, ExpandsInsideQuotesAsPythonDotenvDoes) {
    EXPECT_EQ(parse("A='${X}'", {{"X", "1"}}).dotenv.at("A"), "1");
}

TEST(Dotenv, UsesExpansionDefaultOnlyWhenUnset) {
    const auto environment = parse("A=${MISSING:-fallback}\nB=${SET:-fallback}\nC=${MISSING}", {{"SET", ""}});
    EXPECT_EQ(environment.dotenv.at("A"), "fallback");
    EXPECT_EQ(environment.dotenv.at("B"), "");
    EXPECT_EQ(environment.dotenv.at("C"), "");
}

TEST(Dotenv, KeepsDollarWithoutBracesAndUnclosedBraces) {
    EXPECT_EQ(parse("A=pa$word${x", {{"word", "no"}}).dotenv.at("A"), "pa$word${x");
}

TEST(Dotenv, RefusesLineWithoutEqualsNamingTheLineButNotItsText) {
    const auto message = error_of("A=1\n\nsk_live_pasted_secret_value\n");
    EXPECT_NE(message.find(".env line 3"), std::string::npos) << message;
    EXPECT_NE(message.find("no '='"), std::string::npos) << message;
    EXPECT_EQ(message.find("sk_live"), std::string::npos) << message;
}

TEST(Dotenv, RefusesBadNameNamingTheLine) {
    const auto message = error_of("A=1\n1ABC=2\n");
    EXPECT_NE(message.find(".env line 2"), std::string::npos) << message;
    EXPECT_NE(message.find("\"1ABC\" is not a variable name"), std::string::npos) << message;
}

TEST(Dotenv, RefusesNameWithDash) {
    EXPECT_NE(error_of("REDIS-HOST=x").find(".env line 1: \"REDIS-HOST\" is not a variable name"), std::string::npos);
}

TEST(Dotenv, RefusesEmptyName) {
    EXPECT_NE(error_of("=value").find(".env line 1"), std::string::npos);
}

TEST(Dotenv, RefusesUnterminatedQuoteNamingTheLineItStarts) {
    const auto message = error_of("A=1\nB=\"open\nC=2\n");
    EXPECT_NE(message.find(".env line 2: B: unterminated double quote"), std::string::npos) << message;
}

TEST(Dotenv, RefusesTextAfterClosingQuote) {
    const auto message = error_of("A='x' y");
    EXPECT_NE(message.find(".env line 1: A: unexpected text after the closing quote"), std::string::npos) << message;
}

TEST(Dotenv, NamesDotenvAsTheVariableOfItsErrors) {
    try {
        parse("oops");
        FAIL() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.variable(), ".env");
    }
}

class ReadEnvironmentTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / ("yooni-config-test-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    void write(const std::string& text) { std::ofstream(dir_ / ".env") << text; }

    std::filesystem::path dir_;
};

TEST_F(ReadEnvironmentTest, ReadsDotenvOfTheGivenDirectoryAndRecordsItsPath) {
    write("CACHE_TTL_SECONDS=42\nSOMETHING_ELSE=1\n");
    const auto environment = read_environment(dir_.string());
    EXPECT_EQ(environment.dotenv.at("CACHE_TTL_SECONDS"), "42");
    EXPECT_EQ(environment.dotenv.at("SOMETHING_ELSE"), "1");
    EXPECT_EQ(environment.dotenv_path, (dir_ / ".env").string());
}

TEST_F(ReadEnvironmentTest, TreatsMissingDotenvAsEmpty) {
    const auto environment = read_environment(dir_.string());
    EXPECT_TRUE(environment.dotenv.empty());
    EXPECT_TRUE(environment.dotenv_path.empty());
}

TEST_F(ReadEnvironmentTest, TakesKnownProcessVariablesInAnyCaseAndNoOthers) {
    ::setenv("cache_key_prefix", "from-env:", 1);
    ::setenv("YOONI_CONFIG_TEST_UNRELATED", "x", 1);
    const auto environment = read_environment(dir_.string());
    ::unsetenv("cache_key_prefix");
    ::unsetenv("YOONI_CONFIG_TEST_UNRELATED");
    EXPECT_EQ(environment.env.at("CACHE_KEY_PREFIX"), "from-env:");
    EXPECT_EQ(environment.env.count("YOONI_CONFIG_TEST_UNRELATED"), 0u);
}

TEST_F(ReadEnvironmentTest, KeepsAProcessVariableOneSlipFromASettingForItsWarning) {
    ::setenv("REDIS_WAIT_REPLICA", "1", 1);
    const auto environment = read_environment(dir_.string());
    ::unsetenv("REDIS_WAIT_REPLICA");
    EXPECT_EQ(environment.env.at("REDIS_WAIT_REPLICA"), "1");
    const auto loaded = load(environment);
    EXPECT_EQ(loaded.settings.redis.wait_replicas, 0);  // ignored, as pydantic-settings ignores it
    EXPECT_EQ(loaded.unknown_env, std::vector<std::string>{"REDIS_WAIT_REPLICA"});
}

TEST(ClosestVariable, NamesTheSettingOneOrTwoSlipsAway) {
    EXPECT_EQ(detail::closest_variable("REDIS_WAIT_REPLICA"), "REDIS_WAIT_REPLICAS");
    EXPECT_EQ(detail::closest_variable("redis_pasword"), "REDIS_PASSWORD");
    EXPECT_EQ(detail::closest_variable("CACHE_TTL_SECOND"), "CACHE_TTL_SECONDS");
    EXPECT_EQ(detail::closest_variable("REDIS_CLUSTER_NODE"), "REDIS_CLUSTER_NODES");
    EXPECT_EQ(detail::closest_variable("POTR"), std::nullopt);  // short names: one slip only
    EXPECT_EQ(detail::closest_variable("PORTS"), "PORT");
}

TEST(ClosestVariable, LeavesCommonEnvironmentNamesAndSettingsAlone) {
    for (const char* name : {"HOME", "PATH", "HOSTNAME", "PWD", "LANG", "TERM", "USER", "SHELL", "REDIS_VERSION",
                             "REDIS_DOWNLOAD_URL", "REDIS_PORT_6379_TCP", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
                             "REDIS_PORT", "redis_port"})
        EXPECT_EQ(detail::closest_variable(name), std::nullopt) << name;
}

}  // namespace
}  // namespace yooni::config
