// REDIS_CLUSTER_ADDRESS_MAP: announced_host:port=reachable_host:port,...
#include "config/values.hpp"
#include "yooni/config/settings.hpp"

#include <gtest/gtest.h>

namespace yooni::config {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs map_of(const std::string& text) {
    Environment environment;
    environment.env["REDIS_CLUSTER_ADDRESS_MAP"] = text;
    return load(environment).settings.redis.address_map;
}

std::string error_of(const std::string& text) {
    Environment environment;
    environment.env["REDIS_CLUSTER_ADDRESS_MAP"] = text;
    try {
        load(environment);
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.variable(), "REDIS_CLUSTER_ADDRESS_MAP");
        return e.what();
    }
    return "<no error>";
}

TEST(AddressMap, ReadsPairsInOrderIgnoringBlanksAndEmptyEntries) {
    EXPECT_EQ(map_of(" 172.18.0.2:7000 = localhost:7000 ,, 172.18.0.3:7001=localhost:7001, "),
              (Pairs{{"172.18.0.2:7000", "localhost:7000"}, {"172.18.0.3:7001", "localhost:7001"}}));
}

TEST(AddressMap, IsEmptyWhenUnsetOrBlank) {
    EXPECT_TRUE(map_of("").empty());
    EXPECT_TRUE(map_of("  ").empty());
    EXPECT_TRUE(load(Environment{}).settings.redis.address_map.empty());
}

TEST(AddressMap, KeepsIpv6HostsInBrackets) {
    EXPECT_EQ(map_of("[fd00::2]:7000=[::1]:17000"), (Pairs{{"[fd00::2]:7000", "[::1]:17000"}}));
}

TEST(AddressMap, RefusesAnEntryWithoutEquals) {
    const auto message = error_of("a:7000=b:7000,c:7001");
    EXPECT_EQ(message.rfind("REDIS_CLUSTER_ADDRESS_MAP=\"a:7000=b:7000,c:7001\": expected "
                            "announced_host:port=reachable_host:port",
                            0),
              0u)
        << message;
    EXPECT_NE(message.find("entry 2 \"c:7001\": no '='"), std::string::npos) << message;
}

TEST(AddressMap, RefusesABadPortOnEitherSide) {
    EXPECT_NE(error_of("a:0=b:7000").find("announced address: port not an integer 1..65535"), std::string::npos);
    EXPECT_NE(error_of("a:7000=b:70000").find("reachable address: port not an integer 1..65535"), std::string::npos);
    EXPECT_NE(error_of("a:7000=b").find("reachable address: no ':port'"), std::string::npos);
}

TEST(AddressMap, RefusesUnbracketedIpv6AndBadHosts) {
    EXPECT_NE(error_of("fd00::2:7000=b:7000").find("IPv6 host must be in brackets"), std::string::npos);
    EXPECT_NE(error_of("a:7000=[nope]:7000").find("not an IPv6 address"), std::string::npos);
    EXPECT_NE(error_of("a b:7000=c:7000").find("an invalid host"), std::string::npos);
}

TEST(AddressMap, RefusesTwoEqualsAndAnAddressMappedTwice) {
    EXPECT_NE(error_of("a:1=b:2=c:3").find("more than one '='"), std::string::npos);
    EXPECT_NE(error_of("a:7000=b:7000, a:7000=c:7000").find("announced address a:7000 is mapped twice"),
              std::string::npos);
}

TEST(AddressMap, ParserGivesTheSameFormsAsClusterNodes) {
    const auto parsed = detail::parse_address_map("[::1]:1=h:2");
    ASSERT_TRUE(parsed) << parsed.problem;
    EXPECT_EQ(*parsed.value, (Pairs{{"[::1]:1", "h:2"}}));
    EXPECT_EQ(detail::format_endpoint({"::1", 7000}), "[::1]:7000");
    EXPECT_EQ(detail::format_endpoint({"node", 7000}), "node:7000");
}

}  // namespace
}  // namespace yooni::config
