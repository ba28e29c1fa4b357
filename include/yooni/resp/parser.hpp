// Incremental, sans-I/O RESP2/RESP3 reply parser (client side: no inline
// commands). The caller owns the read buffer and the socket; the parser only
// looks at bytes.
//
// Use: append what the socket gave to the buffer, then call parse() with the
// whole unconsumed part. It returns
//   - nullopt: the front reply is incomplete; call again with more bytes
//     (the same bytes first, possibly at another address: the buffer may move);
//   - n: the front n bytes are one complete reply, now in `out`; consume them
//     and call again for the next one (pipelined replies come back to back);
//   - an error: a protocol error. The connection must be closed: the parser
//     stays failed (returns the same error) until reset().
// `out` is written only when a reply completes, never with a partial reply.
//
// Zero copy: out's views point into `input` (see reply.hpp). While a reply is
// incomplete the parser keeps offsets, not pointers, so the buffer may move
// between calls.
//
// Work: linear in the bytes of a reply however they are split. The parser
// resumes where it stopped: a bulk payload whose length is known is never
// scanned (each call checks only whether enough bytes have arrived), and a
// line still without its CRLF is not rescanned.
//
// Limits (Dragonfly's model): every length and count is checked against
// Limits before anything depends on it, because the peer picks them. Nothing
// is reserved from a declared count: nodes are added as their bytes arrive
// (at most one node per 3 input bytes).
//
// Strict: CRLF after every line and bulk payload; lengths and counts are
// digits only (no sign, no spaces) except "-1" for $-1 and *-1 (null);
// integers fit int64; booleans are t or f. Streamed RESP3 types ($?, *?) are
// refused. A top-level RESP3 push (>) is a complete reply of type push;
// attributes (|) go to Reply::attributes.
//
// Threading: none; one Parser per connection.
#pragma once

#include "yooni/resp/error.hpp"
#include "yooni/resp/reply.hpp"

#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace yooni::resp {

struct Limits {
    std::size_t max_bulk_bytes = 512u << 20;         // $ ! = payload length (Redis's proto-max-bulk-len)
    std::size_t max_aggregate_elements = 1u << 24;   // children of one aggregate (2n for a map of n pairs)
    std::size_t max_depth = 32;                      // aggregates nested in one another (attributes count)
    std::size_t max_inline_bytes = 64u << 10;        // one line without its CRLF
};

class Parser {
public:
    explicit Parser(Limits limits = {});

    boost::system::result<std::optional<std::size_t>> parse(std::string_view input, Reply& out);
    // Forgets any partial reply and a failure: ready for a new stream.
    void reset();

    // The input size at which the next parse() can make progress: while a
    // bulk payload is awaited, its end (header + payload + CRLF), so a caller
    // can grow its buffer once for a large value; otherwise one byte more than
    // the partial reply already given. 0 when no reply is in progress.
    std::size_t needed_bytes() const;

    // Bytes examined (type bytes, headers, lines, CRLFs) since construction or
    // reset(): a test hook showing that the work stays linear in the input.
    std::uint64_t scanned_bytes() const { return scanned_bytes_; }

    const Limits& limits() const { return limits_; }

private:
    // A node while its reply is incomplete: an offset into the input instead
    // of a view, because the caller's buffer may move between calls.
    struct RawNode {
        std::size_t offset;
        std::size_t length;
        std::size_t size;
        std::size_t depth;
        Type type;
        bool in_attribute;
    };
    // An aggregate still waiting for children.
    struct Frame {
        std::size_t remaining;
        bool attribute;
    };
    // What one step of parsing did: `next` = an element or header was
    // consumed, go on; `complete` = the reply is complete.
    enum class Step { next, complete, need_more, failed };

    Step parse_element(const char* data, std::size_t size);
    Step parse_line_value(const char* data, std::size_t size, Type type);
    Step parse_integer(const char* data, std::size_t size);
    Step parse_bulk_header(const char* data, std::size_t size, Type type);
    Step parse_bulk_payload(const char* data, std::size_t size);
    Step parse_aggregate_header(const char* data, std::size_t size, Type type);
    // The length or count after the type byte at pos_, up to its CRLF;
    // `end` is the offset after the CRLF. "-1" sets is_null (only when allowed).
    Step parse_length(const char* data, std::size_t size, bool allow_null, std::uint64_t& value,
                      bool& is_null, std::size_t& end);
    // Finds the CR of the line starting at pos_ + 1; resumes at line_scan_.
    Step find_line_end(const char* data, std::size_t size, std::size_t& cr);
    void add_node(Type type, std::size_t offset, std::size_t length, std::size_t children);
    // An element ended: pops the aggregates it completes.
    Step element_done();
    Step fail(errc e);
    void build(const char* data, Reply& out) const;
    void start_reply();

    Limits limits_;
    std::vector<RawNode> nodes_;   // capacity reused from reply to reply
    std::vector<Frame> stack_;
    std::size_t pos_ = 0;          // offset of the first byte not yet parsed
    std::size_t line_scan_ = 0;    // offset already searched for the current line's CR
    std::size_t open_attributes_ = 0;
    bool in_bulk_ = false;         // header parsed, waiting for payload + CRLF
    Type bulk_type_ = Type::bulk_string;
    std::size_t bulk_length_ = 0;  // payload starts at pos_
    bool any_attribute_ = false;   // some node of the reply is in an attribute
    std::size_t seen_bytes_ = 0;   // input size of the last call, while a reply is in progress
    boost::system::error_code failure_;
    std::uint64_t scanned_bytes_ = 0;
};

}  // namespace yooni::resp
