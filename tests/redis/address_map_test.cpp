#include "yooni/redis/address_map.hpp"

#include <gtest/gtest.h>

namespace yooni::redis {
namespace {

std::string error_of(std::string_view text) {
    auto map = AddressMap::parse(text);
    return map ? "<no error>" : map.error().message;
}

TEST(AddressMap, EmptyTextMapsNothing) {
    for (const auto* text : {"", "  ", ",", " , "}) {
        auto map = AddressMap::parse(text);
        ASSERT_TRUE(map) << text;
        EXPECT_TRUE(map->empty());
        EXPECT_EQ(map->apply({"10.0.0.1", 7000}), (NodeAddress{"10.0.0.1", 7000}));
    }
}

TEST(AddressMap, TranslatesAnnouncedAddresses) {
    auto map = AddressMap::parse("172.18.0.2:7000=localhost:17000, 172.18.0.3:7001 = 127.0.0.1:17001,");
    ASSERT_TRUE(map) << map.error().message;
    EXPECT_EQ(map->size(), 2u);
    EXPECT_EQ(map->apply({"172.18.0.2", 7000}), (NodeAddress{"localhost", 17000}));
    EXPECT_EQ(map->apply({"172.18.0.3", 7001}), (NodeAddress{"127.0.0.1", 17001}));
}

TEST(AddressMap, LeavesOtherAddressesAlone) {
    auto map = AddressMap::parse("172.18.0.2:7000=localhost:17000");
    ASSERT_TRUE(map);
    // Same host, other port; same port, other host.
    EXPECT_EQ(map->apply({"172.18.0.2", 7001}), (NodeAddress{"172.18.0.2", 7001}));
    EXPECT_EQ(map->apply({"172.18.0.20", 7000}), (NodeAddress{"172.18.0.20", 7000}));
}

TEST(AddressMap, ReadsIpv6AndHostnames) {
    auto map = AddressMap::parse("[fd00::2]:7000=[::1]:17000,redis-0.redis.svc:6379=10.1.2.3:30001");
    ASSERT_TRUE(map) << map.error().message;
    EXPECT_EQ(map->apply({"fd00::2", 7000}), (NodeAddress{"::1", 17000}));
    EXPECT_EQ(map->apply({"redis-0.redis.svc", 6379}), (NodeAddress{"10.1.2.3", 30001}));
}

TEST(AddressMap, AcceptsTheSamePairTwice) {
    auto map = AddressMap::parse("a:1=b:2,a:1=b:2");
    ASSERT_TRUE(map);
    EXPECT_EQ(map->size(), 1u);
}

TEST(AddressMap, ErrorsNameTheBadEntry) {
    EXPECT_EQ(error_of("a:1=b:2,oops"),
              "address map entry 2 \"oops\": expected announced_host:port=reachable_host:port");
    EXPECT_EQ(error_of("a:1=b:2=c:3"),
              "address map entry 1 \"a:1=b:2=c:3\": expected announced_host:port=reachable_host:port");
    EXPECT_EQ(error_of("a=b:2"),
              "address map entry 1 \"a=b:2\": announced address is not host:port with a port 1..65535");
    EXPECT_EQ(error_of("a:1=b:99999"),
              "address map entry 1 \"a:1=b:99999\": reachable address is not host:port with a port 1..65535");
    EXPECT_EQ(error_of("a:1=:2"),
              "address map entry 1 \"a:1=:2\": reachable address is not host:port with a port 1..65535");
    EXPECT_EQ(error_of("a:1=b:2, a:1=c:3"),
              "address map entry 2 \"a:1=c:3\": announced address a:1 is mapped twice");
}

}  // namespace
}  // namespace yooni::redis
