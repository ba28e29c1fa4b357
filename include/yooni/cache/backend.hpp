// The storage interface under cache::Cache. The memory backend implements it
// here; the Redis backends (standalone, cluster) implement it unchanged.
//
// Values crossing this interface are already encoded by the codec: a backend
// stores bytes. A miss is an empty optional, not an error. Every call carries
// the caller's deadline; a backend must answer by then (errc::timeout).
//
// Threading: calls may come from any worker thread; each awaitable completes on
// the caller's executor.
#pragma once

#include <yooni/cache/sha1.hpp>
#include <yooni/redis/near_cache.hpp>
#include <yooni/redis/status.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace yooni::cache {

using Deadline = std::chrono::steady_clock::time_point;
template <class T>
using result = boost::system::result<T>;
template <class T>
using awaitable = boost::asio::awaitable<T>;

enum class errc {
    unavailable = 1,    // the backend cannot be reached (e.g. Redis down)
    timeout,            // the deadline passed
    decode_error,       // a stored value could not be decoded (corrupt)
    too_large,          // the value can never fit (memory bound), or is larger than the codec decodes
    bad_pattern,        // pattern longer than the limit
    backend_error,      // the backend answered with an error
    not_replicated,     // a write fewer replicas confirmed than REDIS_WAIT_REPLICAS asks
    compute_failed,     // get_or_compute: the computation threw (its waiters get this)
    over_budget,        // the answer would exceed the caller's byte budget (mget's max_total_bytes)
    decoded_too_large,  // a stored value inflates beyond the codec's max_decoded_bytes (not corrupt: refused)
};
const boost::system::error_category& category();
boost::system::error_code make_error_code(errc e);

// The memory backend's facts.
struct MemoryStatus {
    std::size_t entries = 0, bytes = 0, max_bytes = 0;
    std::uint64_t evictions = 0, expirations = 0;
};
using BackendStatus = std::variant<MemoryStatus, redis::StandaloneStatus, redis::ClusterStatus, redis::SentinelStatus>;

struct Entry {
    std::string key;
    std::string value;                 // encoded bytes
    std::chrono::seconds ttl{0};       // 0 = no expiry
};


// A condition on the value a key holds now, checked atomically with a write
// (compare-and-set): HTTP's If-Match and If-None-Match.
struct Precondition {
    enum class Kind {
        none,    // write whatever is there
        tag,     // the key holds a value whose sha1_hex is one of `tags` (If-Match: "t1", "t2")
        exists,  // the key holds a value (If-Match: *)
        absent,  // the key holds no value (If-None-Match: *)
    };
    Kind kind = Kind::none;
    std::vector<std::string> tags;  // sha1_hex values, for Kind::tag
    // Whether it holds for `current` (nullopt: no value); `kept`: current's
    // SHA-1 when the store kept it, so it is not hashed again.
    bool holds(std::optional<std::string_view> current, const Sha1* kept = nullptr) const;
};

// A read's answer: the stored bytes (nullopt: a miss) and, when a near cache
// answered with a copy it kept while the key's Redis node could not answer
// (stale-if-error), that copy's age.
struct Read {
    std::optional<std::string> value;
    std::optional<std::chrono::milliseconds> stale_age;
    // The value's SHA-1 when the backend kept it beside the value (the
    // memory store, for values of 1 KiB or more); else the reader hashes.
    std::optional<Sha1> sha1;
};

class Backend {
public:
    virtual ~Backend() = default;

    // "memory", "redis", "redis-cluster" or "redis-sentinel": shown by the monitoring API.
    virtual std::string_view kind() const = 0;
    // Whether calls can succeed now (for /readyz). Never blocks.
    virtual bool ready() const = 0;

    virtual awaitable<result<std::optional<std::string>>> get(std::string key, Deadline deadline) = 0;
    // get(), saying whether the answer is a stale copy (only a backend with a
    // near cache and stale-if-error on gives one).
    virtual awaitable<result<Read>> read(std::string key, Deadline deadline);
    virtual awaitable<result<void>> set(Entry entry, Deadline deadline) = 0;
    virtual awaitable<result<bool>> del(std::string key, Deadline deadline) = 0;
    // Answers in the order of `keys`.
    virtual awaitable<result<std::vector<std::optional<std::string>>>> mget(std::vector<std::string> keys,
                                                                            Deadline deadline) = 0;
    // Not atomic across keys (nor across cluster slots).
    virtual awaitable<result<void>> mset(std::vector<Entry> entries, Deadline deadline) = 0;
    // Returns how many of the keys existed.
    virtual awaitable<result<std::size_t>> mdel(std::vector<std::string> keys, Deadline deadline) = 0;
    // Conditional write and delete, atomic with their check: false when the
    // precondition did not hold (nothing was done). del_if's true: deleted.
    virtual awaitable<result<bool>> set_if(Entry entry, Precondition pre, Deadline deadline) = 0;
    virtual awaitable<result<bool>> del_if(std::string key, Precondition pre, Deadline deadline) = 0;
    // Deletes every key matching a Redis glob pattern; returns the count.
    virtual awaitable<result<std::size_t>> delete_pattern(std::string pattern, Deadline deadline) = 0;

    // The cluster's state and nodes (the monitoring API's `cluster/info`);
    // nullopt when the backend is not a cluster.
    virtual awaitable<result<std::optional<redis::ClusterInfo>>> cluster_info(Deadline deadline) = 0;
    // Backend facts for /health/detailed and /metrics (entries, bytes, nodes ...).
    virtual BackendStatus status() const = 0;
    // The near cache's counters, when the backend has one on (NEAR_CACHE_MAX_BYTES).
    virtual std::optional<redis::NearCacheStats> near_cache() const { return std::nullopt; }
};

// Why the backend cannot serve ("" when it can, or when it does not say).
std::string last_error_of(const BackendStatus& status);

}  // namespace yooni::cache

template <>
struct boost::system::is_error_code_enum<yooni::cache::errc> : std::true_type {};
