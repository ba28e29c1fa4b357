#include "yooni/redis/key_slot.hpp"

#include <array>

namespace yooni::redis {
namespace {

constexpr std::uint16_t kPolynomial = 0x1021;

// One entry per value of the high byte: the CRC register after shifting that
// byte through eight times. Built at compile time so there is no start-up
// cost and no table to get out of step with the polynomial.
constexpr std::array<std::uint16_t, 256> make_table() {
    std::array<std::uint16_t, 256> table{};
    for (unsigned byte = 0; byte < 256; ++byte) {
        auto crc = static_cast<std::uint16_t>(byte << 8);
        for (int bit = 0; bit < 8; ++bit) {
            crc = (crc & 0x8000) ? static_cast<std::uint16_t>((crc << 1) ^ kPolynomial)
                                 : static_cast<std::uint16_t>(crc << 1);
        }
        table[byte] = crc;
    }
    return table;
}

constexpr auto kTable = make_table();

}  // namespace

std::uint16_t crc16(std::string_view bytes) {
    std::uint16_t crc = 0;
    for (const char c : bytes) {
        const auto index = static_cast<std::uint8_t>((crc >> 8) ^ static_cast<std::uint8_t>(c));
        crc = static_cast<std::uint16_t>((crc << 8) ^ kTable[index]);
    }
    return crc;
}

std::string_view hash_tag(std::string_view key) {
    const auto open = key.find('{');
    if (open == std::string_view::npos) return key;
    const auto close = key.find('}', open + 1);
    // "{}" (nothing between) or no closing brace: the spec hashes the whole key.
    if (close == std::string_view::npos || close == open + 1) return key;
    return key.substr(open + 1, close - open - 1);
}

std::uint16_t key_slot(std::string_view key) {
    // kSlotCount is a power of two, so the modulo is the low 14 bits.
    return static_cast<std::uint16_t>(crc16(hash_tag(key)) & (kSlotCount - 1));
}

}  // namespace yooni::redis
