#include "codec/gzip.hpp"

#include "yooni/codec/codec.hpp"

#include <libdeflate.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <new>

namespace yooni::codec {
namespace detail {
namespace {

constexpr int kMaxLevel = 12;            // libdeflate's highest level
// 10-byte header, the shortest DEFLATE stream (one empty fixed block: 2
// bytes), 8-byte trailer: anything shorter cannot be a member.
constexpr std::size_t kGzipMinMember = 10 + 2 + 8;
// DEFLATE cannot expand more than 1032:1 (a 258-byte match per ~2 bits), so a
// trailer claiming more than this is a lie and must not size the buffer.
constexpr std::size_t kMaxDeflateExpansion = 1032;
constexpr std::size_t kMinOutputGuess = 256;

struct CompressorDeleter {
    void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};
struct DecompressorDeleter {
    void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};

// One compressor per level and thread, allocated on first use and freed at
// thread exit: libdeflate state is not thread-safe and costs hundreds of KB
// to set up, so it is neither shared nor rebuilt per value.
libdeflate_compressor* compressor_for(int level) {
    thread_local std::array<std::unique_ptr<libdeflate_compressor, CompressorDeleter>, kMaxLevel + 1> cache;
    auto& slot = cache[static_cast<std::size_t>(level)];
    if (!slot) {
        slot.reset(libdeflate_alloc_compressor(level));
        if (!slot) throw std::bad_alloc{};  // level is clamped, so only out of memory gets here
    }
    return slot.get();
}

libdeflate_decompressor* decompressor() {
    thread_local std::unique_ptr<libdeflate_decompressor, DecompressorDeleter> cache;
    if (!cache) cache.reset(libdeflate_alloc_decompressor());
    return cache.get();  // null only when out of memory; the caller reports it
}

std::uint32_t load_le32(const char* p) {
    const auto* b = reinterpret_cast<const unsigned char*>(p);
    return std::uint32_t{b[0]} | std::uint32_t{b[1]} << 8 | std::uint32_t{b[2]} << 16 | std::uint32_t{b[3]} << 24;
}

// First output capacity for the members in `rest`: the ISIZE field at the end
// of the input is exact for the common single-member value, but it is written
// by whoever stored the value, so it is only a hint, bounded by what DEFLATE
// can produce from this much input and by the caller's limit.
std::size_t initial_capacity(std::string_view rest, std::size_t limit) {
    std::size_t guess = load_le32(rest.data() + rest.size() - 4);
    const std::size_t plausible = rest.size() * kMaxDeflateExpansion;
    if (guess == 0 || guess > plausible) guess = std::max(rest.size() * 4, kMinOutputGuess);
    return std::min(guess, limit);
}

}  // namespace

int clamp_level(int level) { return std::clamp(level, 0, kMaxLevel); }

void gzip_compress_into(std::string_view bytes, int level, std::string& out) {
    libdeflate_compressor* c = compressor_for(clamp_level(level));
    out.resize(libdeflate_gzip_compress_bound(c, bytes.size()));
    const std::size_t n = libdeflate_gzip_compress(c, bytes.data(), bytes.size(), out.data(), out.size());
    BOOST_ASSERT(n != 0);  // the bound is always enough
    out.resize(n);
}

boost::system::error_code gzip_decompress_into(std::string_view input, std::size_t max_bytes, std::string& out) {
    out.clear();
    if (input.size() < kGzipMinMember) return errc::bad_gzip;  // also: no member at all
    libdeflate_decompressor* d = decompressor();
    if (!d) return make_error_code(boost::system::errc::not_enough_memory);

    std::string_view rest = input;
    std::size_t produced = 0;
    while (!rest.empty()) {
        const std::size_t limit = max_bytes - produced;
        std::size_t capacity = initial_capacity(rest, limit);
        for (;;) {
            out.resize(produced + capacity);
            std::size_t in_used = 0, out_used = 0;
            const auto r = libdeflate_gzip_decompress_ex(d, rest.data(), rest.size(), out.data() + produced,
                                                         capacity, &in_used, &out_used);
            if (r == LIBDEFLATE_SUCCESS) {
                produced += out_used;
                rest.remove_prefix(in_used);
                break;
            }
            if (r != LIBDEFLATE_INSUFFICIENT_SPACE) return errc::bad_gzip;
            if (capacity >= limit) return errc::too_large;
            // Doubling keeps the wasted work of the failed attempts below the
            // final attempt's; the output size is unknown until the end.
            capacity = capacity > limit / 2 ? limit : std::max(capacity * 2, std::min(kMinOutputGuess, limit));
        }
        // Zero padding after a member is allowed (Python's gzip.decompress
        // strips it); anything else must be another complete member.
        const auto nonzero = rest.find_first_not_of('\0');
        rest.remove_prefix(nonzero == std::string_view::npos ? rest.size() : nonzero);
        if (!rest.empty() && rest.size() < kGzipMinMember) return errc::bad_gzip;
    }
    out.resize(produced);
    return {};
}

}  // namespace detail

std::string gzip_compress(std::string_view bytes, int level) {
    std::string out;
    detail::gzip_compress_into(bytes, level, out);
    return out;
}

boost::system::result<std::string> gzip_decompress(std::string_view member, std::size_t max_bytes) {
    std::string out;
    if (auto ec = detail::gzip_decompress_into(member, max_bytes, out)) return ec;
    return out;
}

}  // namespace yooni::codec
