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

}  // namespace
}  // namespace yooni::redis
