// cache::Cache: the facade every caller uses (HTTP handlers, C++ services).
// It encodes values with the codec, talks to one Backend, and counts the
// statistics once. Keys are used as given.
//
// Errors are not swallowed into misses (a defect of the Python system): a
// backend or decode failure is returned, counted in `errors`, and the caller
// decides.
//
// Threading: all members may be called concurrently from any thread; each
// awaitable completes on the caller's executor.
#pragma once

#include <yooni/cache/backend.hpp>
#include <yooni/cache/stats.hpp>
#include <yooni/codec/codec.hpp>

#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace yooni::cache {

struct CacheOptions {
    std::chrono::seconds default_ttl{300};   // CACHE_TTL_SECONDS
};

class Cache {
public:
    Cache(Backend& backend, codec::Codec codec, CacheOptions options = {});
    ~Cache();
    Cache(const Cache&) = delete;
    Cache& operator=(const Cache&) = delete;

    Backend& backend() { return backend_; }
    const codec::Codec& codec() const { return codec_; }
    // A gzip member of `bytes` at `level`: what the HTTP layer sends a
    // client that accepts gzip when an answer is not stored compressed.
    static std::string gzip(std::string_view bytes, int level) { return codec::gzip_compress(bytes, level); }
    const CacheOptions& options() const { return options_; }
    Stats& stats() { return stats_; }

    // The decoded value, or nullopt on a miss.
    awaitable<result<std::optional<std::string>>> get(std::string key, Deadline deadline);
    // The value as the backend stores it (counted as a get, hit or miss), for
    // callers that can use the stored form: its entity tag, its gzip member
    // (codec().gzip_member) passed on without inflating. decode_stored() gives
    // the value itself, with get()'s errors and counts. Read::stale_age says
    // when it is a stale copy (stale-if-error).
    awaitable<result<Read>> read_stored(std::string key, Deadline deadline);
    result<std::string> decode_stored(std::string_view stored);
    // ttl: nullopt = the default TTL; zero = no expiry. A value larger than
    // the codec's max_decoded_bytes is refused (errc::too_large): no read
    // could return it. A stored value that inflates beyond that limit is
    // errc::decoded_too_large for get and mget, counted in decode_errors.
    awaitable<result<void>> set(std::string key, std::string value, std::optional<std::chrono::seconds> ttl,
                                Deadline deadline);
    // True when the key existed.
    awaitable<result<bool>> del(std::string key, Deadline deadline);
    // Compare-and-set: stores only when `pre` holds for the key's current
    // stored bytes, atomically with that check (the shard's lock; one Lua
    // script on the key's node). The new value's sha1_hex when stored,
    // nullopt when the precondition failed.
    awaitable<result<std::optional<std::string>>> set_if(std::string key, std::string value,
                                                         std::optional<std::chrono::seconds> ttl, Precondition pre,
                                                         Deadline deadline);
    // Deletes only when `pre` holds: true when deleted.
    awaitable<result<bool>> del_if(std::string key, Precondition pre, Deadline deadline);
    // Decoded values in the order of `keys`. A value that fails to decode is an
    // error for the whole call (never a wrong value). The decoded values
    // together may hold at most `max_total_bytes` (errc::over_budget, found
    // without inflating past it), and the deadline is checked between values.
    awaitable<result<std::vector<std::optional<std::string>>>> mget(
        std::vector<std::string> keys, Deadline deadline,
        std::size_t max_total_bytes = std::numeric_limits<std::size_t>::max());
    struct Item {
        std::string key;
        std::string value;
        std::optional<std::chrono::seconds> ttl;
    };
    // A value too large for the codec (see set) refuses the whole call.
    awaitable<result<void>> mset(std::vector<Item> items, Deadline deadline);
    awaitable<result<std::size_t>> mdel(std::vector<std::string> keys, Deadline deadline);
    awaitable<result<std::size_t>> delete_pattern(std::string pattern, Deadline deadline);

    // Returns the cached value, or computes it once however many callers miss
    // the same key at the same time (single flight, across threads), stores it
    // with `ttl` and hands it to all of them. A failed compute is returned to
    // every waiter and not stored. A waiter that does not get the value by its
    // own `deadline` gets errc::timeout (the computation goes on for the
    // others). A compute that throws: its exception reaches the caller that
    // ran it, errc::compute_failed every waiter, and the key is free again.
    using Compute = std::function<awaitable<result<std::string>>()>;
    awaitable<result<std::string>> get_or_compute(std::string key, Compute compute,
                                                  std::optional<std::chrono::seconds> ttl, Deadline deadline);

    // Number of computations currently in flight (for tests and metrics).
    std::size_t flights_in_progress() const;

    struct Flight;  // one computation in flight (defined in cache.cpp)

private:
    result<std::optional<std::string>> decode(std::optional<std::string> stored);
    // Whether a value of this size could be read back (codec's max_decoded_bytes).
    bool readable(std::string_view value) const;
    std::string encode(std::string_view value);
    awaitable<result<std::string>> run_flight(std::string key, std::shared_ptr<Flight> flight, Compute compute,
                                              std::optional<std::chrono::seconds> ttl, Deadline deadline);

    Backend& backend_;
    codec::Codec codec_;
    CacheOptions options_;
    Stats stats_;
    mutable std::mutex flights_mutex_;
    std::unordered_map<std::string, std::shared_ptr<Flight>> flights_;
};

}  // namespace yooni::cache
