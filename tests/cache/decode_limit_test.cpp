// The Cache facade and the codec's decode limit (max_decoded_bytes, which the
// service sets to HTTP_MAX_BODY_BYTES): a stored value that would inflate
// beyond it is refused, as its own counted error, without inflating it, and
// no value is stored that a read would refuse.
//
// This file replaces the global operator new of the cache test binary with
// one that records, on the calling thread and only while asked to, the
// largest block requested: std::string's buffers (the decoder's output among
// them) come from it.
#include <yooni/cache/cache.hpp>
#include <yooni/cache/memory_backend.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>

namespace {

thread_local bool g_recording = false;
thread_local std::size_t g_largest_request = 0;

}  // namespace

void* operator new(std::size_t n) {
    if (g_recording && n > g_largest_request) g_largest_request = n;
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc{};
}
// The nothrow forms too (std::stable_sort's temporary buffer uses them): every
// block this file's delete frees must come from this file's new, or a
// sanitizer's allocator sees a mismatch.
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    if (g_recording && n > g_largest_request) g_largest_request = n;
    return std::malloc(n ? n : 1);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace yooni::cache {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// The largest block operator new was asked for on this thread while f ran.
template <class F>
std::size_t largest_allocation_in(F&& f) {
    g_largest_request = 0;
    g_recording = true;
    f();
    g_recording = false;
    return g_largest_request;
}

// Runs one coroutine to completion on a fresh io_context, on this thread.
template <class T>
T run(asio::awaitable<T> work) {
    asio::io_context ioc;
    auto fut = asio::co_spawn(ioc, std::move(work), asio::use_future);
    ioc.run_for(10s);
    return fut.get();
}

Deadline soon() { return std::chrono::steady_clock::now() + 5s; }

constexpr std::size_t kLimit = 1u << 20;

// A JSON document of `bytes` bytes that gzip shrinks about a thousandfold.
std::string whitespace_document(std::size_t bytes) { return "[" + std::string(bytes - 3, ' ') + "1]"; }

class DecodeLimitTest : public ::testing::Test {
protected:
    MemoryBackend backend_{256u << 20};
    Cache cache_{backend_, codec::Codec{codec::Options{.max_decoded_bytes = kLimit}}};
    // 32 MiB in one gzip member of about 32 KB, written into the store as
    // another writer (or Redis) could have left it: raw, and "gzip:"+base64.
    const std::string bomb_ = codec::gzip_compress(whitespace_document(32u << 20), 6);

    void SetUp() override {
        ASSERT_LT(bomb_.size(), 64u << 10);
        backend_.store().set("bomb:raw", bomb_, 0ms);
        backend_.store().set("bomb:legacy", "gzip:" + codec::base64_encode(bomb_), 0ms);
    }
};

// The decoder's output never grows past the limit: its largest buffer is
// below twice the limit (a std::string doubles its capacity as it grows),
// where inflating the value would take 32 times the limit.
TEST_F(DecodeLimitTest, AStoredMemberInflatingPastTheLimitIsRefusedWithoutInflatingIt) {
    for (const char* key : {"bomb:raw", "bomb:legacy"}) {
        result<std::optional<std::string>> got{std::optional<std::string>{}};
        const std::size_t largest = largest_allocation_in([&] { got = run(cache_.get(key, soon())); });
        ASSERT_FALSE(got) << key;
        EXPECT_EQ(got.error(), make_error_code(errc::decoded_too_large)) << key;
        EXPECT_LE(largest, 2 * kLimit + 1) << key;
    }
    EXPECT_EQ(cache_.stats().decode_errors.load(), 2u);
    EXPECT_EQ(cache_.stats().errors.load(), 2u);
    EXPECT_EQ(cache_.stats().hits.load() + cache_.stats().misses.load(), 0u);
    // Not reported as corruption: its own error and message.
    EXPECT_NE(make_error_code(errc::decoded_too_large).message(), make_error_code(errc::decode_error).message());
}

// What the limit keeps away: the codec's default (512 MiB) inflates it all.
TEST_F(DecodeLimitTest, WithoutTheLimitTheSameValueInflatesToItsFullSize) {
    Cache unlimited{backend_, codec::Codec{}};
    result<std::optional<std::string>> got{std::optional<std::string>{}};
    const std::size_t largest = largest_allocation_in([&] { got = run(unlimited.get("bomb:raw", soon())); });
    ASSERT_TRUE(got && *got);
    EXPECT_EQ((*got)->size(), 32u << 20);
    EXPECT_GE(largest, 32u << 20);
}

TEST_F(DecodeLimitTest, ABatchGetWithSuchAValueIsRefusedWhole) {
    ASSERT_TRUE(run(cache_.set("fine", "1", std::nullopt, soon())));
    auto got = run(cache_.mget({"fine", "bomb:legacy"}, soon()));
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error(), make_error_code(errc::decoded_too_large));
    EXPECT_EQ(cache_.stats().decode_errors.load(), 1u);
}

TEST_F(DecodeLimitTest, ValuesUpToTheLimitRoundTripAndLargerOnesAreNotStored) {
    const std::string at_limit = whitespace_document(kLimit);
    ASSERT_TRUE(run(cache_.set("at", at_limit, std::nullopt, soon())));
    EXPECT_LT(backend_.store().get("at")->size(), at_limit.size());  // stored compressed
    EXPECT_EQ(**run(cache_.get("at", soon())), at_limit);

    // Stored, no read could return it: refused before it is written.
    const std::string over = whitespace_document(kLimit + 1);
    auto set = run(cache_.set("over", over, std::nullopt, soon()));
    ASSERT_FALSE(set);
    EXPECT_EQ(set.error(), make_error_code(errc::too_large));
    EXPECT_FALSE(backend_.store().exists("over"));

    auto mset = run(cache_.mset({{"m:fine", "1", std::nullopt}, {"m:over", over, std::nullopt}}, soon()));
    ASSERT_FALSE(mset);
    EXPECT_EQ(mset.error(), make_error_code(errc::too_large));
    EXPECT_FALSE(backend_.store().exists("m:fine"));
    EXPECT_FALSE(backend_.store().exists("m:over"));
}

}  // namespace
}  // namespace yooni::cache
