// Errors of the resp/ layer: one errc enum as boost::system::error_code, so
// callers test `ec == resp::errc::too_deep` and log `ec.message()`.
//
// Every parse error is a protocol error: the byte stream can no longer be
// trusted and the connection that produced it must be closed. A server's
// error reply (-ERR ..., !...) is NOT one of these: it is a Reply whose root
// is simple_error or bulk_error.
#pragma once

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace yooni::resp {

enum class errc {
    unknown_type = 1,   // first byte of an element is not a RESP2/RESP3 type marker
    bad_length,         // length/count not digits, empty, overflows, or negative other than $-1/*-1
    bulk_too_large,     // declared bulk length above Limits::max_bulk_bytes
    aggregate_too_large,  // declared element count above Limits::max_aggregate_elements
    too_deep,           // more than Limits::max_depth nested aggregates
    line_too_long,      // a line (simple string, error, number, header) above Limits::max_inline_bytes
    missing_crlf,       // CR not followed by LF, bulk payload not followed by CRLF, LF inside a line
    bad_integer,        // ':' value not an integer that fits int64
    bad_double,         // ',' value not a RESP3 double (digits, inf, -inf, nan)
    bad_big_number,     // '(' value not an optional sign followed by digits
    bad_boolean,        // '#' value other than t or f
    bad_null,           // '_' followed by anything but CRLF
    bad_verbatim,       // '=' payload without a 3-byte format and ':' ("txt:")
    streamed_unsupported,  // RESP3 streamed strings/aggregates ($? *?): Redis never sends them
};

const boost::system::error_category& category();
boost::system::error_code make_error_code(errc e);

}  // namespace yooni::resp

template <>
struct boost::system::is_error_code_enum<yooni::resp::errc> : std::true_type {};
