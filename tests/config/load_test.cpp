#include "config/dotenv.hpp"
#include "yooni/config/settings.hpp"

#include <gtest/gtest.h>

namespace yooni::config {
namespace {

Environment environment_of(std::map<std::string, std::string> env, std::string_view dotenv = "") {
    auto environment = detail::parse_dotenv(dotenv, {});
    environment.env = std::move(env);
    return environment;
}

std::string error_of(const Environment& environment) {
    try {
        load(environment);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "<no error>";
}

TEST(Load, LetsTheEnvironmentBeatDotenv) {
    const auto loaded = load(environment_of({{"REDIS_PORT", "6390"}}, "REDIS_PORT=6380\nREDIS_DB=3\n"));
    EXPECT_EQ(loaded.settings.redis.port, 6390);
    EXPECT_EQ(loaded.settings.redis.db, 3);
}

TEST(Load, LetsAnEmptyEnvironmentValueBeatDotenv) {
    const auto loaded = load(environment_of({{"REDIS_URL", ""}}, "REDIS_URL=redis://cache:6379\n"));
    EXPECT_FALSE(loaded.settings.redis.url.has_value());
}

TEST(Load, NamesTheDotenvLineOfABadValue) {
    EXPECT_EQ(error_of(environment_of({}, "# single Redis\nREDIS_HOST=cache\nREDIS_PORT=seventy\n")),
              ".env line 3: REDIS_PORT=\"seventy\": expected an integer port 1..65535");
    // From the environment there is no line to name.
    EXPECT_EQ(error_of(environment_of({{"REDIS_PORT", "seventy"}})),
              "REDIS_PORT=\"seventy\": expected an integer port 1..65535");
}

TEST(Load, RecordsWhereEachValueCameFrom) {
    const auto loaded = load(environment_of({{"REDIS_PORT", "6390"}}, "REDIS_DB=3\n"));
    EXPECT_EQ(loaded.sources.at("REDIS_PORT"), Source::environment);
    EXPECT_EQ(loaded.sources.at("REDIS_DB"), Source::dotenv);
    EXPECT_EQ(loaded.sources.at("REDIS_HOST"), Source::default_value);
    EXPECT_EQ(loaded.sources.size(), variables().size());
}

TEST(Load, MatchesDotenvNamesInAnyCase) {
    const auto loaded = load(environment_of({}, "redis_url=redis://cache:6379/1\nCache_Ttl_Seconds=60\n"));
    EXPECT_EQ(loaded.settings.redis.url, "redis://cache:6379/1");
    EXPECT_EQ(loaded.settings.cache.ttl, std::chrono::seconds{60});
}

TEST(Load, MatchesEnvironmentNamesInAnyCase) {
    EXPECT_EQ(load(environment_of({{"redis_port", "7001"}})).settings.redis.port, 7001);
}

TEST(Load, LetsTheLaterLineWinAmongDotenvSpellingsOfOneName) {
    const auto loaded = load(environment_of({}, "redis_port=7001\nREDIS_PORT=7002\nRedis_Port=7003\n"));
    EXPECT_EQ(loaded.settings.redis.port, 7003);
}

TEST(Load, KeepsUnknownDotenvNamesButIgnoresThem) {
    const auto loaded = load(environment_of({}, "A=1\nREDIS_PORT=6380\nREDIS_CLUSTER_NODE=x\n"));
    EXPECT_EQ(loaded.settings.redis.port, 6380);
    EXPECT_EQ(loaded.unknown_dotenv,
              (std::vector<std::pair<std::string, int>>{{"A", 1}, {"REDIS_CLUSTER_NODE", 3}}));
}

TEST(Load, CopiesTheDotenvPath) {
    auto environment = environment_of({});
    environment.dotenv_path = "some/dir/.env";
    EXPECT_EQ(load(environment).dotenv_path, "some/dir/.env");
}

TEST(Load, TreatsEmptySecretsAsUnset) {
    const auto loaded = load(environment_of({{"REDIS_PASSWORD", ""}, {"SECRET_KEY", ""}, {"API_TOKENS", " "}}));
    EXPECT_TRUE(loaded.settings.redis.password.empty());
    EXPECT_TRUE(loaded.settings.auth.secret_key.empty());
    EXPECT_TRUE(loaded.settings.auth.static_tokens.empty());
}

TEST(Load, KeepsAnEmptyKeyPrefix) {
    EXPECT_EQ(load(environment_of({{"CACHE_KEY_PREFIX", ""}})).settings.cache.key_prefix, "");
}

TEST(Load, LeavesRedisUnconfiguredByDefault) {
    EXPECT_FALSE(load(environment_of({})).settings.redis.configured);
}

TEST(Load, CountsRedisAsConfiguredWithCluster) {
    EXPECT_TRUE(load(environment_of({{"REDIS_CLUSTER_ENABLED", "true"}, {"REDIS_CLUSTER_NODES", "n:7000"}}))
                    .settings.redis.configured);
}

TEST(Load, CountsRedisAsConfiguredWithUrl) {
    EXPECT_TRUE(load(environment_of({{"REDIS_URL", "redis://cache"}})).settings.redis.configured);
}

TEST(Load, CountsRedisAsConfiguredWithExplicitHostEvenIfDefault) {
    EXPECT_TRUE(load(environment_of({}, "REDIS_HOST=localhost\n")).settings.redis.configured);
}

TEST(Load, DoesNotCountNodesAloneAsConfigured) {
    EXPECT_FALSE(load(environment_of({{"REDIS_CLUSTER_NODES", "n:7000"}, {"REDIS_PORT", "6380"}}))
                     .settings.redis.configured);
}

TEST(Load, RefusesClusterWithoutNodesNamingTheNodes) {
    const auto environment = environment_of({{"REDIS_CLUSTER_ENABLED", "true"}});
    try {
        load(environment);
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.variable(), "REDIS_CLUSTER_NODES");
        EXPECT_NE(std::string(e.what()).find("REDIS_CLUSTER_NODES=\"\": expected"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("at least one seed node"), std::string::npos) << e.what();
    }
}

TEST(Load, RefusesClusterWithAnEmptyJsonList) {
    EXPECT_NE(error_of(environment_of({{"REDIS_CLUSTER_ENABLED", "1"}, {"REDIS_CLUSTER_NODES", "[]"}}))
                  .find("REDIS_CLUSTER_NODES=\"[]\""),
              std::string::npos);
}

TEST(Load, StopsAtTheFirstBadVariableInListOrder) {
    const auto message = error_of(environment_of({{"LOG_LEVEL", "loud"}, {"REDIS_PORT", "x"}}));
    EXPECT_EQ(message.rfind("REDIS_PORT=", 0), 0u) << message;
}

TEST(Load, QuotesControlCharactersOfBadValuesOnOneLine) {
    const auto message = error_of(environment_of({{"REDIS_PORT", "63\n79"}}));
    EXPECT_EQ(message, "REDIS_PORT=\"63\\n79\": expected an integer port 1..65535");
}

// Booleans: the words pydantic v2 accepts.
TEST(Load, AcceptsEveryPydanticBooleanWordInAnyCaseWithSpaces) {
    for (const char* word : {"true", "1", "yes", "on", "t", "y", " TRUE ", "Yes", "ON"}) {
        EXPECT_TRUE(load(environment_of({{"REDIS_SSL", word}})).settings.redis.ssl) << word;
    }
    for (const char* word : {"false", "0", "no", "off", "f", "n", "\tFalse", "NO", "Off"}) {
        EXPECT_FALSE(load(environment_of({{"CACHE_COMPRESSION_ENABLED", word}})).settings.cache.compression_enabled)
            << word;
    }
}

TEST(Load, RefusesBooleanWordsPydanticRefuses) {
    for (const char* word : {"", "2", "enable", "truee", "yep", "none"}) {
        EXPECT_NE(error_of(environment_of({{"REDIS_SSL", word}})).find("expected a boolean"), std::string::npos) << word;
    }
}

TEST(Load, AcceptsDecimalIntegersWithSignAndSpaces) {
    EXPECT_EQ(load(environment_of({{"REDIS_PORT", " +6380 "}})).settings.redis.port, 6380);
}

TEST(Load, RefusesIntegersThatAreNotPlainDecimal) {
    for (const char* text : {"0x10", "1e3", "1_000", "12abc", "6379.0", "+-5", "", "99999999999999999999"}) {
        EXPECT_NE(error_of(environment_of({{"REDIS_POOL_SIZE", text}})).find("expected an integer 1..1000"),
                  std::string::npos)
            << text;
    }
}

TEST(Load, ReadsMemorySizeSuffixesAsPowersOf1024) {
    const std::vector<std::pair<std::string, std::size_t>> sizes{
        {"1048576", 1u << 20}, {"1024k", 1u << 20}, {"1024KB", 1u << 20}, {"1024kib", 1u << 20},
        {"2m", 2u << 20},      {"2MB", 2u << 20},   {"2 MiB", 2u << 20},  {"1g", 1u << 30},
        {"1Gb", 1u << 30},     {"1GiB", 1u << 30},  {"1048576b", 1u << 20}};
    for (const auto& [text, bytes] : sizes) {
        EXPECT_EQ(load(environment_of({{"CACHE_MEMORY_MAX_BYTES", text}})).settings.cache.memory_max_bytes, bytes)
            << text;
    }
}

TEST(Load, RefusesMemorySizesBelowOneMebibyteOrMalformed) {
    for (const char* text : {"1048575", "1023k", "1.5g", "g", "10x", "-1m", "2048g", "99999999999999999g"}) {
        EXPECT_NE(error_of(environment_of({{"CACHE_MEMORY_MAX_BYTES", text}})).find("expected a size 1MiB..1024GiB"),
                  std::string::npos)
            << text;
    }
}

TEST(Load, StripsBracketsOfAnIpv6Host) {
    EXPECT_EQ(load(environment_of({{"HOST", "[::1]"}})).settings.http.host, "::1");
}

TEST(Load, AcceptsIpv4Ipv6AndNamesAsHost) {
    for (const char* host : {"0.0.0.0", "10.1.2.3", "::", "fe80::1", "cache-1.internal", "redis_node", "localhost."}) {
        EXPECT_EQ(load(environment_of({{"REDIS_HOST", host}})).settings.redis.host, host);
    }
}

TEST(Load, RefusesMalformedHosts) {
    for (const char* host : {"", " ", "999.1.1.1", "1.2.3", "-bad.example", "a..b", "host:6379", "[::1", "a b", "a\n.b", "a-.b"}) {
        EXPECT_NE(error_of(environment_of({{"HOST", host}})).find("expected a host name"), std::string::npos) << host;
    }
}

TEST(Load, ReadsDefaultRoleInAnyCase) {
    EXPECT_EQ(load(environment_of({{"AUTH_DEFAULT_ROLE", "READ"}})).settings.auth.default_role, Role::read);
}

TEST(Load, AcceptsLogLevelsOfSpdlog) {
    for (const char* level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
        EXPECT_EQ(load(environment_of({{"LOG_LEVEL", level}})).settings.log_level, level);
    }
}

TEST(Load, ReadsKeyPrefixesAsCommaOrJsonList) {
    EXPECT_EQ(load(environment_of({{"API_KEY_PREFIXES", "product:,order:"}})).settings.auth.key_prefixes,
              (std::vector<std::string>{"product:", "order:"}));
    EXPECT_EQ(load(environment_of({{"API_KEY_PREFIXES", R"(["a,b:", "{user:1}:"])"}})).settings.auth.key_prefixes,
              (std::vector<std::string>{"a,b:", "{user:1}:"}));
    EXPECT_TRUE(load(environment_of({{"API_KEY_PREFIXES", " "}})).settings.auth.key_prefixes.empty());
}

TEST(Load, RefusesKeyPrefixesWithGlobCharactersOrEmptyEntries) {
    for (const char* text : {"product:*", "order:,pro?", "[ab]:", R"(a\b)", R"(["product:", ""])", R"(["product:", 1])"}) {
        const auto message = error_of(environment_of({{"API_KEY_PREFIXES", text}}));
        EXPECT_EQ(message.rfind("API_KEY_PREFIXES=", 0), 0u) << text << ": " << message;
        EXPECT_NE(message.find("without the glob characters"), std::string::npos) << text << ": " << message;
    }
    EXPECT_NE(error_of(environment_of({{"API_KEY_PREFIXES", "ok:,pro?"}})).find("entry 2 \"pro?\" holds a glob character"),
              std::string::npos);
}

TEST(Load, RefusesAShortOrBlankMetricsTokenWithoutShowingIt) {
    for (const char* token : {"short-LEAK", "metrics token with blanks LEAK", "metrics-token-\x01-LEAK-0123"}) {
        const auto message = error_of(environment_of({{"METRICS_TOKEN", token}}));
        EXPECT_EQ(message, "METRICS_TOKEN=\"***\": expected a token of 16 or more visible ASCII characters (no blanks)");
    }
}

TEST(Load, ReadsAudienceAndIssuerTrimmed) {
    const auto s = load(environment_of({{"AUTH_AUDIENCE", " yooni-cache "}, {"AUTH_ISSUER", "https://auth.example/ "}})).settings;
    EXPECT_EQ(s.auth.audience, "yooni-cache");
    EXPECT_EQ(s.auth.issuer, "https://auth.example/");
}

TEST(Load, ReadsAdminSubjectsAsJsonListToo) {
    EXPECT_EQ(load(environment_of({{"AUTH_ADMIN_SUBJECTS", R"(["user:1", "user:2"])"}})).settings.auth.admin_subjects,
              (std::vector<std::string>{"user:1", "user:2"}));
}

}  // namespace
}  // namespace yooni::config

namespace yooni::config {
namespace {

TEST(LoadTls, RefusesADirectoryOrMissingFileAsCaFile) {
    for (const char* path : {"/", "/nonexistent/ca.pem"}) {
        Environment environment;
        environment.env["REDIS_TLS_CA_FILE"] = path;
        try {
            load(environment);
            ADD_FAILURE() << path << " was accepted";
        } catch (const ConfigError& e) {
            EXPECT_EQ(e.variable(), "REDIS_TLS_CA_FILE");
            EXPECT_NE(std::string(e.what()).find("expected a readable CA file (PEM)"), std::string::npos) << e.what();
        }
    }
}

TEST(LoadTls, TakesAnIpAddressAsServerName) {
    Environment environment;
    environment.env["REDIS_TLS_SERVER_NAME"] = " 10.0.0.5 ";
    EXPECT_EQ(load(environment).settings.redis.tls_server_name, "10.0.0.5");
}

}  // namespace
}  // namespace yooni::config
