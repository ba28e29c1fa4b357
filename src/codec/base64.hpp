// Base64 (RFC 4648 section 4, standard alphabet, padded) on raw buffers, so
// the codec can write "gzip:" + base64 straight into the stored string with
// no intermediate copy.
#pragma once

#include <cstddef>
#include <cstdint>

namespace yooni::codec::detail {

// Characters produced for `n` input bytes (always a multiple of 4).
constexpr std::size_t base64_encoded_size(std::size_t n) { return (n + 2) / 3 * 4; }

// Writes exactly base64_encoded_size(n) characters to `out`.
void base64_encode_to(const unsigned char* in, std::size_t n, char* out);

// Largest output for `n` characters; the exact size is returned by the decoder.
constexpr std::size_t base64_decoded_bound(std::size_t n) { return n / 4 * 3; }

// Strict decoding: length a multiple of 4, only the 64 alphabet characters,
// '=' only as the last one or two characters, and the unused bits of the last
// quantum zero (so every byte string has exactly one accepted encoding).
// Writes at most base64_decoded_bound(n) bytes; returns false on any violation.
bool base64_decode_to(const char* in, std::size_t n, unsigned char* out, std::size_t* out_bytes);

}  // namespace yooni::codec::detail
