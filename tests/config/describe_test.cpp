#include "config/dotenv.hpp"
#include "yooni/config/settings.hpp"

#include <gtest/gtest.h>

namespace yooni::config {
namespace {

std::string line_of(const LoadedSettings& loaded, const std::string& name) {
    for (const auto& line : describe(loaded)) {
        if (line.rfind(name + "=", 0) == 0) return line;
    }
    return "<missing>";
}

LoadedSettings loaded_from(std::map<std::string, std::string> env, std::string_view dotenv = "") {
    auto environment = detail::parse_dotenv(dotenv, {});
    environment.env = std::move(env);
    return load(environment);
}

TEST(Describe, PrintsOneLinePerVariableInListOrder) {
    const auto lines = describe(load(Environment{}));
    ASSERT_EQ(lines.size(), variables().size());
    for (std::size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(lines[i].rfind(variables()[i].name + "=", 0), 0u);
}

TEST(Describe, NamesTheSourceOfEachValue) {
    const auto loaded = loaded_from({{"REDIS_PORT", "6380"}}, "REDIS_DB=2\n");
    EXPECT_EQ(line_of(loaded, "REDIS_PORT"), "REDIS_PORT=6380  (env)");
    EXPECT_EQ(line_of(loaded, "REDIS_DB"), "REDIS_DB=2  (.env)");
    EXPECT_EQ(line_of(loaded, "REDIS_POOL_SIZE"), "REDIS_POOL_SIZE=10  (default)");
}

TEST(Describe, PrintsSecretsAsStarsOrEmpty) {
    const auto loaded = loaded_from({{"REDIS_PASSWORD", "hunter2"}, {"API_TOKENS", "ci:read:abcdefghijklmnopqr"}});
    EXPECT_EQ(line_of(loaded, "REDIS_PASSWORD"), "REDIS_PASSWORD=***  (env)");
    EXPECT_EQ(line_of(loaded, "API_TOKENS"), "API_TOKENS=***  (env)");
    EXPECT_EQ(line_of(loaded, "SECRET_KEY"), "SECRET_KEY=  (default)");
}

TEST(Describe, MasksThePasswordOfRedisUrl) {
    const auto loaded = loaded_from({}, "REDIS_URL=redis://:hunter2@cache:6379/0\n");
    EXPECT_EQ(line_of(loaded, "REDIS_URL"), "REDIS_URL=redis://:***@cache:6379/0  (.env)");
}

TEST(Describe, PrintsListsAsCommaLists) {
    const auto loaded = loaded_from({{"REDIS_CLUSTER_NODES", R"(["a:7000", "[::1]:7001"])"},
                                     {"AUTH_ADMIN_SUBJECTS", "alice, bob"}});
    EXPECT_EQ(line_of(loaded, "REDIS_CLUSTER_NODES"), "REDIS_CLUSTER_NODES=a:7000,[::1]:7001  (env)");
    EXPECT_EQ(line_of(loaded, "AUTH_ADMIN_SUBJECTS"), "AUTH_ADMIN_SUBJECTS=alice,bob  (env)");
}

TEST(Describe, PrintsTheNewRedisSettings) {
    const auto loaded = loaded_from({{"REDIS_CLUSTER_USERNAME", "app"},
                                     {"REDIS_TLS_SERVER_NAME", "cache.example.com"},
                                     {"REDIS_CLUSTER_ADDRESS_MAP", " [fd00::1]:7000=localhost:7000 , b:7001=c:7001"},
                                     {"REDIS_READ_FROM_REPLICAS", "on"},
                                     {"REDIS_CONNECT_TIMEOUT_MS", "750"},
                                     {"REDIS_WAIT_REPLICAS", "1"}});
    EXPECT_EQ(line_of(loaded, "REDIS_CLUSTER_USERNAME"), "REDIS_CLUSTER_USERNAME=app  (env)");
    EXPECT_EQ(line_of(loaded, "REDIS_TLS_CA_FILE"), "REDIS_TLS_CA_FILE=  (default)");
    EXPECT_EQ(line_of(loaded, "REDIS_TLS_SERVER_NAME"), "REDIS_TLS_SERVER_NAME=cache.example.com  (env)");
    EXPECT_EQ(line_of(loaded, "REDIS_CLUSTER_ADDRESS_MAP"),
              "REDIS_CLUSTER_ADDRESS_MAP=[fd00::1]:7000=localhost:7000,b:7001=c:7001  (env)");
    EXPECT_EQ(line_of(loaded, "REDIS_READ_FROM_REPLICAS"), "REDIS_READ_FROM_REPLICAS=true  (env)");
    EXPECT_EQ(line_of(loaded, "REDIS_CONNECT_TIMEOUT_MS"), "REDIS_CONNECT_TIMEOUT_MS=750  (env)");
    EXPECT_EQ(line_of(loaded, "REDIS_CLUSTER_REFRESH_INTERVAL_MS"), "REDIS_CLUSTER_REFRESH_INTERVAL_MS=5000  (default)");
    EXPECT_EQ(line_of(loaded, "REDIS_WAIT_REPLICAS"), "REDIS_WAIT_REPLICAS=1  (env)");
    EXPECT_EQ(line_of(loaded, "REDIS_WAIT_TIMEOUT_MS"), "REDIS_WAIT_TIMEOUT_MS=1000  (default)");
}

TEST(Describe, PrintsTheSingleRedisSettingsTakenFromTheUrl) {
    const auto loaded = loaded_from({{"REDIS_URL", "rediss://app:hunter2@cache:6380/4"}});
    EXPECT_EQ(line_of(loaded, "REDIS_URL"), "REDIS_URL=rediss://app:***@cache:6380/4  (env)");
    EXPECT_EQ(line_of(loaded, "REDIS_HOST"), "REDIS_HOST=cache  (default)");
    EXPECT_EQ(line_of(loaded, "REDIS_PORT"), "REDIS_PORT=6380  (default)");
    EXPECT_EQ(line_of(loaded, "REDIS_DB"), "REDIS_DB=4  (default)");
    EXPECT_EQ(line_of(loaded, "REDIS_PASSWORD"), "REDIS_PASSWORD=***  (default)");
    EXPECT_EQ(line_of(loaded, "REDIS_SSL"), "REDIS_SSL=true  (default)");
}

TEST(Describe, PrintsSizesInTheShortestExactUnit) {
    EXPECT_EQ(line_of(loaded_from({{"CACHE_MEMORY_MAX_BYTES", "1g"}}), "CACHE_MEMORY_MAX_BYTES"),
              "CACHE_MEMORY_MAX_BYTES=1GiB  (env)");
    EXPECT_EQ(line_of(loaded_from({{"CACHE_MEMORY_MAX_BYTES", "1048577"}}), "CACHE_MEMORY_MAX_BYTES"),
              "CACHE_MEMORY_MAX_BYTES=1048577  (env)");
}

TEST(Describe, PrintsNormalisedEnumsAndBooleans) {
    const auto loaded = loaded_from({{"CACHE_VALUE_FORMAT", "GZIP"}, {"REDIS_SSL", "yes"}, {"LOG_LEVEL", "Warning"}});
    EXPECT_EQ(line_of(loaded, "CACHE_VALUE_FORMAT"), "CACHE_VALUE_FORMAT=gzip  (env)");
    EXPECT_EQ(line_of(loaded, "REDIS_SSL"), "REDIS_SSL=true  (env)");
    EXPECT_EQ(line_of(loaded, "LOG_LEVEL"), "LOG_LEVEL=warn  (env)");
}

TEST(Describe, PrintsTheAccessSettings) {
    const auto loaded = loaded_from({{"AUTH_AUDIENCE", "yooni-cache"}, {"AUTH_ISSUER", "https://auth.example"},
                                     {"API_KEY_PREFIXES", " product: , order: "},
                                     {"METRICS_TOKEN", "metrics-token-0123456789abcdef"}});
    EXPECT_EQ(line_of(loaded, "AUTH_DEFAULT_ROLE"), "AUTH_DEFAULT_ROLE=read  (default)");
    EXPECT_EQ(line_of(loaded, "AUTH_AUDIENCE"), "AUTH_AUDIENCE=yooni-cache  (env)");
    EXPECT_EQ(line_of(loaded, "AUTH_ISSUER"), "AUTH_ISSUER=https://auth.example  (env)");
    EXPECT_EQ(line_of(loaded, "API_KEY_PREFIXES"), "API_KEY_PREFIXES=product:,order:  (env)");
    EXPECT_EQ(line_of(loaded, "METRICS_TOKEN"), "METRICS_TOKEN=***  (env)");
}

TEST(Describe, PrintsKeyPrefixesWithACommaAsAJsonListThatLoadsBack) {
    const auto loaded = loaded_from({{"API_KEY_PREFIXES", R"(["a,b:", "c:"])"}});
    EXPECT_EQ(line_of(loaded, "API_KEY_PREFIXES"), R"(API_KEY_PREFIXES=["a,b:","c:"]  (env))");
    Environment again;
    again.env["API_KEY_PREFIXES"] = R"(["a,b:","c:"])";
    EXPECT_EQ(load(again).settings.auth.key_prefixes, loaded.settings.auth.key_prefixes);
}

TEST(Describe, KeepsEachEntryOnOneLine) {
    const auto loaded = loaded_from({}, "CACHE_KEY_PREFIX=\"a\nb:\"\n");
    EXPECT_EQ(line_of(loaded, "CACHE_KEY_PREFIX"), "CACHE_KEY_PREFIX=a\\nb:  (.env)");
}

TEST(Describe, PrintsValuesThatLoadBackToTheSameSettings) {
    const auto first = loaded_from({{"REDIS_CLUSTER_ENABLED", "on"}, {"REDIS_CLUSTER_NODES", "[::1]:7000, b:7001"},
                                    {"CACHE_MEMORY_MAX_BYTES", "3g"}, {"AUTH_ADMIN_SUBJECTS", "x,y"},
                                    {"AUTH_DEFAULT_ROLE", "READ"}, {"HOST", "[::1]"},
                                    {"REDIS_CLUSTER_ADDRESS_MAP", "[::1]:7000=h:1, a:2=[fd00::3]:3"},
                                    {"REDIS_CLUSTER_USERNAME", "ops"}, {"REDIS_TLS_SERVER_NAME", "h.example"},
                                    {"REDIS_READ_FROM_REPLICAS", "1"}, {"REDIS_WAIT_REPLICAS", "2"},
                                    {"REDIS_WAIT_TIMEOUT_MS", "10"}, {"REDIS_CLUSTER_REFRESH_INTERVAL_MS", "250"},
                                    {"AUTH_AUDIENCE", " yooni-cache "}, {"AUTH_ISSUER", "https://auth.example"},
                                    {"API_KEY_PREFIXES", "product: , order:"}});
    Environment again;
    for (const auto& line : describe(first)) {
        const auto eq = line.find('=');
        const auto end = line.rfind("  (");
        again.env[line.substr(0, eq)] = line.substr(eq + 1, end - eq - 1);
    }
    const auto second = load(again);
    const auto a = describe(first);
    const auto b = describe(second);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].substr(0, a[i].rfind("  (")), b[i].substr(0, b[i].rfind("  (")));
    }
}

}  // namespace
}  // namespace yooni::config
