// SipHash, the keyed 64-bit hash of Aumasson and Bernstein ("SipHash: a fast
// short-input PRF", 2012), written from the paper's description.
//
// SipHash-c-d: the 128-bit key k0 | k1 (each read little-endian from 8 key
// bytes) initialises four 64-bit words; each 8-byte little-endian block m of
// the message is XORed into v3, goes through c rounds, and is XORed into v0;
// the last block carries the remaining 0..7 bytes and, in its top byte, the
// message length mod 256. Then v2 ^= 0xff, d rounds, and the hash is
// v0 ^ v1 ^ v2 ^ v3.
//
// The memory store (cache/) and the near cache (redis/) place keys by
// SipHash-1-3 (as Python's str hash and Rust's HashMap do): with a key the
// client cannot learn, it cannot compute keys that share a bucket, which is
// all a table needs against hash flooding. SipHash-2-4 is
// here too because the paper's test vectors are for it.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace yooni::redis::detail {

struct SipKey {
    std::uint64_t k0 = 0;
    std::uint64_t k1 = 0;
};

namespace sip {

inline std::uint64_t load_le64(const unsigned char* p) {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
    return v;
}

// The last 0..7 bytes, little-endian. A switch, not a memcpy of variable
// length: that one is a call into libc, and the hash of a 20-byte key took
// 1.6 times as long with it.
inline std::uint64_t load_tail(const unsigned char* p, std::size_t n) {
    std::uint64_t b = 0;
    switch (n) {
        case 7: b |= std::uint64_t{p[6]} << 48; [[fallthrough]];
        case 6: b |= std::uint64_t{p[5]} << 40; [[fallthrough]];
        case 5: b |= std::uint64_t{p[4]} << 32; [[fallthrough]];
        case 4: b |= std::uint64_t{p[3]} << 24; [[fallthrough]];
        case 3: b |= std::uint64_t{p[2]} << 16; [[fallthrough]];
        case 2: b |= std::uint64_t{p[1]} << 8; [[fallthrough]];
        case 1: b |= std::uint64_t{p[0]};
    }
    return b;
}

struct State {
    std::uint64_t v0, v1, v2, v3;

    void round() {
        v0 += v1;
        v1 = std::rotl(v1, 13);
        v1 ^= v0;
        v0 = std::rotl(v0, 32);
        v2 += v3;
        v3 = std::rotl(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = std::rotl(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = std::rotl(v1, 17);
        v1 ^= v2;
        v2 = std::rotl(v2, 32);
    }

    template <int Rounds>
    void absorb(std::uint64_t m) {
        v3 ^= m;
        for (int i = 0; i < Rounds; ++i) round();
        v0 ^= m;
    }
};

}  // namespace sip

template <int C, int D>
std::uint64_t siphash(SipKey key, std::string_view message) {
    // "somepseudorandomlygeneratedbytes", as four little-endian words.
    sip::State s{key.k0 ^ 0x736f6d6570736575ULL, key.k1 ^ 0x646f72616e646f6dULL, key.k0 ^ 0x6c7967656e657261ULL,
                 key.k1 ^ 0x7465646279746573ULL};
    const auto* p = reinterpret_cast<const unsigned char*>(message.data());
    const std::size_t n = message.size();
    const unsigned char* end = p + (n & ~std::size_t{7});
    for (; p != end; p += 8) s.absorb<C>(sip::load_le64(p));
    s.absorb<C>(sip::load_tail(p, n & 7) | (static_cast<std::uint64_t>(n) << 56));
    s.v2 ^= 0xff;
    for (int i = 0; i < D; ++i) s.round();
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

inline std::uint64_t siphash13(SipKey key, std::string_view message) { return siphash<1, 3>(key, message); }
inline std::uint64_t siphash24(SipKey key, std::string_view message) { return siphash<2, 4>(key, message); }

// The key as the reference reads it from 16 bytes (k0 from the first eight).
inline SipKey sip_key_from_bytes(const unsigned char (&bytes)[16]) {
    return {sip::load_le64(bytes), sip::load_le64(bytes + 8)};
}

}  // namespace yooni::redis::detail
