// Value codec: what a value looks like in the store.
//
// Default (legacy) writes exactly what the Python system wrote: the value as
// is, and at and above the threshold (UTF-8 bytes) "gzip:" + standard base64 of
// a gzip member (RFC 1952). The gzip format writes a raw gzip member instead
// (a third smaller). Compression is kept only when smaller. Reads accept plain,
// raw gzip and "gzip:"+base64 whatever the setting.
//
// Exact round trip for every byte string: a value whose raw bytes would be
// read as encoded (it starts with "gzip:" or the gzip magic 1f 8b) is always
// encoded, whatever its size and even when that makes it larger.
//
// Thread-safe: compressor and decompressor state is kept per thread and
// reused (no per-value allocation of compressor state).
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace yooni::codec {

enum class errc {
    bad_base64 = 1,     // "gzip:" prefix followed by invalid base64
    bad_gzip,           // not a valid gzip member (header, data or CRC/ISIZE trailer)
    too_large,          // decompressed size above the configured limit
};
const boost::system::error_category& category();
boost::system::error_code make_error_code(errc e);

enum class Format { legacy, gzip };

struct Options {
    bool compression_enabled = true;
    std::size_t threshold_bytes = 1024;     // compress at and above this many bytes
    int level = 6;                          // 1..9 (libdeflate accepts up to 12)
    Format format = Format::legacy;
    std::size_t max_decoded_bytes = 512u << 20;  // decode refuses larger outputs
};

// What one encode did, for the compression statistics.
struct EncodeInfo {
    bool compressed = false;
    std::size_t original_bytes = 0;
    std::size_t stored_bytes = 0;
};

class Codec {
public:
    explicit Codec(Options options = {});
    const Options& options() const { return options_; }

    std::string encode(std::string_view value, EncodeInfo* info = nullptr) const;
    boost::system::result<std::string> decode(std::string_view stored) const;
    // The same, refusing (errc::too_large) an output above max_bytes (or above
    // the options' max_decoded_bytes, whichever is lower) without producing it.
    boost::system::result<std::string> decode(std::string_view stored, std::size_t max_bytes) const;
    // The gzip member a stored value holds, without inflating it: the member
    // itself (gzip format), or its base64 undone ("gzip:" legacy format).
    // nullopt for a value stored plain, or a "gzip:" value whose base64 is bad.
    std::optional<std::string> gzip_member(std::string_view stored) const;

private:
    Options options_;
};

// Building blocks, exposed for tests and benchmarks.
std::string base64_encode(std::string_view bytes);
boost::system::result<std::string> base64_decode(std::string_view text);  // strict: padding required, no whitespace
std::string gzip_compress(std::string_view bytes, int level);
boost::system::result<std::string> gzip_decompress(std::string_view member, std::size_t max_bytes);

}  // namespace yooni::codec

template <>
struct boost::system::is_error_code_enum<yooni::codec::errc> : std::true_type {};
