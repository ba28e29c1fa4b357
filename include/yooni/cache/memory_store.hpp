// The embedded store behind the memory backend: a thread-safe map with TTL,
// a byte bound with LRU eviction, and glob deletion.
//
// Threading: every member is safe to call from any thread. The store is split
// into shards (by key hash), each with its own mutex, LRU list and byte count;
// the byte bound is divided evenly over shards.
//
// Placement: a key's shard and bucket come from SipHash-1-3 under a 128-bit
// key drawn from the system's CSPRNG when the store is built, so whoever
// chooses the keys (HTTP clients) cannot compute keys that pile into one
// bucket (hash flooding: with std::hash's fixed, public seed they could, and
// every call on that shard then walked the pile under its lock).
//
// Accounting: an entry costs key bytes + value bytes + kEntryOverheadBytes
// (+ 28 for an entry that keeps lengths and its value's SHA-1, see
// memory_entry.hpp); an entry larger than a shard's bound is refused (set
// returns false).
#pragma once

#include <yooni/cache/sha1.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace yooni::cache {

class MemoryStore {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr std::size_t kEntryOverheadBytes = 64;

    struct Stats {
        std::size_t entries = 0;
        std::size_t bytes = 0;          // accounted bytes, <= max_bytes
        std::size_t max_bytes = 0;
        std::uint64_t evictions = 0;    // entries dropped by the byte bound
        std::uint64_t expirations = 0;  // entries dropped because their TTL passed
    };

    // The SipHash key that places keys in shards and buckets.
    struct HashKey {
        std::uint64_t k0 = 0;
        std::uint64_t k1 = 0;
    };

    // The shape of the hash table, for tests and diagnostics.
    struct TableStats {
        std::size_t shards = 0;
        std::size_t buckets = 0;            // over all shards
        std::size_t max_chain = 0;          // entries in the fullest bucket
        std::size_t max_shard_entries = 0;  // entries in the fullest shard
        std::size_t min_shard_entries = 0;  // and in the emptiest
    };

    // The hash key is drawn at random (throws std::runtime_error when the
    // system's random source fails).
    explicit MemoryStore(std::size_t max_bytes, std::size_t shards = 16);
    // A fixed hash key: for tests, which need placement to be reproducible.
    MemoryStore(std::size_t max_bytes, std::size_t shards, HashKey hash_key);
    ~MemoryStore();
    MemoryStore(const MemoryStore&) = delete;
    MemoryStore& operator=(const MemoryStore&) = delete;

    std::optional<std::string> get(std::string_view key);
    // get(), with the value's SHA-1 when the entry keeps it (values of 1 KiB
    // or more, and keys of 255 bytes or more: hashed on the way in, outside
    // the shard's lock).
    struct Found {
        std::string value;
        std::optional<Sha1> sha1;
    };
    std::optional<Found> find(std::string_view key);
    // ttl zero = no expiry. Returns false only when the entry can never fit.
    // A large value is hashed on the way in (see find): throws
    // std::runtime_error when OpenSSL offers no SHA-1.
    bool set(std::string_view key, std::string value, std::chrono::milliseconds ttl);
    bool del(std::string_view key);
    // Conditional forms (compare-and-set): `check` sees the key's current
    // value (nullopt when absent or expired) under the shard's lock, and the
    // write happens only when it says yes, atomically with the check.
    // nullopt when the check refused; else what set/del return.
    // `kept`: the current value's SHA-1 when its entry keeps one, else null.
    using Check = std::function<bool(std::optional<std::string_view> current, const Sha1* kept)>;
    std::optional<bool> set_if(std::string_view key, std::string value, std::chrono::milliseconds ttl, const Check* check);
    std::optional<bool> del_if(std::string_view key, const Check& check);
    bool exists(std::string_view key);
    // Remaining TTL; nullopt when the key is missing, zero when it has no expiry.
    std::optional<std::chrono::milliseconds> ttl(std::string_view key);
    // Deletes every live key matching a Redis glob pattern; returns the count.
    std::size_t delete_matching(std::string_view pattern);
    // Keys matching the pattern (for tests and scans), at most `limit`.
    std::vector<std::string> keys(std::string_view pattern, std::size_t limit = SIZE_MAX);
    void clear();
    Stats stats() const;

    // For tests: a clock offset added to Clock::now() so TTLs can be tested without sleeping.
    void advance_clock_for_test(std::chrono::milliseconds by);
    // Walks every bucket of every shard, each shard under its lock: O(entries),
    // for tests and diagnostics only, never for a request's path.
    TableStats debug_table_stats() const;

private:
    struct Shard;
    Clock::time_point now() const;
    // Milliseconds since epoch_, the unit entries store their expiry in.
    std::uint64_t now_ms() const;
    Shard& shard_for(std::uint64_t hash);
    std::uint64_t key_hash(std::string_view key) const;

    HashKey hash_key_;
    std::vector<std::unique_ptr<Shard>> shards_;
    std::size_t max_bytes_;
    Clock::time_point epoch_;
    // Atomic: tests may advance the clock while other threads read it.
    std::atomic<std::int64_t> clock_offset_ms_{0};
};

}  // namespace yooni::cache
