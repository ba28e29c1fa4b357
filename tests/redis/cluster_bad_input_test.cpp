// Bad set-ups of the cluster client: each a clear error naming the node and
// the cause, no crash, no wrong value.
#include <yooni/redis/cluster.hpp>

#include "support/asio_run.hpp"
#include "support/redis_cluster.hpp"
#include "support/redis_server.hpp"

#include <gtest/gtest.h>

namespace yooni::redis {
namespace {

using namespace std::chrono_literals;

Deadline in(std::chrono::milliseconds d) { return std::chrono::steady_clock::now() + d; }

result<std::vector<OwnedReply>> get_one(Cluster& c) {
    boost::asio::io_context ioc;
    std::vector<Command> cmds;
    cmds.push_back(make_command({"GET", "k"}));
    return test::run_on(ioc, c.run(std::move(cmds), in(500ms)));
}

TEST(ClusterBadInput, UnreachableSeedsAreAllNamed) {
    const auto a = test::free_port(), b = test::free_port();
    ClusterOptions o;
    o.seeds = {NodeAddress{"127.0.0.1", a}, NodeAddress{"127.0.0.1", b}};
    Cluster client{o};
    client.start();
    client.refresh_now(2s);
    EXPECT_FALSE(get_one(client));
    const auto why = client.last_error();
    EXPECT_NE(why.find("127.0.0.1:" + std::to_string(a)), std::string::npos) << why;
    EXPECT_NE(why.find("127.0.0.1:" + std::to_string(b)), std::string::npos) << why;
    client.stop();
}

TEST(ClusterBadInput, WrongPasswordSaysSo) {
    test::RedisCluster cluster{{.replicas = 0, .password = "right-pw"}};
    ClusterOptions o;
    o.seeds.push_back(NodeAddress{"127.0.0.1", cluster.any_port()});
    o.connection.credentials = [] { return Credentials{"", "wrong-pw"}; };
    Cluster client{o};
    client.start();
    EXPECT_FALSE(client.refresh_now(2s));
    EXPECT_FALSE(client.ready());
    EXPECT_FALSE(get_one(client));
    EXPECT_NE(client.last_error().find("WRONGPASS"), std::string::npos) << client.last_error();
    client.stop();
}

TEST(ClusterBadInput, NodeNotInClusterModeSaysSo) {
    test::RedisServer plain;
    ClusterOptions o;
    o.seeds.push_back(NodeAddress{"127.0.0.1", plain.port()});
    Cluster client{o};
    client.start();
    EXPECT_FALSE(client.refresh_now(2s));
    EXPECT_FALSE(get_one(client));
    EXPECT_NE(client.last_error().find("cluster support disabled"), std::string::npos) << client.last_error();
    client.stop();
}

TEST(ClusterBadInput, SeedsOfTwoDifferentClustersAreRefused) {
    test::RedisCluster one{{.replicas = 0}}, two{{.replicas = 0}};
    ClusterOptions o;
    o.seeds = {NodeAddress{"127.0.0.1", one.any_port()}, NodeAddress{"127.0.0.1", two.any_port()}};
    Cluster client{o};
    client.start();
    client.refresh_now(3s);
    EXPECT_FALSE(client.ready());
    EXPECT_FALSE(get_one(client));
    EXPECT_NE(client.last_error().find("different clusters"), std::string::npos) << client.last_error();
    client.stop();
}

}  // namespace
}  // namespace yooni::redis
