#include "yooni/redis/cluster_nodes.hpp"

#include "support/redis_server.hpp"

#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

namespace yooni::redis {
namespace {

// Six masters and replicas in every state CLUSTER NODES can show, in the
// format of Redis 7 (hostnames after the bus port, migration markers).
constexpr std::string_view kSixNodes =
    "07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004,redis-4.example slave "
    "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected\n"
    "67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30002@31002 master - 0 1426238316232 2 connected "
    "5461-10922 [5461-<-292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f]\n"
    "292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 127.0.0.1:30003@31003 master - 0 1426238318243 3 connected "
    "10923-16383\n"
    "6ec23923021cf3ffec47632106199cb7f496ce01 127.0.0.1:30005@31005 slave,fail? "
    "67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 1426238316000 1426238316232 5 disconnected\n"
    "824fe116063bc5fcf9f4ffd895bc17aee7731ac3 127.0.0.1:30006@31006 slave,fail,nofailover "
    "292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 0 1426238317741 6 disconnected\n"
    "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@31001 myself,master - 0 0 1 connected "
    "0-5459 5460 [5461->-67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1]\n"
    "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678 127.0.0.1:30007@31007 handshake - 1426238319000 0 0 connected\n"
    "b1b2c3d4e5f60718293a4b5c6d7e8f9012345678 :0@0 noaddr,master - 1426238319000 1426238310000 7 disconnected\n"
    "c1b2c3d4e5f60718293a4b5c6d7e8f9012345678 127.0.0.1:30008@31008 noflags - 0 0 0 connected\n";

std::vector<ClusterNodeInfo> six_nodes() {
    auto nodes = parse_cluster_nodes(kSixNodes);
    EXPECT_TRUE(nodes) << nodes.error().message;
    return nodes ? *nodes : std::vector<ClusterNodeInfo>{};
}

std::string error_of(std::string_view text) {
    auto nodes = parse_cluster_nodes(text);
    return nodes ? "<no error>" : nodes.error().message;
}

TEST(ClusterNodes, ReadsEveryField) {
    const auto nodes = six_nodes();
    ASSERT_EQ(nodes.size(), 9u);
    const auto& replica = nodes[0];
    EXPECT_EQ(replica.id, "07c37dfeb235213a872192d90877d0cd55635b91");
    EXPECT_EQ(replica.address, "127.0.0.1:30004");
    EXPECT_EQ(replica.hostname, "redis-4.example");
    EXPECT_EQ(replica.flags, std::vector<std::string>{"slave"});
    EXPECT_EQ(replica.master_id, "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca");
    EXPECT_EQ(replica.ping_sent, 0);
    EXPECT_EQ(replica.pong_recv, 1426238317239);
    EXPECT_EQ(replica.config_epoch, 4);
    EXPECT_EQ(replica.link_state, "connected");
    EXPECT_TRUE(replica.slots.empty());
    EXPECT_TRUE(replica.is_replica);
    EXPECT_FALSE(replica.is_master);
}

TEST(ClusterNodes, ReadsRolesAndFailureFlags) {
    const auto nodes = six_nodes();
    ASSERT_EQ(nodes.size(), 9u);
    EXPECT_TRUE(nodes[5].is_myself && nodes[5].is_master);
    EXPECT_EQ(nodes[5].master_id, std::nullopt);
    EXPECT_TRUE(nodes[3].is_pfail && !nodes[3].is_fail);
    EXPECT_EQ(nodes[3].flags, (std::vector<std::string>{"slave", "fail?"}));
    EXPECT_EQ(nodes[3].ping_sent, 1426238316000);
    EXPECT_EQ(nodes[3].link_state, "disconnected");
    EXPECT_TRUE(nodes[4].is_fail && !nodes[4].is_pfail);
    EXPECT_EQ(nodes[4].flags, (std::vector<std::string>{"slave", "fail", "nofailover"}));
    EXPECT_EQ(nodes[6].flags, std::vector<std::string>{"handshake"});
    EXPECT_FALSE(nodes[6].is_master || nodes[6].is_replica);
    EXPECT_EQ(nodes[7].address, ":0");
    EXPECT_EQ(nodes[7].flags, (std::vector<std::string>{"noaddr", "master"}));
    EXPECT_EQ(nodes[8].flags, std::vector<std::string>{"noflags"});
}

TEST(ClusterNodes, SeparatesRangesFromMigrationMarkers) {
    const auto nodes = six_nodes();
    ASSERT_EQ(nodes.size(), 9u);
    EXPECT_EQ(nodes[5].slots, (std::vector<std::string>{"0-5459", "5460"}));
    EXPECT_EQ(nodes[5].slot_count, 5461u);
    EXPECT_EQ(nodes[5].migrating, std::vector<std::string>{"5461->-67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1"});
    EXPECT_TRUE(nodes[5].importing.empty());
    EXPECT_EQ(nodes[1].slots, std::vector<std::string>{"5461-10922"});
    EXPECT_EQ(nodes[1].slot_count, 5462u);
    EXPECT_EQ(nodes[1].importing, std::vector<std::string>{"5461-<-292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f"});
    EXPECT_EQ(nodes[2].slot_count, 5461u);
}

TEST(ClusterNodes, ToleratesCrlfAndBlankLines) {
    auto nodes = parse_cluster_nodes("\r\nabc 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-16383\r\n\r\n");
    ASSERT_TRUE(nodes) << nodes.error().message;
    ASSERT_EQ(nodes->size(), 1u);
    EXPECT_EQ((*nodes)[0].slot_count, 16384u);
    EXPECT_TRUE(parse_cluster_nodes("")->empty());
}

TEST(ClusterNodes, ReadsRedis72AuxFieldsAndIpv6) {
    auto nodes = parse_cluster_nodes(
        "abc ::1:7000@17000,,shard-id=5f2a master - 0 0 1 connected 0-100\n"
        "def 10.0.0.2:7001@17001,node-2,tls-port=0,shard-id=5f2a slave abc 0 0 1 connected\n");
    ASSERT_TRUE(nodes) << nodes.error().message;
    EXPECT_EQ((*nodes)[0].address, "::1:7000");
    EXPECT_EQ((*nodes)[0].hostname, "");
    EXPECT_EQ((*nodes)[1].hostname, "node-2");
}

TEST(ClusterNodes, MalformedLinesAreNamed) {
    EXPECT_EQ(error_of("abc 127.0.0.1:7000@17000 master - 0 0 1 connected\nshort line\n"),
              "CLUSTER NODES line 2 \"short line\": fewer than 8 fields");
    EXPECT_EQ(error_of("abc 127.0.0.1@17000 master - 0 0 1 connected"),
              "CLUSTER NODES line 1 \"abc 127.0.0.1@17000 master - 0 0 1 connected\": address is not ip:port@cport");
    EXPECT_EQ(error_of("abc h:1@2 master - x 0 1 connected"),
              "CLUSTER NODES line 1 \"abc h:1@2 master - x 0 1 connected\": ping_sent, pong_recv or config_epoch is not "
              "an integer");
    EXPECT_EQ(error_of("abc h:1@2 master - 0 0 1 linked"),
              "CLUSTER NODES line 1 \"abc h:1@2 master - 0 0 1 linked\": link state is neither connected nor "
              "disconnected");
    EXPECT_EQ(error_of("abc h:1@2 master - 0 0 1 connected 0-16384"),
              "CLUSTER NODES line 1 \"abc h:1@2 master - 0 0 1 connected 0-16384\": slot is not N or N-M within "
              "0..16383");
    EXPECT_EQ(error_of("abc h:1@2 master - 0 0 1 connected 10-5"),
              "CLUSTER NODES line 1 \"abc h:1@2 master - 0 0 1 connected 10-5\": slot is not N or N-M within 0..16383");
    EXPECT_EQ(error_of("abc h:1@2 master - 0 0 1 connected [5->x]"),
              "CLUSTER NODES line 1 \"abc h:1@2 master - 0 0 1 connected [5->x]\": migration marker is not "
              "[slot->-id] or [slot-<-id]");
    EXPECT_EQ(error_of("abc h:1@2 master - 0 0 1 connected [5->-id"),
              "CLUSTER NODES line 1 \"abc h:1@2 master - 0 0 1 connected [5->-id\": migration marker without ']'");
    EXPECT_EQ(error_of("abc h:1@2 master,,x - 0 0 1 connected"),
              "CLUSTER NODES line 1 \"abc h:1@2 master,,x - 0 0 1 connected\": empty flag");
    // The cluster topology fuzz target checks slot_count <= 16384: overlapping
    // ranges used to pass it.
    EXPECT_EQ(error_of("abc h:1@2 master - 0 0 1 connected 0-16383 5"),
              "CLUSTER NODES line 1 \"abc h:1@2 master - 0 0 1 connected 0-16383 5\": slot listed twice for one node");
}

TEST(ClusterInfo, ReadsKeyValueLines) {
    auto info = parse_cluster_info("cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_stats_messages_sent:7\r\n");
    ASSERT_TRUE(info);
    EXPECT_EQ(info->at("cluster_state"), "ok");
    EXPECT_EQ(info->at("cluster_slots_assigned"), "16384");
    EXPECT_EQ(info->size(), 3u);
}

TEST(ClusterInfo, LineWithoutColonIsNamed) {
    auto info = parse_cluster_info("cluster_state:ok\r\nnonsense\r\n");
    ASSERT_FALSE(info);
    EXPECT_EQ(info.error().message, "CLUSTER INFO line 2 \"nonsense\": expected key:value");
}

// redis-cli prints a bulk reply as is plus one "\n"; drop that to get Redis's bytes.
std::string bulk_text(const test::CommandResult& result) {
    auto text = result.out;
    if (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
}

TEST(ClusterNodesLive, ReadsTheTextOfARealNode) {
    test::RedisServer server{{.extra_args = {"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                                             // The bus port defaults to port + 10000, which fails above 55535.
                                             "--cluster-port", std::to_string(test::free_port())}}};
    ASSERT_EQ(server.cli({"CLUSTER", "ADDSLOTSRANGE", "0", "99", "200", "16383"}).out, "OK\n");
    ASSERT_EQ(server.cli({"CLUSTER", "ADDSLOTS", "150"}).out, "OK\n");
    ASSERT_EQ(server.cli({"CONFIG", "SET", "cluster-announce-hostname", "node-a.example"}).out, "OK\n");
    const auto myid = bulk_text(server.cli({"CLUSTER", "MYID"}));

    const auto nodes_text = bulk_text(server.cli({"CLUSTER", "NODES"}));
    auto nodes = parse_cluster_nodes(nodes_text);
    ASSERT_TRUE(nodes) << nodes.error().message;
    ASSERT_EQ(nodes->size(), 1u) << nodes_text;
    const auto& self = nodes->front();
    EXPECT_EQ(self.id, myid);
    EXPECT_TRUE(self.is_myself && self.is_master) << nodes_text;
    EXPECT_EQ(self.hostname, "node-a.example");
    EXPECT_TRUE(self.address.ends_with(":" + std::to_string(server.port()))) << self.address;
    EXPECT_EQ(self.slots, (std::vector<std::string>{"0-99", "150", "200-16383"})) << nodes_text;
    EXPECT_EQ(self.slot_count, 16384u - 100u + 1u) << nodes_text;

    auto info = parse_cluster_info(bulk_text(server.cli({"CLUSTER", "INFO"})));
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->at("cluster_slots_assigned"), "16285");
    EXPECT_EQ(info->at("cluster_known_nodes"), "1");
    EXPECT_TRUE(info->contains("cluster_state"));
}

}  // namespace
}  // namespace yooni::redis
