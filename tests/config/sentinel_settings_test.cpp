// REDIS_SENTINEL_*: the Sentinels as a JSON or comma list, the master's name
// required with them, never together with Redis Cluster, the password masked.
#include "config/dotenv.hpp"
#include "yooni/config/settings.hpp"

#include <gtest/gtest.h>

namespace yooni::config {
namespace {

LoadedSettings loaded_from(std::string_view dotenv) { return load(detail::parse_dotenv(dotenv, {})); }

std::pair<std::string, std::string> error_of(std::string_view dotenv) {
    try {
        loaded_from(dotenv);
    } catch (const ConfigError& e) {
        return {e.variable(), e.what()};
    }
    return {"", "<no error>"};
}

TEST(SentinelSettings, ReadsTheSentinelsTheMasterAndTheirCredentials) {
    const auto loaded = loaded_from(
        "REDIS_SENTINEL_NODES=[\"s1:26379\", \"s2:26379\", \"[::1]:26380\"]\n"
        "REDIS_SENTINEL_MASTER= mymaster \n"
        "REDIS_SENTINEL_PASSWORD=sentinel-secret\n"
        "REDIS_SENTINEL_USERNAME=watcher\n"
        "REDIS_PASSWORD=data-secret\n"
        "REDIS_DB=3\n");
    const auto& r = loaded.settings.redis;
    EXPECT_EQ(r.sentinel_nodes, (std::vector<std::string>{"s1:26379", "s2:26379", "[::1]:26380"}));
    EXPECT_EQ(r.sentinel_master, "mymaster");
    EXPECT_EQ(r.sentinel_password.reveal(), "sentinel-secret");
    EXPECT_EQ(r.sentinel_username, "watcher");
    EXPECT_EQ(r.password.reveal(), "data-secret");
    EXPECT_EQ(r.db, 3);
    EXPECT_TRUE(r.configured);
    EXPECT_FALSE(r.cluster_enabled);
}

TEST(SentinelSettings, ReadsACommaList) {
    const auto loaded = loaded_from("REDIS_SENTINEL_NODES= a:26379 ,b:26380\nREDIS_SENTINEL_MASTER=m\n");
    EXPECT_EQ(loaded.settings.redis.sentinel_nodes, (std::vector<std::string>{"a:26379", "b:26380"}));
}

TEST(SentinelSettings, TheMasterNameIsRequiredWithTheSentinels) {
    const auto [variable, message] = error_of("REDIS_SENTINEL_NODES=a:26379\n");
    EXPECT_EQ(variable, "REDIS_SENTINEL_MASTER");
    EXPECT_NE(message.find("required as REDIS_SENTINEL_NODES is set"), std::string::npos) << message;
}

TEST(SentinelSettings, RefusesSentinelAndClusterTogether) {
    const auto [variable, message] =
        error_of("REDIS_CLUSTER_ENABLED=true\nREDIS_CLUSTER_NODES=c:7000\nREDIS_SENTINEL_NODES=a:26379\n"
                 "REDIS_SENTINEL_MASTER=m\n");
    EXPECT_EQ(variable, "REDIS_SENTINEL_NODES");
    EXPECT_NE(message.find("REDIS_CLUSTER_ENABLED"), std::string::npos) << message;
}

TEST(SentinelSettings, RefusesAnEntryWithoutPortNamingIt) {
    const auto [variable, message] = error_of("REDIS_SENTINEL_NODES=a:26379,b\nREDIS_SENTINEL_MASTER=m\n");
    EXPECT_EQ(variable, "REDIS_SENTINEL_NODES");
    EXPECT_NE(message.find("entry 2 \"b\": no ':port'"), std::string::npos) << message;
}

TEST(SentinelSettings, RefusesAMasterNameWithBlanks) {
    const auto [variable, message] = error_of("REDIS_SENTINEL_NODES=a:26379\nREDIS_SENTINEL_MASTER=my master\n");
    EXPECT_EQ(variable, "REDIS_SENTINEL_MASTER");
}

TEST(SentinelSettings, ThePasswordIsMaskedWhereSettingsAreShown) {
    const auto loaded = loaded_from(
        "REDIS_SENTINEL_NODES=a:26379\nREDIS_SENTINEL_MASTER=m\nREDIS_SENTINEL_PASSWORD=sentinel-secret\n");
    for (const auto& line : describe(loaded)) EXPECT_EQ(line.find("sentinel-secret"), std::string::npos) << line;
    bool listed = false;
    for (const auto& v : variables()) listed = listed || (v.name == "REDIS_SENTINEL_PASSWORD" && v.secret);
    EXPECT_TRUE(listed);
}

}  // namespace
}  // namespace yooni::config
