// Using yooni-cache as a library inside a C++ service: a product catalogue
// cached in the embedded memory backend, with get-or-compute so that a burst
// of misses for one product loads it once.
//
// Build: the `example_product_cache` target. Run: ./example_product_cache
#include <yooni/http/status_json.hpp>
#include <yooni/cache/cache.hpp>
#include <yooni/cache/memory_backend.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <cstdio>

namespace asio = boost::asio;
using yooni::cache::awaitable;
using yooni::cache::result;

namespace {

std::atomic<int> loads{0};

// Stands in for the database query a real service would run.
awaitable<result<std::string>> load_product() {
    loads.fetch_add(1);
    co_return std::string{R"({"id":123,"name_ko":"무선 가습기","price_krw":42000,"stock":17})"};
}

awaitable<void> demo(yooni::cache::Cache& cache) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);

    // Arguments are named locals: GCC 12 mishandles string literals and braced
    // temporaries inside co_await expressions.
    const std::string product_key = "product:123", other_key = "product:124", pattern = "product:*";
    const std::string other_doc = R"({"id":124,"name_ko":"블루투스 스피커"})";
    const yooni::cache::Cache::Compute compute = load_product;

    // Ten callers miss the same key at once: the product is loaded once.
    for (int i = 0; i < 10; ++i) {
        auto value = co_await cache.get_or_compute(product_key, compute, std::chrono::seconds(300), deadline);
        if (!value) std::printf("error: %s\n", value.error().message().c_str());
    }
    std::printf("product:123 loaded %d time(s)\n", loads.load());

        co_await cache.set(other_key, other_doc, std::nullopt, deadline);
    std::vector<std::string> keys{"product:123", "product:124", "product:999"};
    auto many = co_await cache.mget(std::move(keys), deadline);
    if (many) {
        for (const auto& v : *many) std::printf("  %s\n", v ? v->c_str() : "(miss)");
    }
    auto deleted = co_await cache.delete_pattern(pattern, deadline);
    if (deleted) std::printf("deleted %zu product keys\n", *deleted);
    std::printf("stats: %s\n", boost::json::serialize(yooni::http::stats_json(cache.stats())).c_str());
}

}  // namespace

int main() {
    yooni::cache::MemoryBackend backend{64u << 20};
    yooni::cache::Cache cache{backend, yooni::codec::Codec{}};
    asio::io_context ioc;
    asio::co_spawn(ioc, demo(cache), asio::detached);
    ioc.run();
    return loads.load() == 1 ? 0 : 1;
}
