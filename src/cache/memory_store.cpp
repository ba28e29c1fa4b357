// Memory layout, chosen for the per-entry budget (at most 64 bytes of real
// memory beside key and value, measured with 1M entries of ~20-byte keys and
// 100-byte values; 48.6 measured in RSS):
//
// - one malloc block per entry (memory_entry.hpp): a 32-byte header
//   (bucket-chain link, two LRU links, one packed word for expiry and
//   lengths) followed by the key and value bytes;
// - per shard, an array of chain heads that doubles when entries outnumber
//   buckets, so it costs 8 to 16 bytes per entry.
//
// Keys are placed by SipHash-1-3 under a key drawn per store (siphash.hpp,
// and the top of memory_store.hpp for why). The hash is not kept in the entry
// (the header budget above); growth and unlinking by LRU hash the key again.
//
// Expiry is lazy (an expired entry is dropped when touched) plus a bounded
// sweep on every set: the LRU tail, where unread entries drift, and a cursor
// that walks a few buckets each time, so every expired entry goes within one
// pass of the table while writes continue.
#include "yooni/cache/memory_store.hpp"

#include "yooni/cache/glob.hpp"

#include "cache/memory_entry.hpp"
#include "redis/siphash.hpp"

#include <boost/assert.hpp>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <stdexcept>

namespace yooni::cache {
namespace {

using detail::allocate_entry;
using detail::Entry;
using detail::fits_in_place;
using detail::kExpiryMask;
using redis::detail::SipKey;

constexpr std::size_t kInitialBuckets = 8;
// Per set: expired entries looked at from the LRU tail, and buckets the
// cursor visits. Small, so a set stays O(1); enough that the cursor laps the
// table after (buckets / 2) sets.
constexpr int kSweepTailEntries = 2;
constexpr std::size_t kSweepBuckets = 2;

std::uint64_t hash_of(const SipKey& k, std::string_view key) { return redis::detail::siphash13(k, key); }

std::optional<Sha1> kept_sha1(const Entry& e) {
    const unsigned char* kept = e.sha1();
    if (!kept) return std::nullopt;
    Sha1 out;
    std::memcpy(out.data(), kept, kSha1Bytes);
    return out;
}

MemoryStore::HashKey random_hash_key() {
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("memory store: no random hash key (RAND_bytes)");
    const SipKey k = redis::detail::sip_key_from_bytes(bytes);
    return {k.k0, k.k1};
}

}  // namespace

// Everything below is guarded by `mutex`.
struct MemoryStore::Shard {
    Shard(std::size_t bound, SipKey k) : max_bytes(bound), hash_key(k) { reset(); }
    ~Shard() { free_all(); }

    std::mutex mutex;
    const std::size_t max_bytes;
    const SipKey hash_key;  // the store's, for rehashing entries
    std::unique_ptr<Entry*[]> buckets;
    std::size_t bucket_count = 0;  // a power of two
    Entry* newest = nullptr;
    Entry* oldest = nullptr;
    std::size_t entries = 0;
    std::size_t bytes = 0;
    std::uint64_t evictions = 0;
    std::uint64_t expirations = 0;
    std::size_t sweep_cursor = 0;

    Entry** bucket_for(std::uint64_t hash) { return &buckets[hash & (bucket_count - 1)]; }

    // The link that points at the entry with this key, or the null link
    // ending its bucket's chain when there is none.
    Entry** find(std::uint64_t hash, std::string_view key) {
        Entry** link = bucket_for(hash);
        while (*link && (*link)->key() != key) link = &(*link)->chain_next;
        return link;
    }

    Entry** link_to(const Entry* e) {
        Entry** link = bucket_for(hash_of(hash_key, e->key()));
        while (*link != e) {
            BOOST_ASSERT(*link);
            link = &(*link)->chain_next;
        }
        return link;
    }

    void lru_unlink(Entry* e) {
        (e->newer ? e->newer->older : newest) = e->older;
        (e->older ? e->older->newer : oldest) = e->newer;
        e->newer = e->older = nullptr;
    }

    void lru_push_newest(Entry* e) {
        e->newer = nullptr;
        e->older = newest;
        (newest ? newest->newer : oldest) = e;
        newest = e;
    }

    void touch(Entry* e) {
        if (e == newest) return;
        lru_unlink(e);
        lru_push_newest(e);
    }

    void erase(Entry** link) {
        Entry* e = *link;
        *link = e->chain_next;
        lru_unlink(e);
        --entries;
        bytes -= e->cost();
        std::free(e);
    }

    void expire(Entry** link) {
        erase(link);
        ++expirations;
    }

    // Links a new entry at `link` (the null end of its chain).
    void insert(Entry** link, Entry* e) {
        e->chain_next = nullptr;
        *link = e;
        lru_push_newest(e);
        ++entries;
        bytes += e->cost();
        if (entries > bucket_count) grow();
    }

    // Puts `fresh` where `*link` was, keeping its place in the chain.
    void replace(Entry** link, Entry* fresh) {
        Entry* old = *link;
        fresh->chain_next = old->chain_next;
        *link = fresh;
        lru_unlink(old);
        bytes -= old->cost();
        std::free(old);
        lru_push_newest(fresh);
        bytes += fresh->cost();
    }

    void grow() {
        const std::size_t count = bucket_count * 2;
        auto fresh = std::make_unique<Entry*[]>(count);  // value-initialised: all null
        for (std::size_t b = 0; b < bucket_count; ++b) {
            for (Entry* e = buckets[b]; e;) {
                Entry* next = e->chain_next;
                Entry*& head = fresh[hash_of(hash_key, e->key()) & (count - 1)];
                e->chain_next = head;
                head = e;
                e = next;
            }
        }
        buckets = std::move(fresh);
        bucket_count = count;
    }

    void sweep(std::uint64_t now_ms) {
        for (int i = 0; i < kSweepTailEntries && oldest && oldest->expired(now_ms); ++i) expire(link_to(oldest));
        for (std::size_t i = 0; i < kSweepBuckets; ++i) {
            sweep_cursor = (sweep_cursor + 1) & (bucket_count - 1);
            for (Entry** link = &buckets[sweep_cursor]; *link;) {
                if ((*link)->expired(now_ms)) {
                    expire(link);
                } else {
                    link = &(*link)->chain_next;
                }
            }
        }
    }

    // The newest entry never goes: callers refuse entries costing more than
    // max_bytes, so it alone always fits.
    void evict_to_bound(std::uint64_t now_ms) {
        while (bytes > max_bytes) {
            BOOST_ASSERT(oldest && oldest != newest);
            if (oldest->expired(now_ms)) {
                ++expirations;
            } else {
                ++evictions;
            }
            erase(link_to(oldest));
        }
    }

    // Calls f(link) for every entry; f may erase the entry at link, the walk
    // then goes on with the one that took its place.
    template <class F>
    void for_each_link(F&& f) {
        for (std::size_t b = 0; b < bucket_count; ++b) {
            for (Entry** link = &buckets[b]; *link;) {
                Entry* before = *link;
                f(link);
                if (*link == before) link = &before->chain_next;
            }
        }
    }

    void free_all() {
        for (Entry* e = newest; e;) {
            Entry* next = e->older;
            std::free(e);
            e = next;
        }
        newest = oldest = nullptr;
        entries = bytes = 0;
    }

    void reset() {
        free_all();
        bucket_count = kInitialBuckets;
        buckets = std::make_unique<Entry*[]>(bucket_count);
        sweep_cursor = 0;
    }
};

MemoryStore::MemoryStore(std::size_t max_bytes, std::size_t shards)
    : MemoryStore(max_bytes, shards, random_hash_key()) {}

MemoryStore::MemoryStore(std::size_t max_bytes, std::size_t shards, HashKey hash_key)
    : hash_key_(hash_key), max_bytes_(max_bytes), epoch_(Clock::now()) {
    shards = std::max<std::size_t>(shards, 1);
    shards_.reserve(shards);
    for (std::size_t i = 0; i < shards; ++i)
        shards_.push_back(std::make_unique<Shard>(max_bytes / shards, SipKey{hash_key.k0, hash_key.k1}));
}

MemoryStore::~MemoryStore() = default;

MemoryStore::Clock::time_point MemoryStore::now() const {
    return Clock::now() + std::chrono::milliseconds(clock_offset_ms_.load(std::memory_order_relaxed));
}

std::uint64_t MemoryStore::now_ms() const {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now() - epoch_).count();
    // Below kExpiryMask, so an expiry saturated at kExpiryMask never passes.
    return static_cast<std::uint64_t>(std::clamp<std::int64_t>(ms, 0, kExpiryMask - 1));
}

std::uint64_t MemoryStore::key_hash(std::string_view key) const { return hash_of({hash_key_.k0, hash_key_.k1}, key); }

// High bits pick the shard, low bits the bucket within it: independent.
MemoryStore::Shard& MemoryStore::shard_for(std::uint64_t hash) { return *shards_[(hash >> 32) % shards_.size()]; }

std::optional<MemoryStore::Found> MemoryStore::find(std::string_view key) {
    const auto hash = key_hash(key);
    const auto now = now_ms();
    Shard& shard = shard_for(hash);
    std::lock_guard lock{shard.mutex};
    Entry** link = shard.find(hash, key);
    if (!*link) return std::nullopt;
    if ((*link)->expired(now)) {
        shard.expire(link);
        return std::nullopt;
    }
    shard.touch(*link);
    return Found{std::string{(*link)->value()}, kept_sha1(**link)};
}

std::optional<std::string> MemoryStore::get(std::string_view key) {
    auto found = find(key);
    if (!found) return std::nullopt;
    return std::move(found->value);
}

bool MemoryStore::set(std::string_view key, std::string value, std::chrono::milliseconds ttl) {
    return set_if(key, std::move(value), ttl, nullptr).value_or(false);
}

std::optional<bool> MemoryStore::set_if(std::string_view key, std::string value, std::chrono::milliseconds ttl,
                                        const Check* check) {
    if (ttl.count() < 0) {  // expired before it was stored, as Redis treats a past EXAT
        if (check && !del_if(key, *check)) return std::nullopt;
        if (!check) del(key);
        return true;
    }
    const auto hash = key_hash(key);
    const auto now = now_ms();
    const std::size_t cost = detail::entry_cost(key.size(), value.size());
    constexpr std::size_t kMaxLength = std::numeric_limits<std::uint32_t>::max();
    Shard& shard = shard_for(hash);
    // A large entry keeps its value's digest: hashed here, before the lock
    // (the shard's bound is constant), and only for a value the shard can hold.
    std::optional<Sha1> sha1;
    if (!detail::is_small(key.size(), value.size()) && cost <= shard.max_bytes) sha1 = sha1_of(value);
    const Sha1* digest = sha1 ? &*sha1 : nullptr;
    std::lock_guard lock{shard.mutex};
    Entry** link = shard.find(hash, key);
    if (check) {
        std::optional<std::string_view> current;
        std::optional<Sha1> kept;
        if (*link && !(*link)->expired(now)) {
            current = (*link)->value();
            kept = kept_sha1(**link);
        }
        if (!(*check)(current, kept ? &*kept : nullptr)) return std::nullopt;
    }

    if (key.size() > kMaxLength || value.size() > kMaxLength || cost > shard.max_bytes) {
        // The caller meant to replace this key: its old value must not stay readable.
        if (*link) shard.erase(link);
        return false;
    }
    const std::uint64_t expiry =
        ttl.count() == 0 ? 0
                         : std::min<std::uint64_t>(kExpiryMask, now + static_cast<std::uint64_t>(ttl.count()));

    if (Entry* old = *link; old && fits_in_place(old, key.size(), value.size())) {
        shard.bytes -= old->cost();
        old->write(key, value, expiry, digest);
        shard.bytes += old->cost();
        shard.touch(old);
    } else {
        Entry* fresh = allocate_entry(key, value, expiry, digest);
        if (!fresh) {
            if (old) shard.erase(link);
            return false;
        }
        if (old) {
            shard.replace(link, fresh);
        } else {
            shard.insert(link, fresh);
        }
    }
    shard.sweep(now);
    shard.evict_to_bound(now);
    return true;
}

std::optional<bool> MemoryStore::del_if(std::string_view key, const Check& check) {
    const auto hash = key_hash(key);
    const auto now = now_ms();
    Shard& shard = shard_for(hash);
    std::lock_guard lock{shard.mutex};
    Entry** link = shard.find(hash, key);
    const bool live = *link && !(*link)->expired(now);
    std::optional<std::string_view> current;
    std::optional<Sha1> kept;
    if (live) {
        current = (*link)->value();
        kept = kept_sha1(**link);
    }
    if (!check(current, kept ? &*kept : nullptr)) return std::nullopt;
    if (!*link) return false;
    if (!live) {
        shard.expire(link);
        return false;
    }
    shard.erase(link);
    return true;
}

bool MemoryStore::del(std::string_view key) {
    const auto hash = key_hash(key);
    const auto now = now_ms();
    Shard& shard = shard_for(hash);
    std::lock_guard lock{shard.mutex};
    Entry** link = shard.find(hash, key);
    if (!*link) return false;
    if ((*link)->expired(now)) {
        shard.expire(link);
        return false;
    }
    shard.erase(link);
    return true;
}

bool MemoryStore::exists(std::string_view key) { return ttl(key).has_value(); }

std::optional<std::chrono::milliseconds> MemoryStore::ttl(std::string_view key) {
    const auto hash = key_hash(key);
    const auto now = now_ms();
    Shard& shard = shard_for(hash);
    std::lock_guard lock{shard.mutex};
    Entry** link = shard.find(hash, key);
    if (!*link) return std::nullopt;
    if ((*link)->expired(now)) {
        shard.expire(link);
        return std::nullopt;
    }
    const auto expiry = (*link)->expiry();
    return std::chrono::milliseconds(expiry == 0 ? 0 : static_cast<std::int64_t>(expiry - now));
}

std::size_t MemoryStore::delete_matching(std::string_view pattern) {
    if (pattern.size() > kMaxGlobPatternBytes) return 0;
    std::size_t deleted = 0;
    for (auto& shard : shards_) {
        const auto now = now_ms();
        std::lock_guard lock{shard->mutex};
        shard->for_each_link([&](Entry** link) {
            if ((*link)->expired(now)) {
                shard->expire(link);
            } else if (glob_match(pattern, (*link)->key())) {
                shard->erase(link);
                ++deleted;
            }
        });
    }
    return deleted;
}

std::vector<std::string> MemoryStore::keys(std::string_view pattern, std::size_t limit) {
    std::vector<std::string> out;
    if (pattern.size() > kMaxGlobPatternBytes) return out;
    for (auto& shard : shards_) {
        const auto now = now_ms();
        std::lock_guard lock{shard->mutex};
        for (std::size_t b = 0; b < shard->bucket_count; ++b) {
            for (Entry* e = shard->buckets[b]; e; e = e->chain_next) {
                if (out.size() >= limit) return out;
                if (!e->expired(now) && glob_match(pattern, e->key())) out.emplace_back(e->key());
            }
        }
    }
    return out;
}

void MemoryStore::clear() {
    for (auto& shard : shards_) {
        std::lock_guard lock{shard->mutex};
        shard->reset();
    }
}

MemoryStore::Stats MemoryStore::stats() const {
    Stats s;
    s.max_bytes = max_bytes_;
    for (const auto& shard : shards_) {
        std::lock_guard lock{shard->mutex};
        s.entries += shard->entries;
        s.bytes += shard->bytes;
        s.evictions += shard->evictions;
        s.expirations += shard->expirations;
    }
    return s;
}

void MemoryStore::advance_clock_for_test(std::chrono::milliseconds by) {
    clock_offset_ms_.fetch_add(by.count(), std::memory_order_relaxed);
}

MemoryStore::TableStats MemoryStore::debug_table_stats() const {
    TableStats s;
    s.shards = shards_.size();
    s.min_shard_entries = SIZE_MAX;
    for (const auto& shard : shards_) {
        std::lock_guard lock{shard->mutex};
        s.buckets += shard->bucket_count;
        s.max_shard_entries = std::max(s.max_shard_entries, shard->entries);
        s.min_shard_entries = std::min(s.min_shard_entries, shard->entries);
        for (std::size_t b = 0; b < shard->bucket_count; ++b) {
            std::size_t chain = 0;
            for (const Entry* e = shard->buckets[b]; e; e = e->chain_next) ++chain;
            s.max_chain = std::max(s.max_chain, chain);
        }
    }
    return s;
}

}  // namespace yooni::cache
