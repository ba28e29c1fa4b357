// RESP encoding into the caller's buffer.
#include "yooni/resp/encoder.hpp"

#include "resp/numbers.hpp"

#include <boost/assert.hpp>

#include <charconv>
#include <cmath>
#include <cstring>

namespace yooni::resp {

namespace {

// Enough for a type byte, any 64-bit number and CRLF.
constexpr std::size_t kHeaderBytes = 1 + 20 + 2;

void append_header(std::string& out, char marker, std::uint64_t number) {
    char buf[kHeaderBytes];
    buf[0] = marker;
    char* end = std::to_chars(buf + 1, buf + sizeof buf - 2, number).ptr;
    *end++ = '\r';
    *end++ = '\n';
    out.append(buf, static_cast<std::size_t>(end - buf));
}

std::size_t decimal_digits(std::size_t n) {
    std::size_t digits = 1;
    while (n >= 10) {
        n /= 10;
        ++digits;
    }
    return digits;
}

void append_line(std::string& out, char marker, std::string_view text) {
    BOOST_ASSERT_MSG(text.find_first_of("\r\n") == std::string_view::npos, "RESP line with CR or LF");
    out += marker;
    out += text;
    out += "\r\n";
}

void append_bulk(std::string& out, char marker, std::string_view bytes) {
    append_header(out, marker, bytes.size());
    out += bytes;
    out += "\r\n";
}

template <class Range>
void append_command_range(std::string& out, const Range& args) {
    // One reservation for the whole command; libstdc++ grows geometrically,
    // so pipelining many commands into one buffer stays amortised O(bytes).
    std::size_t bytes = 1 + decimal_digits(args.size()) + 2;
    for (const auto& arg : args) bytes += 1 + decimal_digits(arg.size()) + 2 + arg.size() + 2;
    out.reserve(out.size() + bytes);
    append_header(out, '*', args.size());
    for (const auto& arg : args) append_bulk(out, '$', std::string_view{arg});
}

}  // namespace

void append_command(std::string& out, std::initializer_list<std::string_view> args) {
    append_command_range(out, args);
}

void append_command(std::string& out, std::span<const std::string_view> args) { append_command_range(out, args); }

void append_command(std::string& out, std::span<const std::string> args) { append_command_range(out, args); }

void append_simple_string(std::string& out, std::string_view text) { append_line(out, '+', text); }

void append_simple_error(std::string& out, std::string_view text) { append_line(out, '-', text); }

void append_integer(std::string& out, std::int64_t value) {
    char buf[kHeaderBytes];
    buf[0] = ':';
    char* end = std::to_chars(buf + 1, buf + sizeof buf - 2, value).ptr;
    *end++ = '\r';
    *end++ = '\n';
    out.append(buf, static_cast<std::size_t>(end - buf));
}

void append_bulk_string(std::string& out, std::string_view bytes) { append_bulk(out, '$', bytes); }

void append_bulk_error(std::string& out, std::string_view bytes) { append_bulk(out, '!', bytes); }

void append_verbatim(std::string& out, std::string_view format, std::string_view text) {
    BOOST_ASSERT_MSG(format.size() == 3, "verbatim format is 3 bytes");
    append_header(out, '=', format.size() + 1 + text.size());
    out += format;
    out += ':';
    out += text;
    out += "\r\n";
}

void append_null(std::string& out) { out += "_\r\n"; }

void append_null_bulk(std::string& out) { out += "$-1\r\n"; }

void append_null_array(std::string& out) { out += "*-1\r\n"; }

void append_boolean(std::string& out, bool value) { out += value ? "#t\r\n" : "#f\r\n"; }

void append_double(std::string& out, double value) {
    if (std::isnan(value)) {
        out += ",nan\r\n";
    } else if (std::isinf(value)) {
        out += value > 0 ? ",inf\r\n" : ",-inf\r\n";
    } else {
        char buf[64];
        buf[0] = ',';
        // Shortest text that reads back as the same double.
        char* end = std::to_chars(buf + 1, buf + sizeof buf - 2, value).ptr;
        *end++ = '\r';
        *end++ = '\n';
        out.append(buf, static_cast<std::size_t>(end - buf));
    }
}

void append_double_text(std::string& out, std::string_view text) {
    BOOST_ASSERT_MSG(detail::is_double_text(text), "not a RESP3 double");
    append_line(out, ',', text);
}

void append_big_number(std::string& out, std::string_view digits) {
    BOOST_ASSERT_MSG(detail::is_big_number_text(digits), "not a RESP3 big number");
    append_line(out, '(', digits);
}

void append_array_header(std::string& out, std::size_t count) { append_header(out, '*', count); }

void append_map_header(std::string& out, std::size_t pairs) { append_header(out, '%', pairs); }

void append_set_header(std::string& out, std::size_t count) { append_header(out, '~', count); }

void append_push_header(std::string& out, std::size_t count) { append_header(out, '>', count); }

void append_attribute_header(std::string& out, std::size_t pairs) { append_header(out, '|', pairs); }

void append_node(std::string& out, const Node& node) {
    switch (node.type) {
    case Type::simple_string: append_line(out, '+', node.value); return;
    case Type::simple_error: append_line(out, '-', node.value); return;
    case Type::integer: append_line(out, ':', node.value); return;
    case Type::double_: append_line(out, ',', node.value); return;
    case Type::big_number: append_line(out, '(', node.value); return;
    case Type::boolean: append_line(out, '#', node.value); return;
    case Type::null: append_null(out); return;
    case Type::bulk_string: append_bulk(out, '$', node.value); return;
    case Type::bulk_error: append_bulk(out, '!', node.value); return;
    case Type::verbatim_string: append_bulk(out, '=', node.value); return;
    case Type::array: append_header(out, '*', node.size); return;
    case Type::set: append_header(out, '~', node.size); return;
    case Type::push: append_header(out, '>', node.size); return;
    case Type::map: append_header(out, '%', node.size / 2); return;
    case Type::attribute: append_header(out, '|', node.size / 2); return;
    }
}

void append_reply(std::string& out, const Reply& reply) {
    for (const Node& node : reply.attributes) append_node(out, node);
    for (const Node& node : reply.nodes) append_node(out, node);
}

}  // namespace yooni::resp
