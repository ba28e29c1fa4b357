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
// Misses of one key coalesce: the first starts a flight (its fetch), later
// ones wait for it (join_or_lead). An invalidation or a flush detaches the
// flight, so a caller that comes after it fetches anew.
//
// Stale-if-error (opt-in, `stale_if_error`): a link that dies orphans what
// was read (orphan_all) rather than dropping it. Orphans are never hits; a
// read whose node cannot answer may be answered from one younger than the
// bound (stale()), marked as such by the caller. Invalidations and flushes
// drop orphans too, and so does a lost tracking link that opens again
// (drop_orphans): once a node answers again, what it answers wins. (A
// failover's new master is a new slot map or Sentinel's switch: a flush.)
//
// Thread-safe: shards, each under its own mutex. Values are kept as Redis
// stores them (compressed stays compressed).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
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
    std::chrono::milliseconds stale_if_error{0};  // NEAR_CACHE_STALE_IF_ERROR_MS; 0 = never stale
    // How often a tracking link proves it is alive (ConnectionOptions::Tracking::ping_interval).
    std::chrono::milliseconds link_check{1000};
    // With a stale copy to fall back on, how long a key's node gets to answer
    // before the copy is served (its link died already: that is why there is one).
    std::chrono::milliseconds stale_leash{250};
};

struct NearCacheStats {
    std::uint64_t hits = 0, misses = 0;
    std::uint64_t fills = 0;          // values stored
    std::uint64_t voided_fills = 0;   // replies not stored: an invalidation crossed them
    std::uint64_t invalidations = 0;  // entries or fills dropped by an invalidation (pushes and own writes)
    std::uint64_t flushes = 0;        // everything dropped (null invalidation, lost link, moved slots)
    std::uint64_t evictions = 0;      // dropped for room
    std::uint64_t coalesced = 0;      // misses that waited for another caller's fetch of the key
    std::uint64_t orphanings = 0;     // links lost with stale-if-error on: entries kept as orphans
    std::uint64_t stale_answers = 0;  // reads answered from an orphan while the node could not answer
    std::size_t entries = 0, bytes = 0;
    std::size_t max_bytes = 0;  // the bound (NEAR_CACHE_MAX_BYTES)
};

// A miss being fetched, that later misses of the key wait for (defined where
// it is awaited: near_client.cpp).
struct NearFlight;

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

    // One fetch per key: the flight of `key` already under way (the caller
    // waits for it), or null when there was none: `mine` is then the key's
    // flight and `fill` is begun, for the caller to fetch, complete or
    // abandon the fill, and land().
    std::shared_ptr<NearFlight> join_or_lead(std::string_view key, std::shared_ptr<NearFlight> mine, Fill& fill);
    // The leader's fetch ended: the next miss starts a new flight.
    void land(std::string_view key, const std::shared_ptr<NearFlight>& mine);

    void invalidate(std::string_view key);
    void flush();
    // A tracked link died: with stale_if_error on, every entry becomes an
    // orphan (kept only for stale()); otherwise flush().
    void orphan_all();
    // A lost tracked link opened again: orphans go.
    void drop_orphans();
    struct Stale {
        std::string value;
        std::chrono::milliseconds age;  // since it was read from Redis
    };
    // An orphan of `key` younger than stale_if_error and its own expiry, for
    // a read whose node could not answer (counted as a stale answer).
    std::optional<Stale> stale(std::string_view key, Clock::time_point now = Clock::now());
    // Whether stale() could answer `key` now (not counted).
    bool has_stale(std::string_view key, Clock::time_point now = Clock::now());

    NearCacheStats stats() const;
    const NearCacheOptions& options() const { return options_; }

private:
    struct Entry {
        std::string value;
        Clock::time_point expires;
        Clock::time_point filled;  // when it was read
        bool orphan = false;       // its link died: served only by stale()
        std::list<std::string>::iterator lru;  // into Shard::order, most recent first
    };
    // Keys are chosen by clients: placed by SipHash-1-3 under a key drawn at
    // random per near cache (redis/siphash.hpp), so that no client can
    // compute keys that pile into one shard or bucket. Lookups by
    // string_view, without a std::string per call.
    struct Hash {
        using is_transparent = void;
        std::uint64_t k0, k1;  // (no initialisers: a nested class's would make Shard not default-constructible here)
        std::size_t operator()(std::string_view k) const noexcept;
    };
    template <class V>
    using Map = std::unordered_map<std::string, V, Hash, std::equal_to<>>;
    struct Shard {
        mutable std::mutex mutex;
        Map<Entry> entries;
        std::list<std::string> order;
        // Fills under way: key -> tickets. invalidate() erases the key's,
        // flush() all of them: complete() stores only a ticket still here.
        Map<std::vector<std::uint64_t>> pending;
        Map<std::shared_ptr<NearFlight>> flights;
        std::size_t bytes = 0;
        std::size_t orphans = 0;
    };
    static constexpr std::size_t kShards = 16;
    Shard& shard_for(std::string_view key);
    static std::size_t cost(const std::string& key, const std::string& value);
    void erase(Shard& s, Map<Entry>::iterator it);

    static Hash random_hash();

    NearCacheOptions options_;
    Hash hash_;
    std::size_t shard_budget_;
    std::unique_ptr<Shard[]> shards_;
    std::atomic<std::uint64_t> next_ticket_{1};
    mutable std::atomic<std::uint64_t> hits_{0}, misses_{0}, fills_{0}, voided_{0}, invalidations_{0}, flushes_{0},
        evictions_{0}, coalesced_{0}, orphanings_{0}, stale_answers_{0};
};

}  // namespace yooni::redis
