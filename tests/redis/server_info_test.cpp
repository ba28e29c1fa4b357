#include "yooni/redis/server_info.hpp"

#include "support/redis_server.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace yooni::redis {
namespace {

constexpr std::string_view kReplicaInfo =
    "# Server\r\nredis_version:7.0.15\r\nredis_mode:cluster\r\n\r\n"
    "# Clients\r\nconnected_clients:12\r\n\r\n"
    "# Memory\r\nused_memory:1049328\r\nused_memory_human:1.00M\r\n\r\n"
    "# Persistence\r\nloading:1\r\n\r\n"
    "# Stats\r\ninstantaneous_ops_per_sec:250\r\n\r\n"
    "# Replication\r\nrole:slave\r\nmaster_host:10.0.0.1\r\nmaster_port:7000\r\nmaster_link_status:down\r\n\r\n"
    "# Keyspace\r\ndb0:keys=10,expires=2,avg_ttl=300\r\ndb3:keys=5,expires=0,avg_ttl=0\r\n";

TEST(ServerInfo, ReadsTheHelperFields) {
    const auto info = ServerInfo::parse(kReplicaInfo);
    EXPECT_EQ(info.redis_version(), "7.0.15");
    EXPECT_EQ(info.role(), "slave");
    EXPECT_EQ(info.loading(), true);
    EXPECT_EQ(info.used_memory_bytes(), 1049328);
    EXPECT_EQ(info.instantaneous_ops_per_sec(), 250);
    EXPECT_EQ(info.connected_clients(), 12);
    EXPECT_EQ(info.master_link_status(), "down");
}

TEST(ServerInfo, SumsKeysOverDatabases) {
    const auto info = ServerInfo::parse(kReplicaInfo);
    const auto keyspace = info.keyspace();
    ASSERT_EQ(keyspace.size(), 2u);
    EXPECT_EQ(keyspace[1].index, 3u);
    EXPECT_EQ(keyspace[1].keys, 5);
    EXPECT_EQ(keyspace[0].expires, 2);
    EXPECT_EQ(info.total_keys(), 15);
}

TEST(ServerInfo, KeepsSectionsAndFieldsInOrder) {
    const auto info = ServerInfo::parse(kReplicaInfo);
    ASSERT_EQ(info.sections().size(), 7u);
    EXPECT_EQ(info.sections()[2].name, "Memory");
    EXPECT_EQ(info.sections()[2].fields[1], (std::pair<std::string, std::string>{"used_memory_human", "1.00M"}));
    EXPECT_EQ(info.get("memory", "used_memory_human"), "1.00M");
    EXPECT_EQ(info.get("Server", "used_memory_human"), std::nullopt);
}

TEST(ServerInfo, MissingOrNonNumericFieldsAreEmpty) {
    const auto info = ServerInfo::parse("# Server\r\nredis_version:7.0.15\r\nused_memory:lots\r\n");
    EXPECT_EQ(info.used_memory_bytes(), std::nullopt);
    EXPECT_EQ(info.loading(), std::nullopt);
    EXPECT_EQ(info.master_link_status(), std::nullopt);
    EXPECT_EQ(info.total_keys(), 0);
    EXPECT_EQ(info.get_int("redis_version"), std::nullopt);
}

TEST(ServerInfo, SkipsLinesItCannotRead) {
    const auto info = ServerInfo::parse("connected_clients:3\nnot a field\n:x\n#Stats\ntotal_commands_processed:9\n");
    EXPECT_EQ(info.connected_clients(), 3);
    EXPECT_EQ(info.get_int("total_commands_processed"), 9);
    ASSERT_EQ(info.sections().size(), 2u);
    EXPECT_EQ(info.sections()[1].name, "Stats");
    EXPECT_TRUE(ServerInfo::parse("").sections().empty());
}

// redis-cli prints a bulk reply as is plus one "\n".
std::string info_text(const test::RedisServer& server) {
    auto text = server.cli({"INFO", "everything"}).out;
    if (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
}

TEST(ServerInfoLive, ReadsARealStandaloneServer) {
    test::RedisServer server;
    ASSERT_EQ(server.cli({"MSET", "a", "1", "b", "2"}).out, "OK\n");
    ASSERT_EQ(server.cli({"-n", "2", "SET", "c", "3", "EX", "100"}).out, "OK\n");
    const auto info = ServerInfo::parse(info_text(server));
    EXPECT_EQ(info.role(), "master");
    EXPECT_EQ(info.loading(), false);
    EXPECT_GT(info.used_memory_bytes().value_or(0), 0);
    EXPECT_GE(info.connected_clients().value_or(0), 1);
    EXPECT_TRUE(info.instantaneous_ops_per_sec().has_value());
    EXPECT_EQ(info.master_link_status(), std::nullopt);
    EXPECT_EQ(info.total_keys(), 3);
    const auto keyspace = info.keyspace();
    ASSERT_EQ(keyspace.size(), 2u);
    EXPECT_EQ(keyspace[1].index, 2u);
    EXPECT_EQ(keyspace[1].expires, 1);
    EXPECT_EQ(info.get("tcp_port"), std::to_string(server.port()));
}

TEST(ServerInfoLive, ReadsTheLinkStatusOfAReplica) {
    // Without this the master waits 5 s for more replicas before a diskless sync.
    test::RedisServer master{{.extra_args = {"--repl-diskless-sync-delay", "0"}}};
    test::RedisServer replica{{.extra_args = {"--replicaof", "127.0.0.1", std::to_string(master.port())}}};
    // The link comes up within moments; "down" before that is still a valid reading.
    auto info = ServerInfo::parse(info_text(replica));
    for (int i = 0; i < 200 && info.master_link_status() != "up"; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        info = ServerInfo::parse(info_text(replica));
    }
    EXPECT_EQ(info.role(), "slave");
    EXPECT_EQ(info.master_link_status(), "up");
    EXPECT_EQ(info.get_int("master_port"), master.port());
}

}  // namespace
}  // namespace yooni::redis
