#include "config/dotenv.hpp"
#include "yooni/config/settings.hpp"

#include <gtest/gtest.h>

namespace yooni::config {
namespace {

std::vector<std::string> nodes_of(std::string_view dotenv) {
    return load(detail::parse_dotenv(dotenv, {})).settings.redis.cluster_nodes;
}

std::string error_of(const std::string& nodes) {
    Environment environment;
    environment.env["REDIS_CLUSTER_NODES"] = nodes;
    try {
        load(environment);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "<no error>";
}

TEST(ClusterNodes, ReadsTheSeedLineOfThePythonSystem) {
    const auto loaded = load(detail::parse_dotenv(
        "REDIS_CLUSTER_ENABLED=true\n"
        "REDIS_CLUSTER_NODES=[\"redis-node1:7000\",\"redis-node2:7001\",\"redis-node3:7002\"]\n",
        {}));
    EXPECT_TRUE(loaded.settings.redis.cluster_enabled);
    EXPECT_EQ(loaded.settings.redis.cluster_nodes,
              (std::vector<std::string>{"redis-node1:7000", "redis-node2:7001", "redis-node3:7002"}));
}

TEST(ClusterNodes, ReadsAJsonListWithSpacesAndSingleQuotedLine) {
    EXPECT_EQ(nodes_of(R"(REDIS_CLUSTER_NODES='[ "a:7000" , "b:7001" ]')"),
              (std::vector<std::string>{"a:7000", "b:7001"}));
}

TEST(ClusterNodes, ReadsACommaListWithSpaces) {
    EXPECT_EQ(nodes_of("REDIS_CLUSTER_NODES= h1:7000 ,h2:7001,  10.0.0.3:7002,\n"),
              (std::vector<std::string>{"h1:7000", "h2:7001", "10.0.0.3:7002"}));
}

TEST(ClusterNodes, ReadsASingleConfigurationEndpoint) {
    EXPECT_EQ(nodes_of("REDIS_CLUSTER_NODES=clustercfg.cache.abc.use1.cache.amazonaws.com:6379"),
              (std::vector<std::string>{"clustercfg.cache.abc.use1.cache.amazonaws.com:6379"}));
}

TEST(ClusterNodes, KeepsIpv6HostsInBrackets) {
    EXPECT_EQ(nodes_of(R"(REDIS_CLUSTER_NODES=["[::1]:7000", "[fe80::2]:7001"])"),
              (std::vector<std::string>{"[::1]:7000", "[fe80::2]:7001"}));
}

TEST(ClusterNodes, RefusesIpv6WithoutBracketsNamingTheEntry) {
    const auto message = error_of("h1:7000,::1:7000");
    EXPECT_EQ(message.rfind("REDIS_CLUSTER_NODES=\"h1:7000,::1:7000\": expected", 0), 0u) << message;
    EXPECT_NE(message.find("entry 2 \"::1:7000\": an IPv6 host must be in brackets"), std::string::npos) << message;
}

TEST(ClusterNodes, ASemicolonBetweenNodesIsNamedAsTheSeparator) {
    for (const std::string list : {"127.0.0.1:7000;127.0.0.1:7001", "127.0.0.1:7000|127.0.0.1:7001"}) {
        const auto message = error_of(list);
        EXPECT_NE(message.find("inside an entry: separate nodes with ','"), std::string::npos) << message;
        EXPECT_EQ(message.find("must be in brackets"), std::string::npos) << message;
    }
}

TEST(ClusterNodes, RefusesEntryWithoutPort) {
    EXPECT_NE(error_of(R"(["redis-node1"])").find("entry 1 \"redis-node1\": no ':port'"), std::string::npos);
}

TEST(ClusterNodes, RefusesPortOutOfRange) {
    EXPECT_NE(error_of("a:0").find("port not an integer 1..65535"), std::string::npos);
    EXPECT_NE(error_of("a:65536").find("port not an integer 1..65535"), std::string::npos);
    EXPECT_NE(error_of("a:70o0").find("port not an integer 1..65535"), std::string::npos);
}

TEST(ClusterNodes, RefusesEmptyHost) {
    EXPECT_NE(error_of(":7000").find("an empty host"), std::string::npos);
}

TEST(ClusterNodes, RefusesEmptyJsonString) {
    EXPECT_NE(error_of(R"(["a:7000", ""])").find("entry 2 \"\": an empty entry"), std::string::npos);
}

TEST(ClusterNodes, RefusesNonStringJsonElements) {
    EXPECT_NE(error_of(R"([{"host": "a", "port": 7000}])").find("a JSON array with a non-string element"),
              std::string::npos);
}

TEST(ClusterNodes, RefusesBrokenJson) {
    const auto message = error_of(R"(["a:7000", )");
    EXPECT_NE(message.find("not valid JSON"), std::string::npos) << message;
    EXPECT_NE(message.find("a JSON list of \"host:port\" strings or host:port,host:port"), std::string::npos) << message;
}

TEST(ClusterNodes, RefusesBadIpv6InBrackets) {
    EXPECT_NE(error_of("[nothex]:7000").find("not an IPv6 address"), std::string::npos);
}

}  // namespace
}  // namespace yooni::config
