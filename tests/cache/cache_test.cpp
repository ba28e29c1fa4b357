// The Cache facade on the memory backend: codec in the path, statistics,
// decode errors, ordering of many-key calls, and single-flight get-or-compute
// across threads.
#include <yooni/cache/cache.hpp>
#include <yooni/cache/glob.hpp>
#include <yooni/cache/memory_backend.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include <thread>

namespace yooni::cache {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Runs one coroutine to completion on a fresh io_context (time-capped by the deadline it is given).
template <class T>
T run(asio::awaitable<T> work) {
    asio::io_context ioc;
    auto fut = asio::co_spawn(ioc, std::move(work), asio::use_future);
    ioc.run_for(10s);
    return fut.get();
}

Deadline soon() { return std::chrono::steady_clock::now() + 5s; }

class CacheTest : public ::testing::Test {
protected:
    MemoryBackend backend_{64u << 20};
    Cache cache_{backend_, codec::Codec{}};
};

TEST_F(CacheTest, SetThenGetReturnsTheValue) {
    ASSERT_TRUE(run(cache_.set("k", "\"v\"", std::nullopt, soon())));
    auto got = run(cache_.get("k", soon()));
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, std::optional<std::string>{"\"v\""});
}

TEST_F(CacheTest, DefaultTtlIsApplied) {
    ASSERT_TRUE(run(cache_.set("ttl", "1", std::nullopt, soon())));
    auto ttl = backend_.store().ttl("ttl");
    ASSERT_TRUE(ttl);
    EXPECT_GT(*ttl, 290s);
    EXPECT_LE(*ttl, 300s);
}

TEST_F(CacheTest, LargeValuesAreStoredInThePythonFormat) {
    const std::string doc = "[" + std::string(3000, ' ') + "1]";
    ASSERT_TRUE(run(cache_.set("big", doc, std::nullopt, soon())));
    auto raw = backend_.store().get("big");
    ASSERT_TRUE(raw);
    EXPECT_TRUE(raw->starts_with("gzip:"));
    EXPECT_LT(raw->size(), doc.size());
    EXPECT_EQ(**run(cache_.get("big", soon())), doc);
    EXPECT_EQ(cache_.stats().compressed_count.load(), 1u);
    EXPECT_EQ(cache_.stats().total_original_size.load(), doc.size());
    EXPECT_EQ(cache_.stats().total_compressed_size.load(), raw->size());
}

TEST_F(CacheTest, CorruptStoredValueIsACountedErrorNotAValue) {
    backend_.store().set("bad", "gzip:!!!not-base64", 0ms);
    auto got = run(cache_.get("bad", soon()));
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error(), make_error_code(errc::decode_error));
    EXPECT_EQ(cache_.stats().decode_errors.load(), 1u);
    EXPECT_EQ(cache_.stats().errors.load(), 1u);
    EXPECT_EQ(cache_.stats().hits.load() + cache_.stats().misses.load(), 0u);
}

TEST_F(CacheTest, HitsAndMissesAreCounted) {
    run(cache_.set("a", "1", std::nullopt, soon()));
    run(cache_.get("a", soon()));
    run(cache_.get("nope", soon()));
    const auto& s = cache_.stats();
    EXPECT_EQ(s.hits.load(), 1u);
    EXPECT_EQ(s.misses.load(), 1u);
    EXPECT_EQ(s.latency[static_cast<std::size_t>(Op::get)].snapshot().count, 2u);
}

TEST_F(CacheTest, MgetAnswersInTheCallersOrder) {
    run(cache_.mset({{"m1", "1", std::nullopt}, {"m3", "3", std::nullopt}}, soon()));
    auto got = run(cache_.mget({"m3", "m2", "m1"}, soon()));
    ASSERT_TRUE(got);
    ASSERT_EQ(got->size(), 3u);
    EXPECT_EQ((*got)[0], std::optional<std::string>{"3"});
    EXPECT_FALSE((*got)[1]);
    EXPECT_EQ((*got)[2], std::optional<std::string>{"1"});
}

TEST_F(CacheTest, MdelCountsTheKeysThatExisted) {
    run(cache_.mset({{"d1", "1", std::nullopt}, {"d2", "2", std::nullopt}}, soon()));
    auto n = run(cache_.mdel({"d1", "d2", "d3"}, soon()));
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 2u);
}

TEST_F(CacheTest, DeletePatternUsesGlobNotSubstring) {
    run(cache_.mset({{"user:1", "1", std::nullopt}, {"user:22", "1", std::nullopt}, {"xuser:1", "1", std::nullopt}},
                    soon()));
    auto n = run(cache_.delete_pattern("user:?", soon()));
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 1u);
    EXPECT_TRUE(backend_.store().exists("user:22"));
    EXPECT_TRUE(backend_.store().exists("xuser:1"));
}

TEST_F(CacheTest, OverlongPatternIsRefused) {
    auto n = run(cache_.delete_pattern(std::string(kMaxGlobPatternBytes + 1, '*'), soon()));
    ASSERT_FALSE(n);
    EXPECT_EQ(n.error(), make_error_code(errc::bad_pattern));
}

std::atomic<int> computations{0};

// A slow computation, so that every caller misses while it runs.
asio::awaitable<result<std::string>> slow_compute() {
    computations.fetch_add(1);
    asio::steady_timer t{co_await asio::this_coro::executor, 200ms};
    co_await t.async_wait(asio::use_awaitable);
    co_return std::string{"\"computed\""};
}

// A named coroutine rather than a capturing lambda (house rule: GCC 12).
asio::awaitable<void> ask_flight(Cache* cache, std::atomic<int>* answered) {
    auto v = co_await cache->get_or_compute("flight", slow_compute, 60s, soon());
    if (v && *v == "\"computed\"") answered->fetch_add(1);
}

TEST_F(CacheTest, ConcurrentMissesComputeOnceAcrossThreads) {
    computations = 0;
    constexpr int kThreads = 4, kPerThread = 8;
    std::atomic<int> answered{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            asio::io_context ioc;
            for (int i = 0; i < kPerThread; ++i) asio::co_spawn(ioc, ask_flight(&cache_, &answered), asio::detached);
            ioc.run_for(10s);
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(computations.load(), 1);
    EXPECT_EQ(answered.load(), kThreads * kPerThread);
    EXPECT_EQ(cache_.flights_in_progress(), 0u);
    EXPECT_EQ(**run(cache_.get("flight", soon())), "\"computed\"");
}

asio::awaitable<result<std::string>> failing_compute() {
    co_return make_error_code(errc::backend_error);
}

TEST_F(CacheTest, FailedComputeIsReturnedAndNotStored) {
    auto v = run(cache_.get_or_compute("fails", failing_compute, 60s, soon()));
    ASSERT_FALSE(v);
    EXPECT_FALSE(backend_.store().exists("fails"));
    EXPECT_EQ(cache_.flights_in_progress(), 0u);
}

// A computation held until the test opens its gate (a timer that never
// expires by itself; cancelling it opens the gate).
asio::steady_timer* gate = nullptr;
bool compute_throws = false;

asio::awaitable<result<std::string>> gated_compute() {
    co_await gate->async_wait(asio::as_tuple(asio::use_awaitable));
    if (compute_throws) throw std::runtime_error("supplier feed parse error");
    co_return std::string{"\"gated\""};
}

asio::awaitable<result<std::string>> ask_gated(Cache* cache, Deadline deadline) {
    std::string key{"gated"};  // named, not temporaries of the co_await (GCC 12)
    Cache::Compute compute{gated_compute};
    co_return co_await cache->get_or_compute(std::move(key), std::move(compute), 60s, deadline);
}

asio::awaitable<result<std::string>> ok_compute() { co_return std::string{"\"again\""}; }

TEST_F(CacheTest, AWaiterLeavesAtItsOwnDeadlineWhileTheComputationGoesOn) {
    asio::io_context ioc;
    asio::steady_timer g{ioc, std::chrono::steady_clock::time_point::max()};
    gate = &g;
    compute_throws = false;
    auto leader = asio::co_spawn(ioc, ask_gated(&cache_, soon()), asio::use_future);
    auto waiter = asio::co_spawn(ioc, ask_gated(&cache_, std::chrono::steady_clock::now() + 20ms), asio::use_future);
    while (waiter.wait_for(0s) != std::future_status::ready && ioc.run_one() > 0) {
    }
    ASSERT_EQ(waiter.wait_for(0s), std::future_status::ready) << "the waiter was left waiting";
    auto w = waiter.get();
    ASSERT_FALSE(w);
    EXPECT_EQ(w.error(), make_error_code(errc::timeout));
    EXPECT_EQ(cache_.flights_in_progress(), 1u);  // the leader still computes
    g.cancel();
    while (leader.wait_for(0s) != std::future_status::ready && ioc.run_one() > 0) {
    }
    ASSERT_EQ(leader.wait_for(0s), std::future_status::ready);
    EXPECT_EQ(*leader.get(), "\"gated\"");
    EXPECT_EQ(cache_.flights_in_progress(), 0u);
}

TEST_F(CacheTest, ALeaderThatThrowsReachesItsWaitersAndFreesTheKey) {
    asio::io_context ioc;
    asio::steady_timer g{ioc, std::chrono::steady_clock::time_point::max()};
    gate = &g;
    compute_throws = true;
    auto leader = asio::co_spawn(ioc, ask_gated(&cache_, soon()), asio::use_future);
    std::vector<std::future<result<std::string>>> waiters;
    for (int i = 0; i < 3; ++i) waiters.push_back(asio::co_spawn(ioc, ask_gated(&cache_, soon()), asio::use_future));
    while (cache_.flights_in_progress() == 0 && ioc.run_one() > 0) {
    }
    ioc.poll();  // every waiter parked
    g.cancel();
    auto all_ready = [&] {
        for (auto& w : waiters)
            if (w.wait_for(0s) != std::future_status::ready) return false;
        return leader.wait_for(0s) == std::future_status::ready;
    };
    while (!all_ready() && ioc.run_one() > 0) {
    }
    ASSERT_TRUE(all_ready()) << "waiters were left waiting";
    EXPECT_THROW(leader.get(), std::runtime_error);
    for (auto& w : waiters) {
        auto r = w.get();
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error(), make_error_code(errc::compute_failed));
    }
    EXPECT_EQ(cache_.flights_in_progress(), 0u);
    EXPECT_FALSE(backend_.store().exists("gated"));
    compute_throws = false;
    EXPECT_EQ(*run(cache_.get_or_compute("gated", ok_compute, 60s, soon())), "\"again\"");
}

TEST_F(CacheTest, ValueTooLargeForTheBoundIsAnError) {
    MemoryBackend tiny{1u << 20};
    Cache small{tiny, codec::Codec{codec::Options{.compression_enabled = false}}};
    auto r = run(small.set("huge", std::string(2u << 20, 'x'), std::nullopt, soon()));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), make_error_code(errc::too_large));
}

}  // namespace
}  // namespace yooni::cache
