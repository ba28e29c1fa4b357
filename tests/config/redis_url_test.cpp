#include "config/redis_url.hpp"
#include "yooni/config/settings.hpp"

#include <gtest/gtest.h>

namespace yooni::config {
namespace {

using detail::mask_redis_url;
using detail::parse_redis_url;

std::string error_of(const std::string& url) {
    Environment environment;
    environment.env["REDIS_URL"] = url;
    try {
        load(environment);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "<no error>";
}

TEST(RedisUrl, ReadsHostPortDbAndPassword) {
    const auto url = parse_redis_url("redis://:s3cret@cache.internal:6380/2");
    ASSERT_TRUE(url) << url.problem;
    EXPECT_FALSE(url.value->tls);
    EXPECT_EQ(url.value->host, "cache.internal");
    EXPECT_EQ(url.value->port, 6380);
    EXPECT_EQ(url.value->db, 2);
    EXPECT_EQ(url.value->password, "s3cret");
    EXPECT_EQ(url.value->username, "");
}

TEST(RedisUrl, ReadsHostAlone) {
    const auto url = parse_redis_url("redis://localhost");
    ASSERT_TRUE(url) << url.problem;
    EXPECT_FALSE(url.value->port.has_value());
    EXPECT_FALSE(url.value->db.has_value());
}

TEST(RedisUrl, ReadsTlsSchemeInAnyCase) {
    const auto url = parse_redis_url("RedisS://user:pw@10.0.0.1:6379/0");
    ASSERT_TRUE(url) << url.problem;
    EXPECT_TRUE(url.value->tls);
    EXPECT_EQ(url.value->username, "user");
}

TEST(RedisUrl, ReadsBracketedIpv6Host) {
    const auto url = parse_redis_url("redis://[::1]:6379");
    ASSERT_TRUE(url) << url.problem;
    EXPECT_EQ(url.value->host, "::1");
}

TEST(RedisUrl, SplitsUserPartAtItsLastAtSignAndFirstColon) {
    const auto url = parse_redis_url("redis://u:p@ss:w@rd@host");
    ASSERT_TRUE(url) << url.problem;
    EXPECT_EQ(url.value->username, "u");
    EXPECT_EQ(url.value->password, "p@ss:w@rd");
    EXPECT_EQ(url.value->host, "host");
}

TEST(RedisUrl, DecodesPercentEscapesInPassword) {
    EXPECT_EQ(parse_redis_url("redis://:a%2Fb%40c%zz@h").value->password, "a/b@c%zz");
}

TEST(RedisUrl, ReadsUnixSocketPathAndDbParameter) {
    const auto url = parse_redis_url("unix:///run/redis/redis.sock?db=3");
    ASSERT_TRUE(url) << url.problem;
    EXPECT_TRUE(url.value->unix_socket);
    EXPECT_EQ(url.value->socket_path, "/run/redis/redis.sock");
    EXPECT_EQ(url.value->db, 3);
}

TEST(RedisUrl, PrefersPathDbOverDbParameter) {
    EXPECT_EQ(parse_redis_url("redis://h/4?db=5").value->db, 4);
}

TEST(RedisUrl, AcceptsAnyNonNegativeDb) {
    EXPECT_EQ(parse_redis_url("redis://h/42").value->db, 42);
}

TEST(RedisUrl, ListsQueryParametersItIgnores) {
    EXPECT_EQ(parse_redis_url("redis://h?health_check_interval=10&db=1").value->ignored_parameters,
              (std::vector<std::string>{"health_check_interval"}));
}

TEST(RedisUrl, RefusesOtherSchemes) {
    EXPECT_NE(error_of("http://h:6379").find("expected scheme redis:// or rediss://"), std::string::npos);
    EXPECT_NE(error_of("cache:6379").find("expected a URL starting with redis://"), std::string::npos);
}

TEST(RedisUrl, RefusesMissingHost) {
    EXPECT_NE(error_of("redis://:pw@:6379").find("expected a host after redis://"), std::string::npos);
    EXPECT_NE(error_of("redis:///0").find("expected a host after redis://"), std::string::npos);
}

TEST(RedisUrl, RefusesBadPort) {
    for (const char* url : {"redis://h:0", "redis://h:65536", "redis://h:", "redis://h:abc"}) {
        EXPECT_NE(error_of(url).find("expected a port 1..65535"), std::string::npos) << url;
    }
}

TEST(RedisUrl, RefusesBadDb) {
    for (const char* url : {"redis://h/-1", "redis://h/x", "redis://h/1/2", "redis://h?db=x"}) {
        EXPECT_NE(error_of(url).find("database number"), std::string::npos) << error_of(url);
    }
}

TEST(RedisUrl, ParsesUnixWithoutPathOrWithHostAsErrors) {
    EXPECT_NE(parse_redis_url("unix://").problem.find("a socket path"), std::string::npos);
    EXPECT_NE(parse_redis_url("unix://host/run/redis.sock").problem.find("no host in a unix:// URL"), std::string::npos);
}

LoadedSettings loaded_with(std::map<std::string, std::string> env) {
    Environment environment;
    environment.env = std::move(env);
    return load(environment);
}

TEST(RedisUrl, FillsTheSingleRedisSettings) {
    const auto redis = loaded_with({{"REDIS_URL", "redis://user:pw@h:6380/3"}}).settings.redis;
    EXPECT_EQ(redis.host, "h");
    EXPECT_EQ(redis.port, 6380);
    EXPECT_EQ(redis.db, 3);
    EXPECT_EQ(redis.username, "user");
    EXPECT_EQ(redis.password.reveal(), "pw");
    EXPECT_FALSE(redis.ssl);
    EXPECT_TRUE(redis.configured);
}

TEST(RedisUrl, FillsDefaultsForWhatTheUrlLeavesOut) {
    const auto redis = loaded_with({{"REDIS_URL", "redis://cache"}}).settings.redis;
    EXPECT_EQ(redis.host, "cache");
    EXPECT_EQ(redis.port, 6379);
    EXPECT_EQ(redis.db, 0);
    EXPECT_TRUE(redis.username.empty());
    EXPECT_TRUE(redis.password.empty());
}

TEST(RedisUrl, TakesDbFromTheQueryAndIpv6Hosts) {
    const auto redis = loaded_with({{"REDIS_URL", "redis://[::1]:7000?db=5"}}).settings.redis;
    EXPECT_EQ(redis.host, "::1");
    EXPECT_EQ(redis.port, 7000);
    EXPECT_EQ(redis.db, 5);
}

TEST(RedisUrl, TurnsOnTlsForRediss) {
    EXPECT_TRUE(loaded_with({{"REDIS_URL", "rediss://:pw@cache"}}).settings.redis.ssl);
}

TEST(RedisUrl, WinsOverTheSingleRedisVariables) {
    const auto redis = loaded_with({{"REDIS_URL", "redis://app@cache:6380/1"},
                                    {"REDIS_HOST", "other"},
                                    {"REDIS_PORT", "7000"},
                                    {"REDIS_DB", "9"},
                                    {"REDIS_PASSWORD", "env-pw"},
                                    {"REDIS_SSL", "true"}})
                           .settings.redis;
    EXPECT_EQ(redis.host, "cache");
    EXPECT_EQ(redis.port, 6380);
    EXPECT_EQ(redis.db, 1);
    EXPECT_EQ(redis.username, "app");
    EXPECT_TRUE(redis.password.empty());
    EXPECT_FALSE(redis.ssl);
}

TEST(RedisUrl, IsNotAppliedInClusterMode) {
    const auto redis = loaded_with({{"REDIS_CLUSTER_ENABLED", "true"}, {"REDIS_CLUSTER_NODES", "a:7000"},
                                    {"REDIS_URL", "rediss://u:pw@cache:6380/3"}, {"REDIS_SSL", "false"}})
                           .settings.redis;
    EXPECT_EQ(redis.url, "rediss://u:pw@cache:6380/3");
    EXPECT_EQ(redis.host, "localhost");
    EXPECT_EQ(redis.db, 0);
    EXPECT_FALSE(redis.ssl);
    EXPECT_TRUE(redis.password.empty());
    EXPECT_TRUE(redis.username.empty());
}

TEST(RedisUrl, RefusesUnixSockets) {
    for (const char* url : {"unix:///run/redis.sock", "UNIX:///run/redis.sock?db=1", "unix://", "unix://:pw@/s"}) {
        Environment environment;
        environment.env["REDIS_URL"] = url;
        try {
            load(environment);
            ADD_FAILURE() << url << " was accepted";
        } catch (const ConfigError& e) {
            EXPECT_EQ(e.variable(), "REDIS_URL");
            EXPECT_NE(std::string(e.what()).find("unix sockets are not supported; use redis:// or rediss://"),
                      std::string::npos)
                << e.what();
        }
    }
}

TEST(RedisUrl, RefusesADbBeyond15LikeRedisDb) {
    for (const char* url : {"redis://h/16", "redis://h?db=16", "rediss://:pw@h:6380/99"}) {
        const auto message = error_of(url);
        EXPECT_EQ(message.rfind("REDIS_URL=", 0), 0u) << message;
        EXPECT_NE(message.find("expected a database number 0..15"), std::string::npos) << message;
    }
    EXPECT_EQ(loaded_with({{"REDIS_URL", "redis://h/15"}}).settings.redis.db, 15);
}

TEST(RedisUrl, RefusesUnbracketedIpv6) {
    EXPECT_NE(error_of("redis://::1:6379").find("an IPv6 host in brackets"), std::string::npos);
}

TEST(RedisUrl, MasksPasswordAfterEmptyUser) {
    EXPECT_EQ(mask_redis_url("redis://:s3cret@host:6379/0"), "redis://:***@host:6379/0");
}

TEST(RedisUrl, MasksPasswordButKeepsUser) {
    EXPECT_EQ(mask_redis_url("rediss://app:s3cret@host"), "rediss://app:***@host");
}

TEST(RedisUrl, MasksUserPartWithoutColonWhole) {
    EXPECT_EQ(mask_redis_url("redis://s3cret@host"), "redis://***@host");
}

TEST(RedisUrl, MasksUpToTheLastAtSign) {
    EXPECT_EQ(mask_redis_url("redis://u:p@ss/w@rd@host/0"), "redis://u:***@host/0");
}

TEST(RedisUrl, LeavesUrlWithoutUserPartAlone) {
    EXPECT_EQ(mask_redis_url("redis://host:6379/0"), "redis://host:6379/0");
}

TEST(RedisUrl, MasksMalformedUrlsToo) {
    EXPECT_EQ(mask_redis_url("s3cret@host"), "***@host");
}

TEST(RedisUrl, ShowsTheMaskedUrlInErrors) {
    EXPECT_EQ(error_of("redis://:s3cret@host:0/0").rfind("REDIS_URL=\"redis://:***@host:0/0\": expected a port", 0), 0u);
}

}  // namespace
}  // namespace yooni::config
