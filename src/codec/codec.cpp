#include "yooni/codec/codec.hpp"

#include "codec/base64.hpp"
#include "codec/gzip.hpp"

#include <utility>

namespace yooni::codec {
namespace {

constexpr std::string_view kLegacyPrefix = "gzip:";
constexpr std::string_view kGzipMagic = "\x1f\x8b";
// Scratch buffers are kept per thread to avoid an allocation per value, but
// one huge value must not pin its buffer for the thread's lifetime.
constexpr std::size_t kScratchKeepBytes = 1u << 20;

// Per-thread buffer for the gzip member before it is base64-encoded or copied
// into a stored string of exact size (a compress bound is about the input's
// size, so compressing straight into the result would leave it mostly slack),
// and for the base64-decoded member on the way back.
std::string& scratch() {
    thread_local std::string buffer;
    return buffer;
}

void trim(std::string& buffer) {
    if (buffer.capacity() > kScratchKeepBytes) std::string{}.swap(buffer);
}

// Would the plain bytes of `value` be read back as an encoded value?
bool looks_encoded(std::string_view value) {
    return value.starts_with(kLegacyPrefix) || value.starts_with(kGzipMagic);
}

std::string to_stored(std::string_view member, Format format) {
    if (format == Format::gzip) return std::string{member};
    std::string out(kLegacyPrefix.size() + detail::base64_encoded_size(member.size()), '\0');
    kLegacyPrefix.copy(out.data(), kLegacyPrefix.size());
    detail::base64_encode_to(reinterpret_cast<const unsigned char*>(member.data()), member.size(),
                             out.data() + kLegacyPrefix.size());
    return out;
}

std::size_t stored_size(std::size_t member_bytes, Format format) {
    return format == Format::gzip ? member_bytes : kLegacyPrefix.size() + detail::base64_encoded_size(member_bytes);
}

}  // namespace

Codec::Codec(Options options) : options_{std::move(options)} {}

std::string Codec::encode(std::string_view value, EncodeInfo* info) const {
    const bool forced = looks_encoded(value);
    const bool wanted = options_.compression_enabled && value.size() >= options_.threshold_bytes;
    std::string stored;
    bool compressed = false;
    if (forced || wanted) {
        std::string& member = scratch();
        detail::gzip_compress_into(value, options_.level, member);
        // Unforced compression must pay for itself; forced encoding is what
        // keeps decode unambiguous, whatever it costs.
        if (forced || stored_size(member.size(), options_.format) < value.size()) {
            stored = to_stored(member, options_.format);
            compressed = true;
        }
        trim(member);
    }
    if (!compressed) stored.assign(value);
    if (info) *info = {compressed, value.size(), stored.size()};
    return stored;
}

boost::system::result<std::string> Codec::decode(std::string_view stored) const {
    return decode(stored, options_.max_decoded_bytes);
}

boost::system::result<std::string> Codec::decode(std::string_view stored, std::size_t max_bytes) const {
    max_bytes = std::min(max_bytes, options_.max_decoded_bytes);
    std::string out;
    if (stored.starts_with(kLegacyPrefix)) {
        const std::string_view text = stored.substr(kLegacyPrefix.size());
        std::string& member = scratch();
        member.resize(detail::base64_decoded_bound(text.size()));
        std::size_t n = 0;
        const bool ok =
            detail::base64_decode_to(text.data(), text.size(), reinterpret_cast<unsigned char*>(member.data()), &n);
        member.resize(n);
        boost::system::error_code ec = ok ? detail::gzip_decompress_into(member, max_bytes, out)
                                          : make_error_code(errc::bad_base64);
        trim(member);
        if (ec) return ec;
        return out;
    }
    if (stored.starts_with(kGzipMagic)) {
        if (auto ec = detail::gzip_decompress_into(stored, max_bytes, out)) return ec;
        return out;
    }
    if (stored.size() > max_bytes) return make_error_code(errc::too_large);
    out.assign(stored);
    return out;
}

std::optional<std::string> Codec::gzip_member(std::string_view stored) const {
    if (stored.starts_with(kGzipMagic)) return std::string{stored};
    if (!stored.starts_with(kLegacyPrefix)) return std::nullopt;
    const std::string_view text = stored.substr(kLegacyPrefix.size());
    std::string member(detail::base64_decoded_bound(text.size()), '\0');
    std::size_t n = 0;
    if (!detail::base64_decode_to(text.data(), text.size(), reinterpret_cast<unsigned char*>(member.data()), &n))
        return std::nullopt;
    member.resize(n);
    if (!member.starts_with(kGzipMagic)) return std::nullopt;
    return member;
}

}  // namespace yooni::codec
