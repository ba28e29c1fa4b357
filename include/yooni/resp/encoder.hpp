// RESP encoding, appended to a caller's buffer so that many commands can be
// pipelined into one write.
//
// Commands go to the server as a RESP array of bulk strings (any bytes,
// binary safe). Replies of every RESP2/RESP3 type can be encoded too: tests,
// fuzzers and fake servers use them, and append_reply() round-trips what the
// Parser produced.
//
// Text arguments of the reply appenders (simple strings, errors, doubles, big
// numbers, verbatim formats) must be valid for their type (no CR or LF, etc.):
// broken ones are caught by BOOST_ASSERT, not checked at run time.
#pragma once

#include "yooni/resp/reply.hpp"

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace yooni::resp {

// Commands: *<n>\r\n then $<len>\r\n<arg>\r\n per argument.
void append_command(std::string& out, std::initializer_list<std::string_view> args);
void append_command(std::string& out, std::span<const std::string_view> args);
void append_command(std::string& out, std::span<const std::string> args);

// Replies, one element each. Aggregate headers take the count as on the
// wire: elements for array/set/push, PAIRS for map/attribute; the caller then
// appends that many elements (2 per pair).
void append_simple_string(std::string& out, std::string_view text);   // +text
void append_simple_error(std::string& out, std::string_view text);    // -text
void append_integer(std::string& out, std::int64_t value);            // :value
void append_bulk_string(std::string& out, std::string_view bytes);    // $len bytes
void append_bulk_error(std::string& out, std::string_view bytes);     // !len bytes
void append_verbatim(std::string& out, std::string_view format, std::string_view text);  // =len fmt:text; format is 3 bytes
void append_null(std::string& out);                                   // _       (RESP3)
void append_null_bulk(std::string& out);                              // $-1     (RESP2)
void append_null_array(std::string& out);                             // *-1     (RESP2)
void append_boolean(std::string& out, bool value);                    // #t / #f
void append_double(std::string& out, double value);                   // ,value (inf, -inf, nan; shortest round-trip text)
void append_double_text(std::string& out, std::string_view text);     // ,text as given
void append_big_number(std::string& out, std::string_view digits);    // (digits
void append_array_header(std::string& out, std::size_t count);        // *count
void append_map_header(std::string& out, std::size_t pairs);          // %pairs
void append_set_header(std::string& out, std::size_t count);          // ~count
void append_push_header(std::string& out, std::size_t count);         // >count
void append_attribute_header(std::string& out, std::size_t pairs);    // |pairs

// One node as the Parser produced it (aggregates: the header only; a null
// node is written as RESP3 "_").
void append_node(std::string& out, const Node& node);
// A whole reply: its attributes first (all placed before the root, which is
// where Redis sends them), then its nodes.
void append_reply(std::string& out, const Reply& reply);

}  // namespace yooni::resp
