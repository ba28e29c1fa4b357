// Hash slot of a key, as Redis Cluster computes it (cluster spec, "Keys
// distribution model"): CRC16-CCITT (XMODEM variant) of the key, or of its hash
// tag, modulo 16384.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace yooni::redis {

inline constexpr std::uint16_t kSlotCount = 16384;

// CRC16-CCITT, XMODEM variant (polynomial 0x1021, initial value 0, no
// reflection, no final xor): crc16("123456789") == 0x31C3.
std::uint16_t crc16(std::string_view bytes);

// The hash tag rule: if the key has a '{' and, after it, a '}' with at least one
// byte between them, only the bytes between the first '{' and the first '}'
// after it are hashed; otherwise (no tag, or "{}") the whole key is.
std::string_view hash_tag(std::string_view key);

// 0..16383.
std::uint16_t key_slot(std::string_view key);

}  // namespace yooni::redis
