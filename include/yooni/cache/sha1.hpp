// The SHA-1 of a stored value's bytes: its entity tag (HTTP ETag), the same
// on every backend and instance, and what Redis's own redis.sha1hex gives, so
// a compare-and-set script can check it inside Redis.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace yooni::cache {

inline constexpr std::size_t kSha1Bytes = 20;
using Sha1 = std::array<unsigned char, kSha1Bytes>;

// Throws std::runtime_error when OpenSSL offers no SHA-1.
Sha1 sha1_of(std::string_view bytes);
// Lowercase hex, 40 characters.
std::string hex_of(const Sha1& digest);
inline std::string sha1_hex(std::string_view stored) { return hex_of(sha1_of(stored)); }

}  // namespace yooni::cache
