// Number texts of RESP: shared by the parser (validation, once per element)
// and Reply's typed accessors (conversion of already validated text).
#pragma once

#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

namespace yooni::resp::detail {

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

enum class IntScan { ok, no_digits, overflow };

// Reads an optional sign and decimal digits from [p, end) into `value`,
// stopping at the first other byte; returns where it stopped. More than 19
// digits, or a value outside int64, is an overflow (refused as soon as seen).
inline const char* scan_int64(const char* p, const char* end, std::int64_t& value, IntScan& scan) {
    bool negative = false;
    if (p != end && (*p == '-' || *p == '+')) negative = *p++ == '-';
    const char* first = p;
    const char* limit = end - p > 19 ? p + 19 : end;
    std::uint64_t magnitude = 0;
    for (; p != limit && is_digit(*p); ++p) magnitude = magnitude * 10 + static_cast<unsigned>(*p - '0');
    if (p != end && p == first + 19 && is_digit(*p)) {
        scan = IntScan::overflow;  // a 20th digit
        return p;
    }
    constexpr std::uint64_t kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (p == first) {
        scan = IntScan::no_digits;
    } else if (magnitude > kMax + (negative ? 1 : 0)) {
        scan = IntScan::overflow;
    } else {
        scan = IntScan::ok;
        // Unsigned negation is modular: -(2^63) comes out as INT64_MIN.
        value = static_cast<std::int64_t>(negative ? 0 - magnitude : magnitude);
    }
    return p;
}

// RESP integer: optional sign, one or more digits, within int64.
inline std::optional<std::int64_t> parse_int64(std::string_view text) {
    std::int64_t value = 0;
    IntScan scan{};
    const char* end = text.data() + text.size();
    if (scan_int64(text.data(), end, value, scan) != end || scan != IntScan::ok) return std::nullopt;
    return value;
}

// Optional sign then one or more digits.
inline bool is_big_number_text(std::string_view text) {
    if (!text.empty() && (text.front() == '+' || text.front() == '-')) text.remove_prefix(1);
    if (text.empty()) return false;
    for (char c : text) {
        if (!is_digit(c)) return false;
    }
    return true;
}

// RESP3 double: [+|-]digits[.digits][(e|E)[+|-]digits], or inf, -inf, nan
// (also +inf). Stricter than from_chars ("infinity", "nan(...)", ".5", "5.").
inline bool is_double_text(std::string_view text) {
    if (text == "inf" || text == "-inf" || text == "+inf" || text == "nan") return true;
    std::size_t i = 0;
    const std::size_t n = text.size();
    auto digits = [&] {
        const std::size_t start = i;
        while (i < n && is_digit(text[i])) ++i;
        return i > start;
    };
    if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
    if (!digits()) return false;
    if (i < n && text[i] == '.') {
        ++i;
        if (!digits()) return false;
    }
    if (i < n && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
        if (!digits()) return false;
    }
    return i == n;
}

// Conversion of a validated double text. Values beyond double's range become
// +-inf (as strtod does) rather than failing.
inline double to_double(std::string_view text) {
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    double value = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec == std::errc::result_out_of_range) {
        // from_chars leaves value untouched when out of range: a negative
        // exponent means too small (0), otherwise too large (inf).
        const bool negative = text.front() == '-';
        const auto e = text.find_first_of("eE");
        const bool tiny = e != std::string_view::npos && e + 1 < text.size() && text[e + 1] == '-';
        const double magnitude = tiny ? 0.0 : std::numeric_limits<double>::infinity();
        return negative ? -magnitude : magnitude;
    }
    return value;
}

}  // namespace yooni::resp::detail
