// The standalone client's typed calls against a real redis-server, and its
// status read from another thread while workers write (the ThreadSanitizer
// build checks that this shares nothing unsafely).
#include <yooni/redis/standalone.hpp>

#include "support/asio_run.hpp"
#include "support/redis_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include <thread>

namespace yooni::redis {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

Deadline in(std::chrono::milliseconds d) { return std::chrono::steady_clock::now() + d; }

StandaloneOptions local(std::uint16_t port) {
    StandaloneOptions o;
    o.connection.host = "127.0.0.1";
    o.connection.port = port;
    return o;
}

TEST(Standalone, TypedCallsEncodeRouteAndReadTheirReplies) {
    test::RedisServer server;
    Standalone client{local(server.port())};
    client.start();
    asio::io_context ioc;
    ASSERT_TRUE(test::run_on(ioc, client.set({"product:1", "{\"price\":1}", 60s}, {}, in(2s))));
    EXPECT_EQ(server.cli({"TTL", "product:1"}).out, "60\n");
    auto got = test::run_on(ioc, client.get("product:1", in(2s)));
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, std::optional<std::string>{"{\"price\":1}"});
    EXPECT_EQ(*test::run_on(ioc, client.get("missing", in(2s))), std::nullopt);

    std::vector<KeyValue> items{{"a", "1", 0s}, {"b", "2", 30s}};
    ASSERT_TRUE(test::run_on(ioc, client.mset(items, {}, in(2s))));
    auto values = test::run_on(ioc, client.mget({"b", "missing", "a"}, in(2s)));
    ASSERT_TRUE(values);
    ASSERT_EQ(values->size(), 3u);
    EXPECT_EQ((*values)[0], std::optional<std::string>{"2"});
    EXPECT_EQ((*values)[1], std::nullopt);
    EXPECT_EQ((*values)[2], std::optional<std::string>{"1"});
    EXPECT_EQ(*test::run_on(ioc, client.unlink({"a", "b", "missing"}, in(2s))), 2u);

    // A WAIT no replica can satisfy: the write is refused as not replicated.
    auto unconfirmed = test::run_on(ioc, client.set({"c", "3", 0s}, WaitFor{1, 50ms}, in(2s)));
    ASSERT_FALSE(unconfirmed);
    EXPECT_EQ(unconfirmed.error(), make_error_code(errc::not_replicated));
    // A value where a list is stored: the server's error, typed.
    ASSERT_EQ(server.cli({"RPUSH", "list", "x"}).exit_code, 0);
    auto wrong = test::run_on(ioc, client.get("list", in(2s)));
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error(), make_error_code(errc::server_error));
    client.stop();
}

asio::awaitable<int> write_many(Standalone* client, int worker, int n) {
    int ok = 0;
    for (int i = 0; i < n; ++i) {
        // Named, not a braced temporary in the co_await (GCC 12 destroys those twice).
        const KeyValue item{"w" + std::to_string(worker) + ":" + std::to_string(i), "v", 0s};
        const WaitFor no_wait;
        auto r = co_await client->set(item, no_wait, std::chrono::steady_clock::now() + 5s);
        ok += r ? 1 : 0;
    }
    co_return ok;
}

TEST(Standalone, StatusIsReadFromAnotherThreadWhileWorkersWrite) {
    test::RedisServer server;
    Standalone client{local(server.port())};
    client.start();
    constexpr int kWorkers = 2, kWrites = 300;
    std::atomic<int> written{0};
    // The workers' io_contexts outlive the client's links to them (as in the service).
    std::vector<std::unique_ptr<asio::io_context>> contexts;
    for (int w = 0; w < kWorkers; ++w) contexts.push_back(std::make_unique<asio::io_context>());
    std::vector<std::thread> workers;
    for (int w = 0; w < kWorkers; ++w)
        workers.emplace_back([&client, &written, &contexts, w] {
            written += test::run_on(*contexts[static_cast<std::size_t>(w)], write_many(&client, w, kWrites));
        });
    std::uint64_t reads = 0;
    while (written.load() < kWorkers * kWrites && reads < 10'000'000) {
        const auto s = std::get<StandaloneStatus>(client.status());
        EXPECT_LE(s.commands, static_cast<std::uint64_t>(kWorkers * kWrites));
        ++reads;
    }
    for (auto& t : workers) t.join();
    const auto s = std::get<StandaloneStatus>(client.status());
    EXPECT_EQ(written.load(), kWorkers * kWrites);
    EXPECT_EQ(s.commands, static_cast<std::uint64_t>(kWorkers * kWrites));
    EXPECT_EQ(s.connections, static_cast<std::size_t>(kWorkers));
    client.stop();
}

// Whether a client of `server` is blocked in WAIT.
bool someone_waits(const test::RedisServer& server) {
    return server.cli({"CLIENT", "LIST"}).out.find("cmd=wait") != std::string::npos;
}

// A write that waits for a replica (there is none here: WAIT blocks until
// its timeout) goes on a link of its own: a read of the same worker is not
// held behind it. Without the separate link the read would be answered only
// after the write's WAIT, so the write would complete first.
TEST(Standalone, AReadIsNotHeldBehindAWriteWaitingForAReplica) {
    test::RedisServer server;
    Standalone client{local(server.port())};
    client.start();
    asio::io_context ioc;
    auto guard = asio::make_work_guard(ioc);
    std::thread worker{[&] { ioc.run(); }};
    std::atomic<bool> write_done{false};
    const KeyValue item{"w:1", "v", 0s};
    asio::co_spawn(ioc, client.set(item, WaitFor{1, 30000ms}, in(60s)),
                   [&](std::exception_ptr, result<void>) { write_done = true; });
    const auto until = std::chrono::steady_clock::now() + 60s;  // a cap for a broken test, not a bound
    while (!someone_waits(server) && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
    ASSERT_TRUE(someone_waits(server));
    auto read = asio::co_spawn(ioc, client.get("w:1", in(60s)), asio::use_future).get();
    EXPECT_FALSE(write_done.load()) << "the read was answered only after the write's WAIT";
    guard.reset();
    ioc.stop();
    worker.join();
    client.stop();
    ASSERT_TRUE(read);
    EXPECT_EQ(*read, std::optional<std::string>{"v"});
}

// Two writes that WAIT, pipelined on one link: the first blocks in WAIT, the
// second's SET sits in Redis behind it. When a caller's deadline passes, the
// link is reset, and Redis drops the SET it had not run: a write whose
// caller was told it failed does not land a minute later.
TEST(Standalone, AWaitingWriteWhoseCallerGaveUpDoesNotRunLater) {
    test::RedisServer server;
    Standalone client{local(server.port())};
    client.start();
    asio::io_context ioc;
    const KeyValue first{"late:1", "a", 0s}, second{"late:2", "b", 0s};
    // The second's deadline passes first, its SET queued behind the first's WAIT.
    auto a_future = asio::co_spawn(ioc, client.set(first, WaitFor{1, 60000ms}, in(600ms)), asio::use_future);
    auto b_future = asio::co_spawn(ioc, client.set(second, WaitFor{1, 60000ms}, in(300ms)), asio::use_future);
    const auto until = std::chrono::steady_clock::now() + 60s;  // a cap for a broken test, not a bound
    while ((a_future.wait_for(0s) != std::future_status::ready || b_future.wait_for(0s) != std::future_status::ready) &&
           std::chrono::steady_clock::now() < until)
        ioc.run_for(10ms);
    ASSERT_EQ(a_future.wait_for(0s), std::future_status::ready);
    ASSERT_EQ(b_future.wait_for(0s), std::future_status::ready);
    EXPECT_FALSE(a_future.get());
    EXPECT_FALSE(b_future.get());
    // Once no connection of the client is left in WAIT, nothing it sent can
    // still run: the second SET must not have.
    while (someone_waits(server) && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
    ASSERT_FALSE(someone_waits(server)) << server.cli({"CLIENT", "LIST"}).out;
    EXPECT_EQ(server.cli({"GET", "late:2"}).out, "\n");
    client.stop();
}

}  // namespace
}  // namespace yooni::redis
