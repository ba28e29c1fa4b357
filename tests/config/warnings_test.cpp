#include "config/dotenv.hpp"
#include "yooni/config/settings.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace yooni::config {
namespace {

constexpr const char* kGoodKey = "0123456789abcdef0123456789abcdef";

std::vector<std::string> warnings_for(std::map<std::string, std::string> env, std::string_view dotenv = "") {
    env.try_emplace("SECRET_KEY", kGoodKey);  // most tests are not about the key,
    env.try_emplace("AUTH_AUDIENCE", "yooni-cache");  // which tokens count,
    env.try_emplace("API_KEY_PREFIXES", "product:");  // which keys
    env.try_emplace("METRICS_TOKEN", kGoodKey);       // or who reads /metrics
    auto environment = detail::parse_dotenv(dotenv, {});
    environment.env = std::move(env);
    return warnings(load(environment));
}

bool has_warning(const std::vector<std::string>& all, std::string_view part) {
    return std::any_of(all.begin(), all.end(), [&](const auto& w) { return w.find(part) != std::string::npos; });
}

TEST(Warnings, StaysQuietForASoundSetup) {
    EXPECT_EQ(warnings_for({{"REDIS_URL", "rediss://:pw@cache:6379/0"}, {"HOST", "0.0.0.0"},
                            {"API_TOKENS", std::string("ci:read:") + kGoodKey}}),
              std::vector<std::string>{});
}

TEST(Warnings, ListsUnknownDotenvNamesWithTheirLine) {
    EXPECT_TRUE(has_warning(warnings_for({}, "\nREDIS_CLUSTER_NODE=a:7000\n"),
                            "unknown variable REDIS_CLUSTER_NODE in .env line 2"));
}

TEST(Warnings, SuggestsTheSettingAMisspeltNameMeant) {
    EXPECT_TRUE(has_warning(warnings_for({}, "\nREDIS_CLUSTER_NODE=a:7000\n"),
                            "unknown variable REDIS_CLUSTER_NODE in .env line 2 (ignored): did you mean "
                            "REDIS_CLUSTER_NODES?"));
    EXPECT_TRUE(has_warning(warnings_for({{"REDIS_WAIT_REPLICA", "1"}}),
                            "unknown variable REDIS_WAIT_REPLICA in the environment (ignored): did you mean "
                            "REDIS_WAIT_REPLICAS?"));
    EXPECT_EQ(warnings_for({}, "MY_OWN_THING=1\n"), std::vector<std::string>{"unknown variable MY_OWN_THING in .env line 1"});
}

TEST(Warnings, ExplainsAMissingSecretKey) {
    const auto all = warnings_for({{"SECRET_KEY", ""}});
    EXPECT_TRUE(has_warning(all, "SECRET_KEY is not set: a random key is generated at start; tokens do not survive "
                                 "restarts; only loopback HOST allowed"));
    EXPECT_FALSE(has_warning(all, "HOST="));
}

TEST(Warnings, FlagsNonLoopbackHostWithoutSecretKey) {
    EXPECT_TRUE(has_warning(warnings_for({{"SECRET_KEY", ""}, {"HOST", "0.0.0.0"}}),
                            "HOST=0.0.0.0 is not a loopback address while SECRET_KEY is not set"));
}

TEST(Warnings, TakesAnyLoopbackSpellingAsLoopback) {
    for (const char* host : {"localhost", "127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"}) {
        EXPECT_FALSE(has_warning(warnings_for({{"SECRET_KEY", ""}, {"HOST", host}}), "is not a loopback")) << host;
    }
}

TEST(Warnings, FlagsSecretKeyShorterThan32Bytes) {
    EXPECT_TRUE(has_warning(warnings_for({{"SECRET_KEY", "short-key"}}), "SECRET_KEY is shorter than 32 bytes"));
}

TEST(Warnings, FlagsStaticTokensShorterThan32CharactersByName) {
    EXPECT_TRUE(has_warning(warnings_for({{"API_TOKENS", "ci:read:abcdefghijklmnopqr"}}),
                            "API_TOKENS token of \"ci\" is shorter than 32 characters"));
}

// Issue 11: least privilege.

TEST(Warnings, FlagsWriteAccessRestingOnTheDefaultRole) {
    for (const char* role : {"write", "admin"}) {
        EXPECT_TRUE(has_warning(warnings_for({{"AUTH_DEFAULT_ROLE", role}}),
                                "AUTH_DEFAULT_ROLE=" + std::string(role) +
                                    ": every JWT signed with SECRET_KEY that has no roles or scope claim"))
            << role;
    }
    EXPECT_FALSE(has_warning(warnings_for({{"AUTH_DEFAULT_ROLE", "read"}}), "AUTH_DEFAULT_ROLE"));
    EXPECT_FALSE(has_warning(warnings_for({}), "AUTH_DEFAULT_ROLE"));
    // Without SECRET_KEY the only JWT is the service's own, which names its role.
    EXPECT_FALSE(has_warning(warnings_for({{"SECRET_KEY", ""}, {"AUTH_DEFAULT_ROLE", "write"}}), "AUTH_DEFAULT_ROLE"));
}

TEST(Warnings, FlagsJwtsOfAnyAudienceAndIssuer) {
    constexpr const char* kAny = "AUTH_AUDIENCE and AUTH_ISSUER are not set: every JWT signed with SECRET_KEY is accepted";
    EXPECT_TRUE(has_warning(warnings_for({{"AUTH_AUDIENCE", ""}}), kAny));
    EXPECT_FALSE(has_warning(warnings_for({{"AUTH_AUDIENCE", ""}, {"AUTH_ISSUER", "https://auth.example"}}), kAny));
    EXPECT_FALSE(has_warning(warnings_for({{"AUTH_AUDIENCE", "yooni-cache"}}), kAny));
    EXPECT_FALSE(has_warning(warnings_for({{"AUTH_AUDIENCE", ""}, {"SECRET_KEY", ""}}), kAny));
}

TEST(Warnings, FlagsARedisBackendWithoutKeyPrefixes) {
    constexpr const char* kEvery = "API_KEY_PREFIXES is not set: HTTP keys address every key of the";
    EXPECT_TRUE(has_warning(warnings_for({{"API_KEY_PREFIXES", ""}, {"REDIS_URL", "redis://cache"}}),
                            std::string(kEvery) + " Redis database the service uses; give the service a Redis (or "
                                                  "database) of its own"));
    EXPECT_TRUE(has_warning(warnings_for({{"API_KEY_PREFIXES", ""}, {"REDIS_HOST", "cache"}}), kEvery));
    EXPECT_TRUE(has_warning(warnings_for({{"API_KEY_PREFIXES", ""}, {"REDIS_CLUSTER_ENABLED", "true"},
                                          {"REDIS_CLUSTER_NODES", "a:7000"}, {"REDIS_CLUSTER_PASSWORD", "pw"}}),
                            std::string(kEvery) + " Redis Cluster"));
    EXPECT_FALSE(has_warning(warnings_for({{"API_KEY_PREFIXES", ""}}), "API_KEY_PREFIXES"));  // the memory store
    EXPECT_FALSE(has_warning(warnings_for({{"REDIS_URL", "redis://cache"}}), "API_KEY_PREFIXES"));
}

TEST(Warnings, FlagsAPublicMetricsEndpointBeyondLoopback) {
    constexpr const char* kPublic = "METRICS_TOKEN is not set and HOST=0.0.0.0 is not a loopback address: /metrics is public";
    EXPECT_TRUE(has_warning(warnings_for({{"METRICS_TOKEN", ""}, {"HOST", "0.0.0.0"}}), kPublic));
    EXPECT_FALSE(has_warning(warnings_for({{"METRICS_TOKEN", ""}}), "METRICS_TOKEN"));  // 127.0.0.1
    EXPECT_FALSE(has_warning(warnings_for({{"HOST", "0.0.0.0"}}), "METRICS_TOKEN"));
    EXPECT_TRUE(has_warning(warnings_for({{"METRICS_TOKEN", "metrics-token-0123"}}),
                            "METRICS_TOKEN is shorter than 32 characters"));
}

TEST(Warnings, SaysClusterWinsOverRedisUrl) {
    EXPECT_TRUE(has_warning(warnings_for({{"REDIS_CLUSTER_ENABLED", "true"}, {"REDIS_CLUSTER_NODES", "a:7000"},
                                          {"REDIS_CLUSTER_PASSWORD", "pw"}, {"REDIS_URL", "redis://cache"}}),
                            "the cluster is used, REDIS_URL is ignored"));
}

TEST(Warnings, FlagsClusterWithoutPassword) {
    EXPECT_TRUE(has_warning(warnings_for({{"REDIS_CLUSTER_ENABLED", "true"}, {"REDIS_CLUSTER_NODES", "a:7000"}}),
                            "without REDIS_CLUSTER_PASSWORD"));
}

TEST(Warnings, FlagsNonZeroDbInClusterMode) {
    EXPECT_TRUE(has_warning(warnings_for({{"REDIS_CLUSTER_ENABLED", "true"}, {"REDIS_CLUSTER_NODES", "a:7000"},
                                          {"REDIS_DB", "3"}}),
                            "REDIS_DB=3 is ignored: Redis Cluster has only database 0"));
}

TEST(Warnings, FlagsRedisSslOverriddenByTheUrlScheme) {
    EXPECT_TRUE(has_warning(warnings_for({{"REDIS_URL", "rediss://cache"}, {"REDIS_SSL", "false"}}),
                            "REDIS_SSL ignored: REDIS_URL uses rediss://"));
    EXPECT_TRUE(has_warning(warnings_for({{"REDIS_URL", "redis://cache"}, {"REDIS_SSL", "true"}}),
                            "REDIS_SSL ignored: REDIS_URL uses redis://"));
}

TEST(Warnings, LeavesDefaultRedisSslAloneWithATlsUrl) {
    EXPECT_EQ(warnings_for({{"REDIS_URL", "rediss://cache"}}), std::vector<std::string>{});
}

TEST(Warnings, FlagsSingleNodePartsShadowedByRedisUrl) {
    EXPECT_TRUE(has_warning(warnings_for({{"REDIS_URL", "redis://cache"}, {"REDIS_HOST", "other"}, {"REDIS_DB", "1"}}),
                            "REDIS_HOST, REDIS_DB ignored: REDIS_URL is set"));
}

TEST(Warnings, ListsIgnoredRedisUrlParameters) {
    EXPECT_TRUE(has_warning(warnings_for({{"REDIS_URL", "redis://cache?socket_timeout=5"}}),
                            "REDIS_URL parameters ignored: socket_timeout"));
}

TEST(Warnings, FlagsTlsSettingsWithoutTls) {
    constexpr const char* kIgnored = "TLS settings are ignored without REDIS_SSL=true or a rediss:// URL";
    EXPECT_TRUE(has_warning(warnings_for({{"REDIS_HOST", "cache"}, {"REDIS_TLS_SERVER_NAME", "cache.example.com"}}),
                            std::string("REDIS_TLS_SERVER_NAME set: ") + kIgnored));
    EXPECT_TRUE(has_warning(warnings_for({{"REDIS_URL", "redis://cache"}, {"REDIS_SSL", "true"},
                                          {"REDIS_TLS_SERVER_NAME", "cache.example.com"}}),
                            kIgnored));  // the URL scheme wins over REDIS_SSL
    EXPECT_FALSE(has_warning(warnings_for({{"REDIS_HOST", "cache"}, {"REDIS_SSL", "true"},
                                           {"REDIS_TLS_SERVER_NAME", "cache.example.com"}}),
                             kIgnored));
    EXPECT_EQ(warnings_for({{"REDIS_URL", "rediss://:pw@cache"}, {"REDIS_TLS_SERVER_NAME", "cache.example.com"}}),
              std::vector<std::string>{});
}

TEST(Warnings, FlagsReadsFromReplicasOutsideClusterMode) {
    EXPECT_TRUE(has_warning(warnings_for({{"REDIS_URL", "redis://cache"}, {"REDIS_READ_FROM_REPLICAS", "true"}}),
                            "REDIS_READ_FROM_REPLICAS=true is ignored: replicas are read only in cluster mode"));
    EXPECT_FALSE(has_warning(warnings_for({{"REDIS_CLUSTER_ENABLED", "true"}, {"REDIS_CLUSTER_NODES", "a:7000"},
                                           {"REDIS_READ_FROM_REPLICAS", "true"}}),
                             "REDIS_READ_FROM_REPLICAS"));
}

TEST(Warnings, SentinelModeIgnoresTheSingleRedisAddressAndReadsFromReplicas) {
    const auto warnings = warnings_for({{"REDIS_SENTINEL_NODES", "s1:26379"},
                                        {"REDIS_SENTINEL_MASTER", "mymaster"},
                                        {"REDIS_HOST", "cache"},
                                        {"REDIS_READ_FROM_REPLICAS", "true"}});
    EXPECT_TRUE(has_warning(warnings, "REDIS_HOST ignored: REDIS_SENTINEL_NODES is set and the Sentinels name the master"));
    EXPECT_FALSE(has_warning(warnings, "REDIS_READ_FROM_REPLICAS"));
    EXPECT_EQ(warnings_for({{"REDIS_SENTINEL_NODES", "s1:26379"}, {"REDIS_SENTINEL_MASTER", "mymaster"}}),
              std::vector<std::string>{});
}

TEST(Warnings, FlagsWaitReplicasWithoutRedis) {
    EXPECT_TRUE(has_warning(warnings_for({{"REDIS_WAIT_REPLICAS", "1"}}),
                            "REDIS_WAIT_REPLICAS=1 is ignored: no Redis is configured"));
    EXPECT_FALSE(has_warning(warnings_for({{"REDIS_HOST", "cache"}, {"REDIS_WAIT_REPLICAS", "1"}}),
                             "REDIS_WAIT_REPLICAS"));
    EXPECT_FALSE(has_warning(warnings_for({{"REDIS_WAIT_REPLICAS", "0"}}), "REDIS_WAIT_REPLICAS"));
}

}  // namespace
}  // namespace yooni::config
