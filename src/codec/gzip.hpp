// gzip (RFC 1952) on raw buffers with libdeflate, compressor and decompressor
// state cached per thread (and per level), never allocated per value.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <boost/system/error_code.hpp>

namespace yooni::codec::detail {

// Levels outside libdeflate's 0..12 are clamped into it (libdeflate refuses
// to allocate a compressor for them, and encode has no error path).
int clamp_level(int level);

// Compresses `bytes` into one gzip member written to `out` (overwritten, sized
// to the member). `out` is reused by callers as scratch: its capacity is kept.
void gzip_compress_into(std::string_view bytes, int level, std::string& out);

// Decompresses one or more concatenated members (zero padding between and
// after them is allowed, as Python's gzip.decompress allows) into `out`,
// refusing to produce more than `max_bytes`. On error `out` is unspecified.
boost::system::error_code gzip_decompress_into(std::string_view input, std::size_t max_bytes, std::string& out);

}  // namespace yooni::codec::detail
