// The incremental RESP parser: a loop over elements that stops wherever the
// bytes stop and resumes there on the next call (state: pos_, line_scan_,
// the awaited bulk and the stack of open aggregates).
#include "yooni/resp/parser.hpp"

#include "resp/numbers.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

namespace yooni::resp {

namespace {

// 19 decimal digits always fit std::uint64_t; a 20th is refused as an
// overflow (every accepted length is far below 10^19 anyway).
constexpr std::size_t kMaxLengthDigits = 19;

}  // namespace

Parser::Parser(Limits limits) : limits_(limits) {}

void Parser::reset() {
    start_reply();
    failure_ = {};
    scanned_bytes_ = 0;
}

void Parser::start_reply() {
    nodes_.clear();
    stack_.clear();
    pos_ = 0;
    line_scan_ = 0;
    open_attributes_ = 0;
    in_bulk_ = false;
    any_attribute_ = false;
    seen_bytes_ = 0;
}

std::size_t Parser::needed_bytes() const {
    if (seen_bytes_ == 0) return 0;
    if (in_bulk_) {
        const std::size_t room = std::numeric_limits<std::size_t>::max() - pos_;
        return bulk_length_ < room - 2 ? pos_ + bulk_length_ + 2 : std::numeric_limits<std::size_t>::max();
    }
    return seen_bytes_ + 1;
}

Parser::Step Parser::fail(errc e) {
    failure_ = make_error_code(e);
    return Step::failed;
}

boost::system::result<std::optional<std::size_t>> Parser::parse(std::string_view input, Reply& out) {
    if (failure_) return failure_;
    const char* data = input.data();
    const std::size_t size = input.size();
    // Contract: the unconsumed bytes only grow while a reply is incomplete.
    // Should a caller break it, parsing from scratch is still safe.
    if (size < seen_bytes_) start_reply();
    if (size == 0) return std::optional<std::size_t>{};
    for (;;) {
        const Step step = in_bulk_ ? parse_bulk_payload(data, size) : parse_element(data, size);
        switch (step) {
        case Step::next: continue;
        case Step::need_more:
            seen_bytes_ = size;
            return std::optional<std::size_t>{};
        case Step::failed: return failure_;
        case Step::complete: {
            build(data, out);
            const std::size_t consumed = pos_;
            start_reply();
            return std::optional<std::size_t>{consumed};
        }
        }
    }
}

Parser::Step Parser::parse_element(const char* data, std::size_t size) {
    if (pos_ >= size) return Step::need_more;
    ++scanned_bytes_;
    switch (data[pos_]) {
    case '$': return parse_bulk_header(data, size, Type::bulk_string);
    case '*': return parse_aggregate_header(data, size, Type::array);
    case ':': return parse_integer(data, size);
    case '+': return parse_line_value(data, size, Type::simple_string);
    case '-': return parse_line_value(data, size, Type::simple_error);
    case '_': return parse_line_value(data, size, Type::null);
    case '#': return parse_line_value(data, size, Type::boolean);
    case ',': return parse_line_value(data, size, Type::double_);
    case '(': return parse_line_value(data, size, Type::big_number);
    case '!': return parse_bulk_header(data, size, Type::bulk_error);
    case '=': return parse_bulk_header(data, size, Type::verbatim_string);
    case '%': return parse_aggregate_header(data, size, Type::map);
    case '~': return parse_aggregate_header(data, size, Type::set);
    case '>': return parse_aggregate_header(data, size, Type::push);
    case '|': return parse_aggregate_header(data, size, Type::attribute);
    default: return fail(errc::unknown_type);
    }
}

Parser::Step Parser::parse_length(const char* data, std::size_t size, bool allow_null, std::uint64_t& value,
                                  bool& is_null, std::size_t& end) {
    // Headers are short (at most 1 + 19 digits + CRLF), so a header cut by
    // the end of the input is simply read again on the next call.
    std::size_t i = pos_ + 1;
    if (i >= size) return Step::need_more;
    is_null = false;
    value = 0;
    if (data[i] == '-') {
        if (!allow_null) return fail(errc::bad_length);
        if (++i >= size) return Step::need_more;
        if (data[i] != '1') return fail(errc::bad_length);
        ++i;
        is_null = true;
    } else if (data[i] == '?') {
        return fail(errc::streamed_unsupported);
    } else {
        const std::size_t first = i;
        for (; i < size && detail::is_digit(data[i]); ++i) {
            if (i - first == kMaxLengthDigits) return fail(errc::bad_length);
            value = value * 10 + static_cast<unsigned>(data[i] - '0');
        }
        if (i < size && i == first) return fail(errc::bad_length);
    }
    if (i >= size) return Step::need_more;
    if (data[i] != '\r') return fail(errc::bad_length);
    if (i + 1 >= size) return Step::need_more;
    if (data[i + 1] != '\n') return fail(errc::missing_crlf);
    end = i + 2;
    scanned_bytes_ += end - pos_ - 1;
    return Step::next;
}

Parser::Step Parser::find_line_end(const char* data, std::size_t size, std::size_t& cr) {
    const std::size_t start = pos_ + 1;
    const std::size_t from = std::max(start, line_scan_);
    if (from < size) {
        const void* hit = std::memchr(data + from, '\r', size - from);
        if (hit != nullptr) {
            cr = static_cast<std::size_t>(static_cast<const char*>(hit) - data);
            scanned_bytes_ += cr + 1 - from;
            if (cr - start > limits_.max_inline_bytes) return fail(errc::line_too_long);
            if (cr + 1 >= size) {
                line_scan_ = cr;  // look at this CR again once its LF may have come
                return Step::need_more;
            }
            if (data[cr + 1] != '\n') return fail(errc::missing_crlf);
            ++scanned_bytes_;
            line_scan_ = 0;
            return Step::next;
        }
        scanned_bytes_ += size - from;
        line_scan_ = size;
    }
    if (size - start > limits_.max_inline_bytes) return fail(errc::line_too_long);
    return Step::need_more;
}

Parser::Step Parser::parse_line_value(const char* data, std::size_t size, Type type) {
    std::size_t cr = 0;
    if (const Step step = find_line_end(data, size, cr); step != Step::next) return step;
    const std::size_t start = pos_ + 1;
    const std::string_view text{data + start, cr - start};
    switch (type) {
    case Type::simple_string:
    case Type::simple_error:
        // The line ends at its first CR; a LF before it is not allowed either.
        scanned_bytes_ += text.size();
        if (std::memchr(text.data(), '\n', text.size()) != nullptr) return fail(errc::missing_crlf);
        break;
    case Type::double_:
        if (!detail::is_double_text(text)) return fail(errc::bad_double);
        break;
    case Type::big_number:
        if (!detail::is_big_number_text(text)) return fail(errc::bad_big_number);
        break;
    case Type::boolean:
        if (text != "t" && text != "f") return fail(errc::bad_boolean);
        break;
    case Type::null:
        if (!text.empty()) return fail(errc::bad_null);
        break;
    default: break;
    }
    add_node(type, start, text.size(), 0);
    pos_ = cr + 2;
    return element_done();
}

Parser::Step Parser::parse_integer(const char* data, std::size_t size) {
    // Read in one pass without searching for the CR first (the most common
    // line type). At most 21 bytes, so a cut integer is simply read again.
    const std::size_t start = pos_ + 1;
    std::int64_t value = 0;
    detail::IntScan scan{};
    const char* stop = detail::scan_int64(data + start, data + size, value, scan);
    const std::size_t cr = static_cast<std::size_t>(stop - data);
    if (scan == detail::IntScan::overflow) return fail(errc::bad_integer);
    if (cr - start > limits_.max_inline_bytes) return fail(errc::line_too_long);
    if (cr >= size) return Step::need_more;
    if (scan != detail::IntScan::ok || data[cr] != '\r') return fail(errc::bad_integer);
    if (cr + 1 >= size) return Step::need_more;
    if (data[cr + 1] != '\n') return fail(errc::missing_crlf);
    scanned_bytes_ += cr + 2 - start;
    add_node(Type::integer, start, cr - start, 0);
    pos_ = cr + 2;
    return element_done();
}

Parser::Step Parser::parse_bulk_header(const char* data, std::size_t size, Type type) {
    std::uint64_t length = 0;
    bool is_null = false;
    std::size_t end = 0;
    const Step step = parse_length(data, size, type == Type::bulk_string, length, is_null, end);
    if (step != Step::next) return step;
    if (is_null) {
        add_node(Type::null, pos_, 0, 0);
        pos_ = end;
        return element_done();
    }
    if (length > limits_.max_bulk_bytes) return fail(errc::bulk_too_large);
    pos_ = end;
    in_bulk_ = true;
    bulk_type_ = type;
    bulk_length_ = static_cast<std::size_t>(length);
    return parse_bulk_payload(data, size);
}

Parser::Step Parser::parse_bulk_payload(const char* data, std::size_t size) {
    // O(1) per call: the payload is never scanned, only its end is awaited.
    const std::size_t available = size - pos_;
    if (available < 2 || available - 2 < bulk_length_) return Step::need_more;
    const std::size_t end = pos_ + bulk_length_;
    scanned_bytes_ += 2;
    if (data[end] != '\r' || data[end + 1] != '\n') return fail(errc::missing_crlf);
    if (bulk_type_ == Type::verbatim_string && (bulk_length_ < 4 || data[pos_ + 3] != ':')) {
        return fail(errc::bad_verbatim);
    }
    add_node(bulk_type_, pos_, bulk_length_, 0);
    pos_ = end + 2;
    in_bulk_ = false;
    return element_done();
}

Parser::Step Parser::parse_aggregate_header(const char* data, std::size_t size, Type type) {
    std::uint64_t count = 0;
    bool is_null = false;
    std::size_t end = 0;
    const Step step = parse_length(data, size, type == Type::array, count, is_null, end);
    if (step != Step::next) return step;
    if (is_null) {
        add_node(Type::null, pos_, 0, 0);
        pos_ = end;
        return element_done();
    }
    const bool pairs = type == Type::map || type == Type::attribute;
    if (count > (pairs ? limits_.max_aggregate_elements / 2 : limits_.max_aggregate_elements)) {
        return fail(errc::aggregate_too_large);
    }
    if (stack_.size() >= limits_.max_depth) return fail(errc::too_deep);
    const std::size_t children = static_cast<std::size_t>(pairs ? count * 2 : count);
    const bool attribute = type == Type::attribute;
    if (attribute) {
        any_attribute_ = true;
        ++open_attributes_;  // so that add_node marks the attribute node itself
    }
    add_node(type, pos_, 0, children);
    pos_ = end;
    if (children == 0) {
        if (!attribute) return element_done();
        --open_attributes_;
        return Step::next;  // an empty attribute: no element yet
    }
    stack_.push_back({children, attribute});
    return Step::next;
}

void Parser::add_node(Type type, std::size_t offset, std::size_t length, std::size_t children) {
    nodes_.push_back({offset, length, children, stack_.size(), type, open_attributes_ > 0});
}

Parser::Step Parser::element_done() {
    while (!stack_.empty()) {
        Frame& top = stack_.back();
        if (--top.remaining != 0) return Step::next;
        const bool attribute = top.attribute;
        stack_.pop_back();
        // An attribute is not an element of its parent: it annotates the
        // element that follows it.
        if (attribute) {
            --open_attributes_;
            return Step::next;
        }
    }
    return Step::complete;
}

void Parser::build(const char* data, Reply& out) const {
    out.attributes.clear();
    if (!any_attribute_) {
        // Overwritten in full; resizing from the previous reply's size (often
        // the same in a pipeline) avoids value-initialising nodes first.
        out.nodes.resize(nodes_.size());
        Node* node = out.nodes.data();
        for (const RawNode& raw : nodes_) {
            *node++ = Node{raw.type, raw.size, raw.depth, std::string_view{data + raw.offset, raw.length}};
        }
        return;
    }
    out.nodes.clear();
    for (const RawNode& raw : nodes_) {
        (raw.in_attribute ? out.attributes : out.nodes)
            .push_back(Node{raw.type, raw.size, raw.depth, std::string_view{data + raw.offset, raw.length}});
    }
}

}  // namespace yooni::resp
