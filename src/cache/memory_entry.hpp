// The memory store's entry: one malloc block holding a 32-byte header, then
// (large entries only) two uint32 lengths and the value's SHA-1, then the key
// and value bytes.
//
// The packed word holds the expiry (ms since the store's epoch, 40 bits: 34
// years) and, for entries with a key under 255 bytes and a value under 1 KiB,
// both lengths. Larger entries mark the key length 0xFF and keep two uint32
// lengths and the 20-byte SHA-1 of the value (its entity tag, which every read
// of it over HTTP would otherwise hash again: 1.1 us for 2 KB) in front of the
// key: 28 bytes more on an entry of at least 1 KiB, under 3%.
// 32 header bytes are what keep a 20 + 100 byte entry in glibc's 160-byte
// chunk; 40 would push it to 176 (see memory_store.cpp for the budget).
//
// Not thread-safe: entries belong to a shard and are touched under its mutex.
#pragma once

#include "yooni/cache/memory_store.hpp"

#include <boost/assert.hpp>
#include <malloc.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>

namespace yooni::cache::detail {

constexpr unsigned kExpiryBits = 40;
constexpr std::uint64_t kExpiryMask = (std::uint64_t{1} << kExpiryBits) - 1;
constexpr unsigned kKeyLengthShift = 40;   // 8 bits
constexpr unsigned kValueLengthShift = 48;  // 16 bits
constexpr std::uint64_t kLargeMark = 0xFF;  // in the key-length bits
constexpr std::size_t kSmallKeyMax = 254;
constexpr std::size_t kSmallValueMax = 1023;  // under 1 KiB: hashed on each read, 150 ns at 100 bytes
constexpr std::size_t kLargeLengthsBytes = 2 * sizeof(std::uint32_t);
constexpr std::size_t kLargePrefixBytes = kLargeLengthsBytes + kSha1Bytes;

inline bool is_small(std::size_t key_bytes, std::size_t value_bytes) {
    return key_bytes <= kSmallKeyMax && value_bytes <= kSmallValueMax;
}

// What an entry counts against the store's byte bound.
inline std::size_t entry_cost(std::size_t key_bytes, std::size_t value_bytes) {
    return key_bytes + value_bytes + MemoryStore::kEntryOverheadBytes +
           (is_small(key_bytes, value_bytes) ? 0 : kLargePrefixBytes);
}

struct Entry {
    Entry* chain_next;  // next entry in the same bucket
    Entry* newer;       // LRU neighbours; null at the shard's ends
    Entry* older;
    std::uint64_t meta;  // expiry | key length | value length, see the top of this file

    bool large() const { return ((meta >> kKeyLengthShift) & 0xFF) == kLargeMark; }
    const char* payload() const { return reinterpret_cast<const char*>(this + 1); }
    char* payload() { return reinterpret_cast<char*>(this + 1); }

    std::size_t key_size() const {
        if (!large()) return (meta >> kKeyLengthShift) & 0xFF;
        std::uint32_t n;
        std::memcpy(&n, payload(), sizeof n);
        return n;
    }
    std::size_t value_size() const {
        if (!large()) return meta >> kValueLengthShift;
        std::uint32_t n;
        std::memcpy(&n, payload() + sizeof n, sizeof n);
        return n;
    }
    std::string_view key() const { return {payload() + (large() ? kLargePrefixBytes : 0), key_size()}; }
    // The value's SHA-1, kept in large entries only (null in small ones).
    const unsigned char* sha1() const {
        return large() ? reinterpret_cast<const unsigned char*>(payload() + kLargeLengthsBytes) : nullptr;
    }
    std::string_view value() const {
        auto k = key();
        return {k.data() + k.size(), value_size()};
    }
    std::uint64_t expiry() const { return meta & kExpiryMask; }  // 0: none
    bool expired(std::uint64_t now_ms) const { return expiry() != 0 && expiry() <= now_ms; }
    std::size_t cost() const { return entry_cost(key_size(), value_size()); }

    // Lays out lengths, digest, key and value; the block holds block_bytes()
    // of them. `key` and `value` must not point into this block; `sha1` is
    // the value's digest, needed when the entry is large (is_small false).
    void write(std::string_view key, std::string_view value, std::uint64_t expiry, const Sha1* sha1) {
        char* out = payload();
        if (is_small(key.size(), value.size())) {
            meta = expiry | (std::uint64_t{key.size()} << kKeyLengthShift) |
                   (std::uint64_t{value.size()} << kValueLengthShift);
        } else {
            meta = expiry | (kLargeMark << kKeyLengthShift);
            const auto k = static_cast<std::uint32_t>(key.size());
            const auto v = static_cast<std::uint32_t>(value.size());
            std::memcpy(out, &k, sizeof k);
            std::memcpy(out + sizeof k, &v, sizeof v);
            BOOST_ASSERT(sha1 != nullptr);
            if (sha1) std::memcpy(out + kLargeLengthsBytes, sha1->data(), kSha1Bytes);
            else std::memset(out + kLargeLengthsBytes, 0, kSha1Bytes);
            out += kLargePrefixBytes;
        }
        if (!key.empty()) std::memcpy(out, key.data(), key.size());
        if (!value.empty()) std::memcpy(out + key.size(), value.data(), value.size());
    }
};
static_assert(sizeof(Entry) == 32, "the header size is the memory budget; see the top of this file");

inline std::size_t block_bytes(std::size_t key_bytes, std::size_t value_bytes) {
    return sizeof(Entry) + (is_small(key_bytes, value_bytes) ? 0 : kLargePrefixBytes) + key_bytes +
           value_bytes;
}

inline Entry* allocate_entry(std::string_view key, std::string_view value, std::uint64_t expiry, const Sha1* sha1) {
    void* block = std::malloc(block_bytes(key.size(), value.size()));
    if (!block) return nullptr;
    auto* e = new (block) Entry{nullptr, nullptr, nullptr, 0};
    e->write(key, value, expiry, sha1);
    return e;
}

// Room malloc's rounding leaves at the end of a block (glibc: under 24 bytes).
inline constexpr std::size_t kInPlaceSlackBytes = 32;

// The block already holds the new value when the length format stays and
// malloc's rounding left room; then a set rewrites instead of reallocating.
// Not when the block is much larger than the new value needs: a key once
// holding a large value would keep its large block for every small value
// after it, memory the store's byte count (and so its bound) does not see.
inline bool fits_in_place(Entry* e, std::size_t key_bytes, std::size_t value_bytes) {
    const std::size_t need = block_bytes(key_bytes, value_bytes);
    const std::size_t have = malloc_usable_size(e);
    return e->large() == !is_small(key_bytes, value_bytes) && have >= need && have - need < kInPlaceSlackBytes;
}

}  // namespace yooni::cache::detail
