// The encoder and parser against a real redis-server over a plain blocking
// socket: pipelined commands we encoded, real RESP2 and RESP3 replies
// (HELLO 3, CLIENT INFO, DEBUG PROTOCOL for every RESP3 type) read in
// chunks of varying size, down to one byte.
#include "yooni/resp/encoder.hpp"
#include "yooni/resp/parser.hpp"

#include "support/redis_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace yooni::resp {
namespace {

using namespace std::string_literals;

// A blocking client connection; every read waits at most 10 s, so a test
// never hangs on a missing reply.
class Client {
public:
    explicit Client(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(port);
        timeval timeout{10, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;
    ~Client() { ::close(fd_); }

    bool connected() const { return connected_; }

    bool send(std::string_view bytes) {
        while (!bytes.empty()) {
            const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n <= 0) return false;
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    // Reads until `count` replies are complete, receiving at most
    // kChunks[i % 5] bytes per recv so that replies arrive split everywhere.
    std::vector<OwnedReply> read(std::size_t count) {
        static constexpr std::size_t kChunks[] = {1, 7, 64, 1500, 65536};
        std::vector<OwnedReply> replies;
        Reply reply;
        std::size_t reads = 0;
        while (replies.size() < count) {
            auto got = parser_.parse(buffer_, reply);
            if (!got) {
                ADD_FAILURE() << "protocol error: " << got.error().message();
                return replies;
            }
            if (*got) {
                replies.emplace_back(reply);
                buffer_.erase(0, **got);  // moves the rest: the parser keeps offsets only
                continue;
            }
            char chunk[65536];
            const ssize_t n = ::recv(fd_, chunk, kChunks[reads++ % 5], 0);
            if (n <= 0) {
                ADD_FAILURE() << "connection closed or timed out after " << replies.size() << " replies";
                return replies;
            }
            buffer_.append(chunk, static_cast<std::size_t>(n));
        }
        return replies;
    }

    std::vector<OwnedReply> round_trip(std::string_view commands, std::size_t count) {
        EXPECT_TRUE(send(commands));
        return read(count);
    }

    OwnedReply command(std::initializer_list<std::string_view> args) {
        std::string out;
        append_command(out, args);
        auto replies = round_trip(out, 1);
        return replies.empty() ? OwnedReply{} : std::move(replies.front());
    }

    std::string_view left_over() const { return buffer_; }

private:
    int fd_ = -1;
    bool connected_ = false;
    Parser parser_;
    std::string buffer_;
};

// The value of a map's key (a simple or bulk string key), or npos.
std::size_t map_value(const Reply& reply, std::size_t map, std::string_view key) {
    bool at_key = true;
    bool matched = false;
    for (std::size_t i : reply.children(map)) {
        if (at_key) {
            matched = reply.as_string(i) == key;
        } else if (matched) {
            return i;
        }
        at_key = !at_key;
    }
    return std::string::npos;
}

class RespRedisServer : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        server_ = std::make_unique<test::RedisServer>(
            test::RedisServerOptions{.extra_args = {"--enable-debug-command", "yes"}});
    }
    static void TearDownTestSuite() { server_.reset(); }

    void SetUp() override {
        client_ = std::make_unique<Client>(server_->port());
        ASSERT_TRUE(client_->connected());
    }

    static std::unique_ptr<test::RedisServer> server_;
    std::unique_ptr<Client> client_;
};

std::unique_ptr<test::RedisServer> RespRedisServer::server_;

TEST_F(RespRedisServer, PipelinedResp2Replies) {
    std::string out;
    append_command(out, {"DEL", "{test}k", "{test}n"});
    append_command(out, {"SET", "{test}k", "v"});
    append_command(out, {"GET", "{test}k"});
    append_command(out, {"GET", "{test}missing"});
    append_command(out, {"MGET", "{test}k", "{test}missing"});
    append_command(out, {"INCR", "{test}n"});
    append_command(out, {"LRANGE", "{test}none", "0", "-1"});
    append_command(out, {"NOSUCHCOMMAND"});
    append_command(out, {"PING"});
    auto replies = client_->round_trip(out, 9);
    ASSERT_EQ(replies.size(), 9u);
    EXPECT_EQ(replies[1]->root(), (Node{Type::simple_string, 0, 0, "OK"}));
    EXPECT_EQ(replies[2]->as_string(), "v");
    EXPECT_TRUE(replies[3]->is_null());
    ASSERT_EQ(replies[4]->nodes.size(), 3u);
    EXPECT_EQ(replies[4]->as_string(1), "v");
    EXPECT_EQ(replies[4]->nodes[2].type, Type::null);
    EXPECT_EQ(replies[5]->as_integer(), 1);
    EXPECT_EQ(replies[6]->root(), (Node{Type::array, 0, 0, {}}));
    EXPECT_TRUE(replies[7]->is_error());
    EXPECT_EQ(replies[7]->error_message().substr(0, 20), "ERR unknown command ");
    EXPECT_EQ(replies[8]->as_string(), "PONG");
    EXPECT_TRUE(client_->left_over().empty());
}

TEST_F(RespRedisServer, BinaryAndLargeValuesRoundTrip) {
    std::string value = "\r\n\0$5\r\n*1\r\n"s;
    for (int i = 0; i < 100000; ++i) value += static_cast<char>(i * 31 % 256);
    std::string out;
    append_command(out, {"SET", "{test}bin", value});
    append_command(out, {"GET", "{test}bin"});
    append_command(out, {"SET", "{test}empty", ""});
    append_command(out, {"GET", "{test}empty"});
    auto replies = client_->round_trip(out, 4);
    ASSERT_EQ(replies.size(), 4u);
    EXPECT_EQ(replies[1]->as_string(), value);
    EXPECT_EQ(replies[3]->as_string(), ""s);
}

TEST_F(RespRedisServer, ThousandPipelinedCommandsInOneWrite) {
    std::string out;
    for (int i = 0; i < 1000; ++i) append_command(out, {"SET", "{test}p" + std::to_string(i), std::to_string(i)});
    for (int i = 0; i < 1000; ++i) append_command(out, {"GET", "{test}p" + std::to_string(i)});
    auto replies = client_->round_trip(out, 2000);
    ASSERT_EQ(replies.size(), 2000u);
    for (int i = 0; i < 1000; ++i) {
        ASSERT_EQ(replies[1000 + i]->as_string(), std::to_string(i));
    }
}

TEST_F(RespRedisServer, HelloThreeGivesAMapAndClientInfoAVerbatimString) {
    auto hello = client_->command({"HELLO", "3"});
    ASSERT_EQ(hello->type(), Type::map);
    const std::size_t proto = map_value(hello.reply(), 0, "proto");
    ASSERT_NE(proto, std::string::npos);
    EXPECT_EQ(hello->as_integer(proto), 3);
    const std::size_t server = map_value(hello.reply(), 0, "server");
    ASSERT_NE(server, std::string::npos);
    EXPECT_EQ(hello->as_string(server), "redis");

    auto info = client_->command({"CLIENT", "INFO"});
    ASSERT_EQ(info->type(), Type::verbatim_string);
    EXPECT_EQ(info->root().value.substr(0, 4), "txt:");
    EXPECT_NE(info->as_string()->find("resp=3"), std::string_view::npos);

    EXPECT_EQ(client_->command({"GET", "{test}missing"})->root(), (Node{Type::null, 0, 0, {}}));
    client_->command({"DEL", "{test}h", "{test}s"});
    client_->command({"HSET", "{test}h", "f1", "v1", "f2", "v2"});
    auto hash = client_->command({"HGETALL", "{test}h"});
    ASSERT_EQ(hash->type(), Type::map);
    EXPECT_EQ(hash->root().size, 4u);
    EXPECT_EQ(hash->as_string(map_value(hash.reply(), 0, "f2")), "v2");
    client_->command({"SADD", "{test}s", "a", "b", "c"});
    auto set = client_->command({"SMEMBERS", "{test}s"});
    EXPECT_EQ(set->type(), Type::set);
    EXPECT_EQ(set->root().size, 3u);
}

TEST_F(RespRedisServer, DebugProtocolGivesEveryResp3Type) {
    ASSERT_EQ(client_->command({"HELLO", "3"})->type(), Type::map);
    std::string out;
    for (auto what : {"string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib", "push",
                      "verbatim", "true", "false"}) {
        append_command(out, {"DEBUG", "PROTOCOL", what});
    }
    // DEBUG PROTOCOL push sends the push and then an ordinary reply.
    auto replies = client_->round_trip(out, 14);
    ASSERT_EQ(replies.size(), 14u);
    EXPECT_EQ(replies[0]->type(), Type::bulk_string);
    EXPECT_EQ(replies[1]->type(), Type::integer);
    EXPECT_EQ(replies[2]->type(), Type::double_);
    EXPECT_TRUE(replies[2]->as_double());
    EXPECT_EQ(replies[3]->type(), Type::big_number);
    EXPECT_EQ(replies[4]->type(), Type::null);
    EXPECT_EQ(replies[5]->type(), Type::array);
    EXPECT_EQ(replies[6]->type(), Type::set);
    EXPECT_EQ(replies[7]->type(), Type::map);
    EXPECT_EQ(replies[7]->root().size % 2, 0u);
    // attrib: an attribute, then the real reply.
    ASSERT_FALSE(replies[8]->attributes.empty());
    EXPECT_EQ(replies[8]->attributes[0].type, Type::attribute);
    EXPECT_EQ(replies[8]->type(), Type::bulk_string);
    EXPECT_TRUE(replies[9]->is_push());
    EXPECT_EQ(replies[10]->type(), Type::bulk_string);
    EXPECT_EQ(replies[11]->type(), Type::verbatim_string);
    EXPECT_EQ(replies[12]->as_boolean(), true);
    EXPECT_EQ(replies[13]->as_boolean(), false);
    // What Redis sent re-encodes to bytes that parse to the same reply.
    for (const auto& reply : replies) {
        std::string again;
        append_reply(again, reply.reply());
        Parser parser;
        Reply reparsed;
        auto got = parser.parse(again, reparsed);
        ASSERT_TRUE(got && got->has_value());
        EXPECT_EQ(reparsed.nodes, reply->nodes);
        EXPECT_EQ(reparsed.attributes, reply->attributes);
    }
}

}  // namespace
}  // namespace yooni::resp
