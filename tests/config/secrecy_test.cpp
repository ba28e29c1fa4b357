// No secret text in any message, describe() line or warning.
#include "config/dotenv.hpp"
#include "yooni/config/settings.hpp"

#include <gtest/gtest.h>

namespace yooni::config {
namespace {

// Distinct markers, so a leak names its source.
constexpr const char* kClusterPassword = "LEAK-cluster-pw";
constexpr const char* kRedisPassword = "LEAK-redis-pw";
constexpr const char* kUrlPassword = "LEAK-url-pw";
constexpr const char* kSecretKey = "LEAK-key";
constexpr const char* kToken = "LEAK-token-0123456789";
constexpr const char* kMetricsToken = "LEAK-metrics-0123456789";
const std::vector<std::string> kMarkers{kClusterPassword, kRedisPassword, kUrlPassword, kSecretKey, kToken, kMetricsToken,
                                        "LEAK"};

void expect_no_secret(const std::string& text) {
    for (const auto& marker : kMarkers) EXPECT_EQ(text.find(marker), std::string::npos) << text;
}

std::string error_of(std::map<std::string, std::string> env, std::string_view dotenv = "") {
    try {
        auto environment = detail::parse_dotenv(dotenv, {});
        environment.env = std::move(env);
        load(environment);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "<no error>";
}

Environment with_every_secret() {
    Environment environment;
    environment.env = {
        {"REDIS_CLUSTER_ENABLED", "true"},
        {"REDIS_CLUSTER_NODES", "a:7000"},
        {"REDIS_CLUSTER_PASSWORD", kClusterPassword},
        {"REDIS_URL", std::string("rediss://app:") + kUrlPassword + "@cache:6379/0"},
        {"REDIS_PASSWORD", kRedisPassword},
        {"REDIS_SSL", "false"},
        {"SECRET_KEY", kSecretKey},
        {"API_TOKENS", std::string("ci:read:") + kToken},
        {"METRICS_TOKEN", kMetricsToken},
        {"HOST", "0.0.0.0"},
    };
    return environment;
}

TEST(Secrecy, KeepsSecretsOutOfDescribe) {
    for (const auto& line : describe(load(with_every_secret()))) expect_no_secret(line);
}

TEST(Secrecy, KeepsSecretsOutOfWarnings) {
    const auto all = warnings(load(with_every_secret()));
    EXPECT_FALSE(all.empty());
    for (const auto& line : all) expect_no_secret(line);
}

// REDIS_URL applied (no cluster): its password becomes redis.password.
Environment with_url_password() {
    Environment environment;
    environment.env = {
        {"REDIS_URL", std::string("redis://app:") + kUrlPassword + "@cache:6380/3?socket_timeout=1"},
        {"REDIS_HOST", "other"},
        {"REDIS_PASSWORD", kRedisPassword},
        {"REDIS_SSL", "true"},
        {"REDIS_TLS_SERVER_NAME", "cache.example.com"},
        {"REDIS_READ_FROM_REPLICAS", "true"},
        {"HOST", "0.0.0.0"},
    };
    return environment;
}

TEST(Secrecy, KeepsTheUrlPasswordOutOfDescribeAndWarnings) {
    const auto loaded = load(with_url_password());
    ASSERT_EQ(loaded.settings.redis.password.reveal(), kUrlPassword);
    for (const auto& line : describe(loaded)) expect_no_secret(line);
    const auto all = warnings(loaded);
    EXPECT_GE(all.size(), 3u);
    for (const auto& line : all) expect_no_secret(line);
}

TEST(Secrecy, KeepsTheUrlPasswordOutOfUrlErrors) {
    for (const auto& url : {std::string("redis://app:") + kUrlPassword + "@cache/16",
                            std::string("rediss://:") + kUrlPassword + "@cache?db=99",
                            std::string("unix://:") + kUrlPassword + "@/run/redis.sock",
                            std::string("unix://") + kUrlPassword + "@/run/redis.sock"}) {
        const auto message = error_of({{"REDIS_URL", url}});
        EXPECT_NE(message, "<no error>") << url;
        expect_no_secret(message);
    }
}

TEST(Secrecy, KeepsSecretsOutOfTokenErrors) {
    expect_no_secret(error_of({{"API_TOKENS", std::string("ci:owner:") + kToken}}));
    expect_no_secret(error_of({{"API_TOKENS", std::string("ci:read:") + kToken + ",LEAK-no-colons"}}));
    expect_no_secret(error_of({{"API_TOKENS", "ci:read:LEAK-short"}}));
    expect_no_secret(error_of({{"API_TOKENS", std::string(kToken) + ":read:ci"}}));  // token written first
    expect_no_secret(error_of({{"API_TOKENS", std::string("ci:read:") + kToken + ",ci:read:" + kToken}}));
}

TEST(Secrecy, KeepsSecretsOutOfRedisUrlErrors) {
    for (const auto& url : {std::string("redis://:") + kUrlPassword + "@host:0",
                            std::string("redis://:") + kUrlPassword + "/x@host",
                            std::string("http://user:") + kUrlPassword + "@host",
                            std::string("redis://") + kUrlPassword + "@",
                            std::string("redis:") + kUrlPassword + "@host"}) {
        const auto message = error_of({{"REDIS_URL", url}});
        EXPECT_NE(message, "<no error>") << url;
        expect_no_secret(message);
    }
}

TEST(Secrecy, KeepsTheMetricsTokenOutOfItsErrors) {
    expect_no_secret(error_of({{"METRICS_TOKEN", "LEAK-short"}}));
    expect_no_secret(error_of({{"METRICS_TOKEN", "LEAK metrics token with a blank"}}));
    expect_no_secret(error_of({{"METRICS_TOKEN", kMetricsToken}, {"REDIS_PORT", "0"}}));
}

TEST(Secrecy, KeepsSecretsOutOfDotenvErrors) {
    expect_no_secret(error_of({}, "LEAK-pasted-token-without-name\n"));
    expect_no_secret(error_of({}, "SECRET_KEY=\"LEAK-unterminated\n"));
    expect_no_secret(error_of({}, "SECRET_KEY='LEAK' trailing\n"));
}

}  // namespace
}  // namespace yooni::config
