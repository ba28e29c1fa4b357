#include "yooni/redis/slot_map.hpp"

#include "support/redis_server.hpp"

#include <yooni/resp/parser.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace yooni::redis {
namespace {

using resp::Node;
using resp::Type;

// A reply written as a tree, flattened into the parser's pre-order nodes.
// Texts are string literals, so the views stay valid.
struct V {
    Type type;
    std::string_view text;
    std::vector<V> kids;
};
V str(std::string_view text) { return {Type::bulk_string, text, {}}; }
V num(std::string_view digits) { return {Type::integer, digits, {}}; }
V nil() { return {Type::null, {}, {}}; }
V arr(std::vector<V> kids) { return {Type::array, {}, std::move(kids)}; }
V dict(std::vector<V> kids) { return {Type::map, {}, std::move(kids)}; }
V attr(std::vector<V> kids) { return {Type::attribute, {}, std::move(kids)}; }

void flatten(const V& v, std::size_t depth, std::vector<Node>& out) {
    // An attribute is not counted among its parent's children.
    std::size_t size = 0;
    for (const auto& kid : v.kids) size += kid.type == Type::attribute ? 0 : 1;
    out.push_back(Node{v.type, size, depth, v.text});
    for (const auto& kid : v.kids) flatten(kid, depth + 1, out);
}
std::vector<Node> tree(const V& root) {
    std::vector<Node> out;
    flatten(root, 0, out);
    return out;
}

// [host, port, id, metadata] as Redis 7 sends it in RESP2 (metadata a flat array).
V node(V endpoint, std::string_view port, std::string_view id = "0123456789abcdef", V metadata = arr({})) {
    return arr({std::move(endpoint), num(port), str(id), std::move(metadata)});
}

const NodeAddress kSeed{"10.0.0.9", 7000};

NodeAddress addr(std::string host, std::uint16_t port) { return {std::move(host), port}; }

std::shared_ptr<const SlotMap> parse(const V& root, const NodeAddress& answered_by = kSeed, std::uint64_t version = 1) {
    auto map = SlotMap::from_cluster_slots(tree(root), answered_by, version);
    EXPECT_TRUE(map) << map.error().message();
    return map ? *map : nullptr;
}

boost::system::error_code error_of(const V& root) {
    auto map = SlotMap::from_cluster_slots(tree(root), kSeed, 1);
    return map ? boost::system::error_code{} : map.error();
}

V three_shards() {
    return arr({
        arr({num("0"), num("5460"), node(str("127.0.0.1"), "7000"), node(str("127.0.0.1"), "7003")}),
        arr({num("5461"), num("10922"), node(str("127.0.0.1"), "7001"), node(str("127.0.0.1"), "7004")}),
        arr({num("10923"), num("16383"), node(str("127.0.0.1"), "7002"), node(str("127.0.0.1"), "7005"),
             node(str("127.0.0.1"), "7006")}),
    });
}

TEST(SlotMap, ReadsMastersAndReplicasOfEverySlot) {
    const auto map = parse(three_shards(), kSeed, 7);
    ASSERT_TRUE(map);
    EXPECT_EQ(map->version(), 7u);
    EXPECT_TRUE(map->covers_all_slots());
    EXPECT_TRUE(map->uncovered_ranges().empty());
    EXPECT_EQ(*map->master_for(0), addr("127.0.0.1", 7000));
    EXPECT_EQ(*map->master_for(5460), addr("127.0.0.1", 7000));
    EXPECT_EQ(*map->master_for(5461), addr("127.0.0.1", 7001));
    EXPECT_EQ(*map->master_for(16383), addr("127.0.0.1", 7002));
    ASSERT_EQ(map->replicas_for(100).size(), 1u);
    EXPECT_EQ(map->replicas_for(100)[0], addr("127.0.0.1", 7003));
    ASSERT_EQ(map->replicas_for(16000).size(), 2u);
    EXPECT_EQ(map->replicas_for(16000)[1], addr("127.0.0.1", 7006));
    EXPECT_EQ(map->masters(), (std::vector<NodeAddress>{addr("127.0.0.1", 7000), addr("127.0.0.1", 7001),
                                                         addr("127.0.0.1", 7002)}));
    EXPECT_EQ(map->all_nodes().size(), 7u);
}

TEST(SlotMap, LooksUpTheSlotOfAKey) {
    const auto map = parse(three_shards());
    ASSERT_TRUE(map);
    EXPECT_EQ(*map->master_for(key_slot("foo")), addr("127.0.0.1", 7002));  // slot 12182
    EXPECT_EQ(*map->master_for(key_slot("bar")), addr("127.0.0.1", 7000));  // slot 5061
}

TEST(SlotMap, NullEndpointMeansTheAddressThatAnswered) {
    const auto map = parse(arr({arr({num("0"), num("16383"), node(nil(), "7001"), node(nil(), "7002")})}));
    ASSERT_TRUE(map);
    EXPECT_EQ(*map->master_for(9), addr("10.0.0.9", 7001));
    EXPECT_EQ(map->replicas_for(9)[0], addr("10.0.0.9", 7002));
}

TEST(SlotMap, EmptyEndpointMeansTheAddressThatAnswered) {
    const auto map = parse(arr({arr({num("0"), num("16383"), node(str(""), "7000")})}));
    ASSERT_TRUE(map);
    EXPECT_EQ(*map->master_for(9), kSeed);
}

TEST(SlotMap, QuestionMarkEndpointUsesTheIpMetadata) {
    const auto map = parse(arr({
        arr({num("0"), num("8191"), node(str("?"), "7000", "a", arr({str("ip"), str("10.1.1.1")}))}),
        // RESP3: metadata is a map.
        arr({num("8192"), num("16383"), node(str("?"), "7001", "b", dict({str("ip"), str("10.1.1.2")}))}),
    }));
    ASSERT_TRUE(map);
    EXPECT_EQ(*map->master_for(0), addr("10.1.1.1", 7000));
    EXPECT_EQ(*map->master_for(9000), addr("10.1.1.2", 7001));
}

TEST(SlotMap, QuestionMarkEndpointWithoutMetadataMeansTheAddressThatAnswered) {
    const auto map = parse(arr({arr({num("0"), num("16383"), node(str("?"), "7005")})}));
    ASSERT_TRUE(map);
    EXPECT_EQ(*map->master_for(0), addr("10.0.0.9", 7005));
}

TEST(SlotMap, KeepsHostnamesAsGivenAndIgnoresMetadata) {
    const auto map = parse(arr({
        arr({num("0"), num("16383"), node(str("redis-1.example.com"), "6379", "a", dict({str("ip"), str("10.1.1.1")})),
             node(str("10.1.1.2"), "6379", "b", arr({str("hostname"), str("redis-2.example.com")}))}),
    }));
    ASSERT_TRUE(map);
    EXPECT_EQ(*map->master_for(0), addr("redis-1.example.com", 6379));
    EXPECT_EQ(map->replicas_for(0)[0], addr("10.1.1.2", 6379));
}

TEST(SlotMap, ReadsNodesWithoutIdOrMetadata) {
    // Redis before 4 sent [host, port]; before 7 [host, port, id].
    const auto map = parse(arr({arr({num("0"), num("16383"), arr({str("127.0.0.1"), num("7000")}),
                                     arr({str("127.0.0.1"), num("7001"), str("id")})})}));
    ASSERT_TRUE(map);
    EXPECT_EQ(*map->master_for(1), addr("127.0.0.1", 7000));
    EXPECT_EQ(map->replicas_for(1)[0], addr("127.0.0.1", 7001));
}

TEST(SlotMap, SkipsResp3Attributes) {
    const auto map = parse(arr({
        attr({str("key-popularity"), arr({})}),
        arr({num("0"), attr({str("x"), num("1")}), num("16383"), node(str("127.0.0.1"), "7000")}),
    }));
    ASSERT_TRUE(map);
    EXPECT_EQ(*map->master_for(16383), addr("127.0.0.1", 7000));
}

TEST(SlotMap, ReportsSlotsNoEntryCovers) {
    const auto map = parse(arr({
        arr({num("0"), num("5460"), node(str("127.0.0.1"), "7000")}),
        arr({num("10923"), num("16382"), node(str("127.0.0.1"), "7002")}),
    }));
    ASSERT_TRUE(map);
    EXPECT_FALSE(map->covers_all_slots());
    EXPECT_EQ(map->uncovered_slot_count(), 5462u + 1u);
    EXPECT_EQ(map->uncovered_ranges(), (std::vector<SlotRange>{{5461, 10922}, {16383, 16383}}));
    EXPECT_EQ(map->master_for(6000), nullptr);
    EXPECT_TRUE(map->replicas_for(6000).empty());
    EXPECT_EQ(*map->master_for(10923), addr("127.0.0.1", 7002));
}

TEST(SlotMap, EmptyReplyCoversNothing) {
    const auto map = parse(arr({}));
    ASSERT_TRUE(map);
    EXPECT_TRUE(map->masters().empty());
    EXPECT_EQ(map->uncovered_ranges(), (std::vector<SlotRange>{{0, 16383}}));
}

TEST(SlotMap, MasterWithSeveralRangesIsListedOnce) {
    const auto map = parse(arr({
        arr({num("0"), num("99"), node(str("127.0.0.1"), "7000")}),
        arr({num("100"), num("199"), node(str("127.0.0.1"), "7001")}),
        arr({num("200"), num("16383"), node(str("127.0.0.1"), "7000")}),
    }));
    ASSERT_TRUE(map);
    EXPECT_EQ(map->masters().size(), 2u);
    EXPECT_EQ(map->ranges_of(addr("127.0.0.1", 7000)), (std::vector<SlotRange>{{0, 99}, {200, 16383}}));
}

TEST(SlotMap, RefusesRepliesThatAreNotSlotTables) {
    EXPECT_EQ(error_of(V{Type::simple_error, "ERR This instance has cluster support disabled", {}}),
              topology_errc::not_an_array);
    EXPECT_EQ(error_of(str("x")), topology_errc::not_an_array);
    EXPECT_EQ(SlotMap::from_cluster_slots(std::vector<Node>{}, kSeed, 1).error(), topology_errc::not_an_array);
    EXPECT_EQ(error_of(arr({num("1")})), topology_errc::bad_entry);
    EXPECT_EQ(error_of(arr({arr({num("0"), num("1")})})), topology_errc::bad_entry);
}

TEST(SlotMap, RefusesBadSlotRanges) {
    EXPECT_EQ(error_of(arr({arr({num("0"), num("16384"), node(str("h"), "1")})})), topology_errc::bad_slot_range);
    EXPECT_EQ(error_of(arr({arr({num("-1"), num("5"), node(str("h"), "1")})})), topology_errc::bad_slot_range);
    EXPECT_EQ(error_of(arr({arr({num("9"), num("5"), node(str("h"), "1")})})), topology_errc::bad_slot_range);
    EXPECT_EQ(error_of(arr({arr({str("0"), num("5"), node(str("h"), "1")})})), topology_errc::bad_slot_range);
}

TEST(SlotMap, RefusesBadNodes) {
    EXPECT_EQ(error_of(arr({arr({num("0"), num("5"), node(str("h"), "0")})})), topology_errc::bad_node);
    EXPECT_EQ(error_of(arr({arr({num("0"), num("5"), node(str("h"), "65536")})})), topology_errc::bad_node);
    EXPECT_EQ(error_of(arr({arr({num("0"), num("5"), arr({str("h")})})})), topology_errc::bad_node);
    EXPECT_EQ(error_of(arr({arr({num("0"), num("5"), str("h:1")})})), topology_errc::bad_node);
    EXPECT_EQ(error_of(arr({arr({num("0"), num("5"), node(num("1"), "7000")})})), topology_errc::bad_node);
    EXPECT_EQ(error_of(arr({arr({num("0"), num("5"), node(str("h"), "1"), node(str("h"), "x")})})),
              topology_errc::bad_node);
}

TEST(SlotMap, RefusesOverlappingRanges) {
    EXPECT_EQ(error_of(arr({arr({num("0"), num("100"), node(str("a"), "1")}),
                            arr({num("100"), num("200"), node(str("b"), "1")})})),
              topology_errc::overlapping_ranges);
}

TEST(SlotMap, RefusesATruncatedTree) {
    auto nodes = tree(three_shards());
    nodes.pop_back();
    EXPECT_EQ(SlotMap::from_cluster_slots(nodes, kSeed, 1).error(), topology_errc::bad_entry);
    nodes.resize(3);
    EXPECT_FALSE(SlotMap::from_cluster_slots(nodes, kSeed, 1));
}

TEST(SlotMap, MovedPatchesOneSlotIntoANewVersion) {
    const auto map = parse(three_shards(), kSeed, 3);
    ASSERT_TRUE(map);
    const auto patched = map->with_slot_moved(100, addr("127.0.0.1", 7001));
    EXPECT_EQ(patched->version(), 4u);
    EXPECT_EQ(*patched->master_for(100), addr("127.0.0.1", 7001));
    // It joins the shard of its new master, replicas included.
    EXPECT_EQ(patched->replicas_for(100)[0], addr("127.0.0.1", 7004));
    EXPECT_EQ(*patched->master_for(99), addr("127.0.0.1", 7000));
    EXPECT_EQ(*patched->master_for(101), addr("127.0.0.1", 7000));
    // The old snapshot is untouched: readers holding it see what they saw.
    EXPECT_EQ(*map->master_for(100), addr("127.0.0.1", 7000));
    EXPECT_EQ(map->version(), 3u);
    EXPECT_EQ(patched->ranges_of(addr("127.0.0.1", 7000)), (std::vector<SlotRange>{{0, 99}, {101, 5460}}));
}

TEST(SlotMap, MovedToAnUnknownNodeAddsAMasterWithoutReplicas) {
    const auto map = parse(three_shards());
    ASSERT_TRUE(map);
    const auto patched = map->with_slot_moved(16383, addr("10.0.0.4", 7010));
    EXPECT_EQ(*patched->master_for(16383), addr("10.0.0.4", 7010));
    EXPECT_TRUE(patched->replicas_for(16383).empty());
    EXPECT_EQ(patched->masters().size(), 4u);
    EXPECT_EQ(patched->replicas_for(16382).size(), 2u);
}

TEST(SlotMap, MovedCoversAnUncoveredSlot) {
    const auto map = parse(arr({arr({num("0"), num("16382"), node(str("127.0.0.1"), "7000")})}));
    ASSERT_TRUE(map);
    const auto patched = map->with_slot_moved(16383, addr("127.0.0.1", 7000));
    EXPECT_TRUE(patched->covers_all_slots());
    EXPECT_EQ(patched->masters().size(), 1u);
}

TEST(SlotMap, MasterThatLostItsLastSlotIsNoLongerListed) {
    const auto map = parse(arr({arr({num("0"), num("16382"), node(str("127.0.0.1"), "7000"), node(str("127.0.0.1"), "7003")}),
                                arr({num("16383"), num("16383"), node(str("127.0.0.1"), "7001")})}));
    ASSERT_TRUE(map);
    const auto patched = map->with_slot_moved(16383, addr("127.0.0.1", 7000));
    EXPECT_EQ(patched->masters(), (std::vector<NodeAddress>{addr("127.0.0.1", 7000)}));
    EXPECT_EQ(patched->all_nodes(), (std::vector<NodeAddress>{addr("127.0.0.1", 7000), addr("127.0.0.1", 7003)}));
}

TEST(SlotMap, SameLayoutIgnoresVersionAndEntryOrder) {
    const auto a = parse(three_shards(), kSeed, 1);
    auto reordered = three_shards();
    std::swap(reordered.kids[0], reordered.kids[2]);
    const auto b = parse(reordered, kSeed, 2);
    ASSERT_TRUE(a && b);
    EXPECT_TRUE(a->same_layout(*b));
    EXPECT_FALSE(a->same_layout(*a->with_slot_moved(0, addr("127.0.0.1", 7001))));
}

TEST(SlotMap, BuildsFromEntries) {
    auto map = SlotMap::from_entries({{{0, 16383}, addr("h", 1), {addr("h", 2)}}}, 5);
    ASSERT_TRUE(map);
    EXPECT_EQ(*(*map)->master_for(42), addr("h", 1));
    EXPECT_EQ(SlotMap::from_entries({{{5, 4}, addr("h", 1), {}}}, 5).error(), topology_errc::bad_slot_range);
}

TEST(NodeAddress, FormatsAndParsesHostPort) {
    EXPECT_EQ(addr("127.0.0.1", 7000).to_string(), "127.0.0.1:7000");
    EXPECT_EQ(addr("::1", 7000).to_string(), "[::1]:7000");
    EXPECT_EQ(NodeAddress::parse("redis-1:6379"), addr("redis-1", 6379));
    EXPECT_EQ(NodeAddress::parse("[::1]:7000"), addr("::1", 7000));
    EXPECT_EQ(NodeAddress::parse("::1:7000"), addr("::1", 7000));
    EXPECT_FALSE(NodeAddress::parse(":7000"));
    EXPECT_FALSE(NodeAddress::parse("h"));
    EXPECT_FALSE(NodeAddress::parse("h:0"));
    EXPECT_FALSE(NodeAddress::parse("h:65536"));
    EXPECT_FALSE(NodeAddress::parse("h:12a"));
    EXPECT_FALSE(NodeAddress::parse("[::1]7000"));
}

// --- Against real bytes: a cluster-enabled node answering CLUSTER SLOTS. ---

// Sends one command and returns the raw bytes of its reply (read until the
// Parser says it is complete), so the test parses exactly what Redis wrote.
std::string raw_reply(std::uint16_t port, const std::vector<std::string>& args) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string bytes;
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        if (fd >= 0) ::close(fd);
        return bytes;
    }
    std::string out = "*" + std::to_string(args.size()) + "\r\n";
    for (const auto& arg : args) out += "$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
    if (::send(fd, out.data(), out.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(out.size())) {
        resp::Parser parser;
        resp::Reply reply;
        for (;;) {
            char chunk[4096];
            const auto n = ::recv(fd, chunk, sizeof chunk, 0);
            if (n <= 0) break;
            bytes.append(chunk, static_cast<std::size_t>(n));
            const auto done = parser.parse(bytes, reply);
            if (!done || *done) break;
        }
    }
    ::close(fd);
    return bytes;
}

class SlotMapLive : public ::testing::Test {
protected:
    test::RedisServer server_{{.extra_args = {"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                                              // The bus port defaults to port + 10000, which fails above 55535.
                                              "--cluster-port", std::to_string(test::free_port())}}};

    void SetUp() override {
        ASSERT_EQ(server_.cli({"CLUSTER", "ADDSLOTSRANGE", "0", "5000", "5002", "16383"}).out, "OK\n");
    }

    std::shared_ptr<const SlotMap> slots_as(const NodeAddress& answered_by, std::vector<std::string> hello = {}) {
        // HELLO 3 and CLUSTER SLOTS on one connection: send both, parse the second reply.
        std::vector<std::string> command{"CLUSTER", "SLOTS"};
        const auto bytes = hello.empty() ? raw_reply(server_.port(), command) : raw_pair(hello, command);
        resp::Parser parser;
        resp::Reply reply;
        auto done = parser.parse(bytes, reply);
        EXPECT_TRUE(done && *done && **done == bytes.size()) << bytes;
        auto map = SlotMap::from_cluster_slots(reply, answered_by, 1);
        EXPECT_TRUE(map) << map.error().message() << "\n" << bytes;
        return map ? *map : nullptr;
    }

    // The reply bytes of `second`, sent after `first` on the same connection.
    std::string raw_pair(const std::vector<std::string>& first, const std::vector<std::string>& second) {
        std::vector<std::string> both;
        // Pipelined as one MULTI-less batch: encode both, then skip the first reply.
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(server_.port());
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return {};
        std::string out;
        for (const auto* args : {&first, &second}) {
            out += "*" + std::to_string(args->size()) + "\r\n";
            for (const auto& arg : *args) out += "$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
        }
        std::string bytes;
        std::size_t first_size = 0;
        if (::send(fd, out.data(), out.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(out.size())) {
            resp::Parser parser;
            resp::Reply reply;
            for (;;) {
                char chunk[4096];
                const auto n = ::recv(fd, chunk, sizeof chunk, 0);
                if (n <= 0) break;
                bytes.append(chunk, static_cast<std::size_t>(n));
                if (first_size == 0) {
                    const auto done = parser.parse(bytes, reply);
                    if (!done) break;
                    if (!*done) continue;
                    first_size = **done;
                }
                const auto done = parser.parse(std::string_view{bytes}.substr(first_size), reply);
                if (!done || *done) break;
            }
        }
        ::close(fd);
        return bytes.substr(std::min(first_size, bytes.size()));
    }
};

TEST_F(SlotMapLive, ReadsTheSlotsOfARealNode) {
    const auto map = slots_as({"127.0.0.1", server_.port()});
    ASSERT_TRUE(map);
    const NodeAddress self{"127.0.0.1", server_.port()};
    EXPECT_EQ(map->masters(), std::vector<NodeAddress>{self});
    EXPECT_EQ(map->uncovered_ranges(), (std::vector<SlotRange>{{5001, 5001}}));
    EXPECT_EQ(*map->master_for(16383), self);
}

TEST_F(SlotMapLive, ReadsTheResp3Form) {
    ASSERT_EQ(server_.cli({"CONFIG", "SET", "cluster-announce-hostname", "node-a.example"}).out, "OK\n");
    const auto map = slots_as({"127.0.0.1", server_.port()}, {"HELLO", "3"});
    ASSERT_TRUE(map);
    // The preferred endpoint is the IP; the hostname only travels as metadata.
    EXPECT_EQ(*map->master_for(0), (NodeAddress{"127.0.0.1", server_.port()}));
}

TEST_F(SlotMapLive, UnknownEndpointMeansTheAddressThatAnswered) {
    ASSERT_EQ(server_.cli({"CONFIG", "SET", "cluster-preferred-endpoint-type", "unknown-endpoint"}).out, "OK\n");
    const auto map = slots_as({"lb.example", 6379});
    ASSERT_TRUE(map);
    EXPECT_EQ(*map->master_for(0), (NodeAddress{"lb.example", server_.port()}));
}

TEST_F(SlotMapLive, HostnameEndpointIsKept) {
    ASSERT_EQ(server_.cli({"CONFIG", "SET", "cluster-announce-hostname", "node-a.example"}).out, "OK\n");
    ASSERT_EQ(server_.cli({"CONFIG", "SET", "cluster-preferred-endpoint-type", "hostname"}).out, "OK\n");
    const auto map = slots_as({"127.0.0.1", server_.port()});
    ASSERT_TRUE(map);
    EXPECT_EQ(*map->master_for(0), (NodeAddress{"node-a.example", server_.port()}));
}

TEST_F(SlotMapLive, QuestionMarkEndpointFallsBackToTheIp) {
    // Hostname preferred but none announced: Redis sends "?" and the ip as metadata.
    ASSERT_EQ(server_.cli({"CONFIG", "SET", "cluster-preferred-endpoint-type", "hostname"}).out, "OK\n");
    const auto map = slots_as({"seed.example", 6379});
    ASSERT_TRUE(map);
    const auto* master = map->master_for(0);
    ASSERT_TRUE(master);
    // A lone node may not know its IP yet (empty metadata), then it is the seed.
    EXPECT_TRUE(master->host == "127.0.0.1" || master->host == "seed.example") << master->to_string();
    EXPECT_EQ(master->port, server_.port());
}

}  // namespace
}  // namespace yooni::redis
