// A near cache: values read from Redis kept in this process, bounded in
// bytes (least recently used first out), and kept fresh by Redis itself.
// The links that fill it have CLIENT TRACKING on (default mode, RESP3):
// Redis remembers every key read through such a link and pushes an
// `invalidate` message on it when the key changes, expires or is evicted;
// a null invalidation (FLUSHALL, FLUSHDB) means every key. Default mode
// rather than OPTIN: every read on a tracked link is one the near cache
// wants kept, so OPTIN's CLIENT CACHING yes before each read would only
// add a command.
//
// What keeps a stale value out:
// - a fill is begun before its read is sent and completed after its reply
//   came; an invalidation of the key in between (or a flush) voids it, so a
//   reply that crossed an invalidation is never stored;
// - a write through this process invalidates the key before the write is
//   acknowledged (read-your-writes across workers; Redis's own push for it
//   may come later, on another link);
// - a tracked link that breaks or reconnects flushes everything (what it
//   tracked is no longer tracked), and so does a moved slot or a failover;
// - every entry expires by the key's own TTL (PTTL read with the value) and
//   by `max_age` at the latest (Redis invalidates expired keys only when it
//   notices them expired).
//
// Thread-safe: shards, each under its own mutex. Values are kept as Redis
// stores them (compressed stays compressed).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace yooni::redis {

struct NearCacheOptions {
    std::size_t max_bytes = 0;                 // NEAR_CACHE_MAX_BYTES; 0 = no near cache
    std::chrono::milliseconds max_age{60000};  // NEAR_CACHE_TTL_MS: no entry is older
};

struct NearCacheStats {
    std::uint64_t hits = 0, misses = 0;
    std::uint64_t fills = 0;          // values stored
    std::uint64_t voided_fills = 0;   // replies not stored: an invalidation crossed them
    std::uint64_t invalidations = 0;  // keys invalidated (pushes and own writes)
    std::uint64_t flushes = 0;        // everything dropped (null invalidation, lost link, moved slots)
    std::uint64_t evictions = 0;      // dropped for room
    std::size_t entries = 0, bytes = 0;
};

class NearCache {
public:
    using Clock = std::chrono::steady_clock;
    explicit NearCache(NearCacheOptions options);
    NearCache(const NearCache&) = delete;
    NearCache& operator=(const NearCache&) = delete;

    // The value kept for `key`, when it is there and younger than its expiry.
    std::optional<std::string> get(std::string_view key, Clock::time_point now = Clock::now());

    // A fill: begin() before the read is sent, complete() with its reply.
    struct Fill {
        std::string key;
        std::uint64_t ticket = 0;
    };
    Fill begin(std::string_view key);
    // Stores `value` until `expires`, unless the key was invalidated (or the
    // cache flushed) since begin(). False when voided.
    bool complete(const Fill& fill, std::string value, Clock::time_point expires);
    // The read failed or found nothing: forget the fill.
    void abandon(const Fill& fill);

    void invalidate(std::string_view key);
    void flush();

    NearCacheStats stats() const;
    const NearCacheOptions& options() const { return options_; }

private:
    struct Entry {
        std::string value;
        Clock::time_point expires;
        std::list<std::string>::iterator lru;  // into Shard::order, most recent first
    };
    struct Shard {
        mutable std::mutex mutex;
        std::unordered_map<std::string, Entry> entries;
        std::list<std::string> order;
        // Fills under way: key -> tickets. invalidate() erases the key's,
        // flush() all of them: complete() stores only a ticket still here.
        std::unordered_map<std::string, std::vector<std::uint64_t>> pending;
        std::size_t bytes = 0;
    };
    static constexpr std::size_t kShards = 16;
    Shard& shard_for(std::string_view key);
    static std::size_t cost(const std::string& key, const std::string& value);
    void erase(Shard& s, std::unordered_map<std::string, Entry>::iterator it);

    NearCacheOptions options_;
    std::size_t shard_budget_;
    std::unique_ptr<Shard[]> shards_;
    std::atomic<std::uint64_t> next_ticket_{1};
    mutable std::atomic<std::uint64_t> hits_{0}, misses_{0}, fills_{0}, voided_{0}, invalidations_{0}, flushes_{0},
        evictions_{0};
};

}  // namespace yooni::redis
