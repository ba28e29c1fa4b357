// redis::Connection against a real redis-server: pipelining, set-up (AUTH,
// ACL user, SELECT), deadlines with abandoned replies, reconnect and backoff.
#include <yooni/redis/connection.hpp>
#include <yooni/resp/encoder.hpp>

#include "support/redis_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <thread>

namespace yooni::redis {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

std::string cmd(std::initializer_list<std::string_view> args) {
    std::string out;
    resp::append_command(out, args);
    return out;
}

Deadline in(std::chrono::milliseconds d) { return std::chrono::steady_clock::now() + d; }

// Runs one coroutine on `ioc` until it finishes (capped at 20 s).
template <class T>
T run(asio::io_context& ioc, asio::awaitable<T> work) {
    auto fut = asio::co_spawn(ioc, std::move(work), asio::use_future);
    ioc.restart();
    while (fut.wait_for(0s) != std::future_status::ready) {
        ioc.run_for(20ms);
    }
    return fut.get();
}

ConnectionOptions local(std::uint16_t port) {
    ConnectionOptions o;
    o.host = "127.0.0.1";
    o.port = port;
    return o;
}

std::string text_of(const result<OwnedReply>& r) {
    if (!r) return "<error " + r.error().message() + ">";
    if ((*r)->is_error()) return "<reply error " + std::string{(*r)->error_message()} + ">";
    if (auto s = (*r)->as_string()) return std::string{*s};
    if (auto i = (*r)->as_integer()) return std::to_string(*i);
    if ((*r)->is_null()) return "<null>";
    return "<other>";
}

TEST(Connection, SetThenGet) {
    test::RedisServer server;
    asio::io_context ioc;
    auto c = Connection::create(ioc.get_executor(), local(server.port()));
    EXPECT_EQ(text_of(run(ioc, c->execute_one(cmd({"SET", "k", "v"}), in(2s)))), "OK");
    EXPECT_EQ(text_of(run(ioc, c->execute_one(cmd({"GET", "k"}), in(2s)))), "v");
    EXPECT_EQ(text_of(run(ioc, c->execute_one(cmd({"GET", "missing"}), in(2s)))), "<null>");
    c->close();
}

// Outside the coroutine: GCC 12 rejects braced string lists inside coroutine bodies.
std::string incr_counter() { return cmd({"INCR", "counter"}); }

asio::awaitable<void> incr_many(std::shared_ptr<Connection> c, int n, std::atomic<int>* ok) {
    for (int i = 0; i < n; ++i) {
        auto r = co_await c->execute_one(incr_counter(), in(5s));
        if (r && (*r)->as_integer()) ok->fetch_add(1);
    }
}

TEST(Connection, ConcurrentCommandsArePipelinedInFewerWrites) {
    test::RedisServer server;
    asio::io_context ioc;
    auto c = Connection::create(ioc.get_executor(), local(server.port()));
    std::atomic<int> ok{0};
    for (int i = 0; i < 50; ++i) asio::co_spawn(ioc, incr_many(c, 20, &ok), asio::detached);
    ioc.run_for(10s);
    EXPECT_EQ(ok.load(), 1000);
    EXPECT_EQ(test::redis_cli(server.port(), {"GET", "counter"}).out, "1000\n");
    EXPECT_EQ(c->stats().commands, 1000u);
    EXPECT_LT(c->stats().writes, 200u);  // 50 callers share writes
    c->close();
}

TEST(Connection, RepliesMatchCallersInOrder) {
    test::RedisServer server;
    asio::io_context ioc;
    auto c = Connection::create(ioc.get_executor(), local(server.port()));
    std::string payload;
    for (int i = 0; i < 100; ++i) resp::append_command(payload, {"ECHO", std::to_string(i)});
    auto replies = run(ioc, c->execute(payload, 100, in(2s)));
    ASSERT_TRUE(replies);
    for (int i = 0; i < 100; ++i) EXPECT_EQ((*replies)[i]->as_string(), std::to_string(i));
    c->close();
}

TEST(Connection, WritesCommandsGivenInPiecesBackToBack) {
    test::RedisServer server;
    asio::io_context ioc;
    auto c = Connection::create(ioc.get_executor(), local(server.port()));
    const std::string value(5000, 'v');
    const std::string set = cmd({"SET", "big", value});
    const std::string get = cmd({"GET", "big"});
    // One command split mid-way, then a whole one.
    std::vector<std::string_view> parts{std::string_view{set}.substr(0, 7), std::string_view{set}.substr(7), get};
    auto replies = run(ioc, c->execute_parts(std::move(parts), 2, in(2s)));
    ASSERT_TRUE(replies);
    ASSERT_EQ(replies->size(), 2u);
    EXPECT_EQ((*replies)[0]->as_string(), "OK");
    EXPECT_EQ((*replies)[1]->as_string(), value);
    c->close();
}

TEST(Connection, PiecesOfACallThatTimedOutUnsentAreNeverReadNorSent) {
    test::RedisServer server;
    asio::io_context ioc;
    auto c = Connection::create(ioc.get_executor(), local(server.port()));
    // The deadline has passed before the connection is even open: the call
    // fails, its caller frees the bytes, and the connection must neither read
    // them (ASan would say so) nor send the command.
    auto owned = std::make_unique<std::string>(cmd({"SET", "never", "1"}));
    std::vector<std::string_view> parts{*owned};
    auto late = run(ioc, c->execute_parts(std::move(parts), 1, in(0ms)));
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error(), make_error_code(errc::timeout));
    std::fill(owned->begin(), owned->end(), '!');
    owned.reset();
    EXPECT_EQ(text_of(run(ioc, c->execute_one(cmd({"EXISTS", "never"}), in(2s)))), "0");
    EXPECT_EQ(c->stats().commands, 1u);
    c->close();
}

TEST(Connection, AuthenticatesWithPassword) {
    test::RedisServer server{{.password = "s3cret-pw"}};
    asio::io_context ioc;
    auto o = local(server.port());
    o.credentials = [] { return Credentials{"", "s3cret-pw"}; };
    auto c = Connection::create(ioc.get_executor(), o);
    EXPECT_EQ(text_of(run(ioc, c->execute_one(cmd({"PING"}), in(2s)))), "PONG");
    c->close();
}

TEST(Connection, WrongPasswordIsAnAuthFailure) {
    test::RedisServer server{{.password = "s3cret-pw"}};
    asio::io_context ioc;
    auto o = local(server.port());
    o.credentials = [] { return Credentials{"", "wrong"}; };
    auto c = Connection::create(ioc.get_executor(), o);
    auto r = run(ioc, c->execute_one(cmd({"PING"}), in(2s)));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), make_error_code(errc::auth_failed));  // the set-up failure fails the command
    c->close();
}

TEST(Connection, AuthenticatesAsAnAclUserAskingTheProviderEachTime) {
    test::RedisServer server;
    ASSERT_EQ(server.cli({"ACL", "SETUSER", "app", "on", ">app-pw", "~*", "+@all"}).exit_code, 0);
    asio::io_context ioc;
    auto o = local(server.port());
    int asked = 0;
    o.credentials = [&asked] {
        ++asked;
        return Credentials{"app", "app-pw"};
    };
    auto c = Connection::create(ioc.get_executor(), o);
    EXPECT_EQ(text_of(run(ioc, c->execute_one(cmd({"ACL", "WHOAMI"}), in(2s)))), "app");
    EXPECT_EQ(asked, 1);
    c->close();
    EXPECT_EQ(text_of(run(ioc, c->execute_one(cmd({"ACL", "WHOAMI"}), in(2s)))), "app");
    EXPECT_EQ(asked, 2);  // a new connection asks again (short-lived tokens)
    c->close();
}

TEST(Connection, SelectsTheDatabase) {
    test::RedisServer server;
    asio::io_context ioc;
    auto o = local(server.port());
    o.db = 3;
    auto c = Connection::create(ioc.get_executor(), o);
    run(ioc, c->execute_one(cmd({"SET", "in-db-3", "x"}), in(2s)));
    EXPECT_EQ(test::redis_cli(server.port(), {"-n", "3", "GET", "in-db-3"}).out, "x\n");
    EXPECT_EQ(test::redis_cli(server.port(), {"-n", "0", "EXISTS", "in-db-3"}).out, "0\n");
    c->close();
}

TEST(Connection, LateReplyIsDroppedAndLaterCallersStayInStep) {
    test::RedisServer server;
    asio::io_context ioc;
    auto c = Connection::create(ioc.get_executor(), local(server.port()));
    run(ioc, c->execute_one(cmd({"SET", "a", "1"}), in(2s)));
    // Pause this client's commands on the server for 400 ms: the first GET times out.
    ASSERT_EQ(server.cli({"CLIENT", "PAUSE", "400", "ALL"}).exit_code, 0);
    auto late = run(ioc, c->execute_one(cmd({"GET", "a"}), in(100ms)));
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error(), make_error_code(errc::timeout));
    EXPECT_EQ(text_of(run(ioc, c->execute_one(cmd({"ECHO", "after"}), in(3s)))), "after");
    EXPECT_EQ(c->stats().abandoned, 1u);
    c->close();
}

TEST(Connection, ReconnectsAfterTheServerRestarts) {
    test::RedisServer server;
    asio::io_context ioc;
    auto c = Connection::create(ioc.get_executor(), local(server.port()));
    EXPECT_EQ(text_of(run(ioc, c->execute_one(cmd({"PING"}), in(2s)))), "PONG");
    server.stop();
    auto during = run(ioc, c->execute_one(cmd({"PING"}), in(1s)));
    EXPECT_FALSE(during);
    server.start();
    result<OwnedReply> after = make_error_code(errc::closed);
    for (int i = 0; i < 100 && !after; ++i) {
        after = run(ioc, c->execute_one(cmd({"PING"}), in(1s)));
        if (!after) std::this_thread::sleep_for(50ms);
    }
    EXPECT_EQ(text_of(after), "PONG");
    EXPECT_EQ(c->stats().connects, 2u);
    c->close();
}

TEST(Connection, DeadNodeIsRetriedWithBackoffNotInAStorm) {
    asio::io_context ioc;
    auto o = local(test::free_port());  // nobody listens
    o.backoff_min = 100ms;
    o.backoff_max = 400ms;
    auto c = Connection::create(ioc.get_executor(), o);
    int refused_fast = 0;
    const auto until = std::chrono::steady_clock::now() + 1s;
    while (std::chrono::steady_clock::now() < until) {
        auto r = run(ioc, c->execute_one(cmd({"PING"}), in(200ms)));
        ASSERT_FALSE(r);
        if (r.error() == make_error_code(errc::backing_off)) ++refused_fast;
        std::this_thread::sleep_for(5ms);
    }
    EXPECT_GT(refused_fast, 10);
    // 1 s with backoff from 100 ms doubling to 400 ms: a handful of attempts, not hundreds.
    EXPECT_LE(c->stats().connect_attempts, 8u);
    c->close();
}

// A credentials provider (cloud IAM tokens, say) may throw: the attempt
// fails like a refused connect, and the next call connects again, rather
// than the link staying "connecting" for good.
TEST(Connection, ACredentialsProviderThatThrowsFailsTheAttemptNotTheLink) {
    test::RedisServer server{{.password = "s3cret-pw"}};
    asio::io_context ioc;
    auto o = local(server.port());
    o.backoff_min = 1ms;
    o.backoff_max = 1ms;
    auto calls = std::make_shared<int>(0);
    o.credentials = [calls] {
        if (++*calls == 1) throw std::runtime_error("token service unreachable");
        return Credentials{"", "s3cret-pw"};
    };
    auto c = Connection::create(ioc.get_executor(), o);
    auto first = run(ioc, c->execute_one(cmd({"PING"}), in(2s)));
    ASSERT_FALSE(first);
    EXPECT_EQ(first.error(), make_error_code(errc::connect_failed));
    EXPECT_FALSE(c->connected());
    EXPECT_EQ(c->pending(), 0u);
    result<OwnedReply> after = make_error_code(errc::closed);
    for (int i = 0; i < 100 && !after; ++i) after = run(ioc, c->execute_one(cmd({"PING"}), in(2s)));
    EXPECT_EQ(text_of(after), "PONG");
    EXPECT_EQ(*calls, 2);
    c->close();
}

// A fake server: a real redis-server cannot be made to send garbage.
TEST(Connection, GarbageFromTheServerFailsTheCommandWithoutCrashing) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::listen(fd, 1);
    std::thread fake([fd] {
        int client = ::accept(fd, nullptr, nullptr);
        char buf[256];
        (void)::read(client, buf, sizeof buf);
        const char garbage[] = "?this is not RESP\r\n";
        (void)::write(client, garbage, sizeof garbage - 1);
        std::this_thread::sleep_for(200ms);
        ::close(client);
    });
    asio::io_context ioc;
    auto o = local(ntohs(addr.sin_port));
    o.client_name.clear();  // no set-up commands: the garbage answers the caller's command
    auto c = Connection::create(ioc.get_executor(), o);
    auto r = run(ioc, c->execute_one(cmd({"PING"}), in(2s)));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), make_error_code(errc::protocol_error));
    c->close();
    fake.join();
    ::close(fd);
}

}  // namespace
}  // namespace yooni::redis
