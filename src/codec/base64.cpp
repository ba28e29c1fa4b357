#include "codec/base64.hpp"

#include "yooni/codec/codec.hpp"

#include <array>
#include <cstring>

namespace yooni::codec {
namespace detail {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Two output characters per 12 input bits: halves the lookups of the encoder's
// inner loop compared with one lookup per 6 bits.
constexpr auto kPairs = [] {
    std::array<char, 4096 * 2> t{};
    for (int i = 0; i < 4096; ++i) {
        t[2 * i] = kAlphabet[i >> 6];
        t[2 * i + 1] = kAlphabet[i & 63];
    }
    return t;
}();

constexpr std::uint32_t kInvalid = 0xFFFFFFFFu;

// Sextet value of each character pre-shifted to its place in a 24-bit group,
// one table per place, so a quantum decodes to an OR of four lookups; invalid
// characters set the high byte, which no valid group can have.
template <int Shift>
constexpr auto make_decode_table() {
    std::array<std::uint32_t, 256> t{};
    for (auto& v : t) v = kInvalid;
    for (std::uint32_t i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = i << Shift;
    return t;
}
constexpr auto kDec0 = make_decode_table<18>();
constexpr auto kDec1 = make_decode_table<12>();
constexpr auto kDec2 = make_decode_table<6>();
constexpr auto kDec3 = make_decode_table<0>();

inline std::uint32_t uc(char c) { return static_cast<unsigned char>(c); }

}  // namespace

void base64_encode_to(const unsigned char* in, std::size_t n, char* out) {
    std::size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        const std::uint32_t g = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | in[i + 2];
        std::memcpy(out, &kPairs[2 * (g >> 12)], 2);
        std::memcpy(out + 2, &kPairs[2 * (g & 0xFFF)], 2);
        out += 4;
    }
    if (const std::size_t rest = n - i; rest != 0) {
        const std::uint32_t g = (std::uint32_t{in[i]} << 16) | (rest == 2 ? std::uint32_t{in[i + 1]} << 8 : 0);
        out[0] = kAlphabet[g >> 18];
        out[1] = kAlphabet[(g >> 12) & 63];
        out[2] = rest == 2 ? kAlphabet[(g >> 6) & 63] : '=';
        out[3] = '=';
    }
}

bool base64_decode_to(const char* in, std::size_t n, unsigned char* out, std::size_t* out_bytes) {
    *out_bytes = 0;
    if (n % 4 != 0) return false;
    if (n == 0) return true;
    // Every quantum but the last is full; the last may carry padding.
    const std::size_t full = n - 4;
    unsigned char* o = out;
    for (std::size_t i = 0; i < full; i += 4) {
        const std::uint32_t g = kDec0[uc(in[i])] | kDec1[uc(in[i + 1])] | kDec2[uc(in[i + 2])] | kDec3[uc(in[i + 3])];
        if (g & 0xFF000000u) return false;
        o[0] = static_cast<unsigned char>(g >> 16);
        o[1] = static_cast<unsigned char>(g >> 8);
        o[2] = static_cast<unsigned char>(g);
        o += 3;
    }
    const char* q = in + full;
    std::uint32_t g = kDec0[uc(q[0])] | kDec1[uc(q[1])];
    if (q[3] != '=') {
        g |= kDec2[uc(q[2])] | kDec3[uc(q[3])];
        if (g & 0xFF000000u) return false;
        o[0] = static_cast<unsigned char>(g >> 16);
        o[1] = static_cast<unsigned char>(g >> 8);
        o[2] = static_cast<unsigned char>(g);
        o += 3;
    } else if (q[2] != '=') {  // "xxx=": two bytes, the low 2 bits must be zero
        g |= kDec2[uc(q[2])];
        if ((g & 0xFF000000u) || (g & 0xFF)) return false;
        o[0] = static_cast<unsigned char>(g >> 16);
        o[1] = static_cast<unsigned char>(g >> 8);
        o += 2;
    } else {  // "xx==": one byte, the low 4 bits must be zero
        if ((g & 0xFF000000u) || (g & 0xFFFF)) return false;
        o[0] = static_cast<unsigned char>(g >> 16);
        o += 1;
    }
    *out_bytes = static_cast<std::size_t>(o - out);
    return true;
}

}  // namespace detail

std::string base64_encode(std::string_view bytes) {
    std::string out(detail::base64_encoded_size(bytes.size()), '\0');
    detail::base64_encode_to(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out.data());
    return out;
}

boost::system::result<std::string> base64_decode(std::string_view text) {
    std::string out(detail::base64_decoded_bound(text.size()), '\0');
    std::size_t n = 0;
    if (!detail::base64_decode_to(text.data(), text.size(), reinterpret_cast<unsigned char*>(out.data()), &n))
        return errc::bad_base64;
    out.resize(n);
    return out;
}

}  // namespace yooni::codec
