#include "redis/siphash.hpp"

#include <gtest/gtest.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstdint>
#include <string>

namespace yooni::redis::detail {
namespace {

// The reference key of the SipHash paper: bytes 00 01 .. 0f.
SipKey reference_key() {
    unsigned char bytes[16];
    for (int i = 0; i < 16; ++i) bytes[i] = static_cast<unsigned char>(i);
    return sip_key_from_bytes(bytes);
}

// Bytes 00 01 .. n-1, the messages of the reference vectors.
std::string counting_message(std::size_t n) {
    std::string m(n, '\0');
    for (std::size_t i = 0; i < n; ++i) m[i] = static_cast<char>(i);
    return m;
}

TEST(SipHash, KeyBytesAreReadLittleEndian) {
    const SipKey k = reference_key();
    EXPECT_EQ(k.k0, 0x0706050403020100ULL);
    EXPECT_EQ(k.k1, 0x0f0e0d0c0b0a0908ULL);
}

// The paper's appendix: SipHash-2-4, key 00..0f, the 15-byte message 00..0e.
TEST(SipHash, MatchesThePapersWorkedExample) {
    EXPECT_EQ(siphash24(reference_key(), counting_message(15)), 0xa129ca6149be45e5ULL);
}

// The first vector of the reference implementation's table (empty message).
TEST(SipHash, MatchesTheReferenceVectorOfTheEmptyMessage) {
    EXPECT_EQ(siphash24(reference_key(), ""), 0x726fdb47dd0e0e31ULL);
}

// OpenSSL's SipHash MAC (its own implementation, with c and d rounds as
// parameters), 8-byte output read little-endian as the reference prints it.
std::uint64_t openssl_siphash(const unsigned char (&key)[16], std::string_view message, unsigned c, unsigned d) {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "SIPHASH", nullptr);
    EVP_MAC_CTX* ctx = mac ? EVP_MAC_CTX_new(mac) : nullptr;
    std::size_t size = 8;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
                           OSSL_PARAM_construct_uint(OSSL_MAC_PARAM_C_ROUNDS, &c),
                           OSSL_PARAM_construct_uint(OSSL_MAC_PARAM_D_ROUNDS, &d), OSSL_PARAM_construct_end()};
    unsigned char out[8] = {};
    std::size_t n = 0;
    const bool ok = ctx && EVP_MAC_init(ctx, key, sizeof key, params) == 1 &&
                    EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1 &&
                    EVP_MAC_final(ctx, out, &n, sizeof out) == 1 && n == 8;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    if (!ok) ADD_FAILURE() << "OpenSSL's SIPHASH failed";
    return sip::load_le64(out);
}

// Every tail length (0..7 bytes after the blocks) and several block counts,
// for both variants, under the reference key and under another.
TEST(SipHash, AgreesWithOpenSslForEveryLengthUpTo64Bytes) {
    unsigned char other[16];
    for (int i = 0; i < 16; ++i) other[i] = static_cast<unsigned char>(0xf0 - 7 * i);
    unsigned char reference[16];
    for (int i = 0; i < 16; ++i) reference[i] = static_cast<unsigned char>(i);
    for (const auto* key : {&reference, &other}) {
        const SipKey k = sip_key_from_bytes(*key);
        for (std::size_t n = 0; n <= 64; ++n) {
            const std::string m = counting_message(n);
            EXPECT_EQ(siphash24(k, m), openssl_siphash(*key, m, 2, 4)) << "2-4, " << n << " bytes";
            EXPECT_EQ(siphash13(k, m), openssl_siphash(*key, m, 1, 3)) << "1-3, " << n << " bytes";
        }
    }
}

TEST(SipHash, TheKeyChangesTheHash) {
    const std::string m = "product:123";
    EXPECT_NE(siphash13({1, 2}, m), siphash13({1, 3}, m));
    EXPECT_NE(siphash13({1, 2}, m), siphash13({2, 2}, m));
}

}  // namespace
}  // namespace yooni::redis::detail
