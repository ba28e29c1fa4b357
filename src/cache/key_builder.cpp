// Byte-for-byte json.dumps(value, sort_keys=True, ensure_ascii=False) as
// CPython's json module writes it, so keys built here hit the entries the
// Python system wrote.
#include "yooni/cache/key_builder.hpp"

#include <boost/assert.hpp>
#include <boost/json.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <vector>

namespace yooni::cache {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// Python's py_encode_basestring: only `"`, `\`, the five named escapes and
// other bytes below 0x20 (as \u00xx, lowercase) are escaped; everything else,
// U+007F and all non-ASCII included, is copied as is.
void append_string(std::string& out, std::string_view s) {
    out += '"';
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
            if (c < 0x20) {
                out += "\\u00";
                out += kHexDigits[c >> 4];
                out += kHexDigits[c & 15];
            } else {
                out += ch;
            }
        }
    }
    out += '"';
}

template <class Int>
void append_integer(std::string& out, Int v) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    BOOST_ASSERT(ec == std::errc{});
    out.append(buf, end);
}

// Python's float repr: the shortest digits that round-trip (the same digits
// std::to_chars picks), written in exponent form when the decimal exponent is
// below -4 or at least 16 ("1e-05", "1.5e+300"), else positionally with at
// least one digit after the point ("1.0", "0.0001", "123456789012345.0").
// json.dumps writes the non-finite values as Infinity, -Infinity and NaN.
void append_double(std::string& out, double v) {
    if (std::isnan(v)) {
        out += "NaN";
        return;
    }
    if (std::isinf(v)) {
        out += v < 0 ? "-Infinity" : "Infinity";
        return;
    }
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    BOOST_ASSERT(ec == std::errc{});
    const std::string_view sci{buf, static_cast<std::size_t>(end - buf)};  // [-]d[.ddd]e(+|-)dd[d]

    const auto e_pos = sci.find('e');
    std::string_view mantissa = sci.substr(0, e_pos);
    if (mantissa.front() == '-') {
        out += '-';
        mantissa.remove_prefix(1);
    }
    std::string digits;
    for (char c : mantissa)
        if (c != '.') digits += c;
    int exponent = 0;
    const auto exp_text = sci.substr(e_pos + 1);
    std::from_chars(exp_text.data() + (exp_text.front() == '+' ? 1 : 0), exp_text.data() + exp_text.size(),
                    exponent);

    const int ndigits = static_cast<int>(digits.size());
    if (exponent < -4 || exponent >= 16) {
        out += digits[0];
        if (ndigits > 1) {
            out += '.';
            out.append(digits, 1);
        }
        out += 'e';
        out += exponent < 0 ? '-' : '+';
        const int magnitude = std::abs(exponent);
        if (magnitude < 10) out += '0';
        append_integer(out, magnitude);
        return;
    }
    const int point = exponent + 1;  // digits before the decimal point
    if (point <= 0) {
        out += "0.";
        out.append(static_cast<std::size_t>(-point), '0');
        out += digits;
    } else if (point >= ndigits) {
        out += digits;
        out.append(static_cast<std::size_t>(point - ndigits), '0');
        out += ".0";
    } else {
        out.append(digits, 0, static_cast<std::size_t>(point));
        out += '.';
        out.append(digits, static_cast<std::size_t>(point));
    }
}

void append_value(std::string& out, const boost::json::value& v);

void append_array(std::string& out, const boost::json::array& a) {
    out += '[';
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (i) out += ", ";
        append_value(out, a[i]);
    }
    out += ']';
}

// sort_keys compares str by code point; for UTF-8, byte order is the same
// order (std::string_view compares bytes as unsigned char).
void append_object(std::string& out, const boost::json::object& o) {
    std::vector<const boost::json::key_value_pair*> members;
    members.reserve(o.size());
    for (const auto& kv : o) members.push_back(&kv);
    std::stable_sort(members.begin(), members.end(),
                     [](const auto* a, const auto* b) { return a->key() < b->key(); });
    out += '{';
    for (std::size_t i = 0; i < members.size(); ++i) {
        if (i) out += ", ";
        append_string(out, members[i]->key());
        out += ": ";
        append_value(out, members[i]->value());
    }
    out += '}';
}

void append_value(std::string& out, const boost::json::value& v) {
    switch (v.kind()) {
    case boost::json::kind::null: out += "null"; break;
    case boost::json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case boost::json::kind::int64: append_integer(out, v.get_int64()); break;
    case boost::json::kind::uint64: append_integer(out, v.get_uint64()); break;
    case boost::json::kind::double_: append_double(out, v.get_double()); break;
    case boost::json::kind::string: {
        const auto& s = v.get_string();
        append_string(out, std::string_view{s.data(), s.size()});
        break;
    }
    case boost::json::kind::array: append_array(out, v.get_array()); break;
    case boost::json::kind::object: append_object(out, v.get_object()); break;
    }
}

}  // namespace

std::string python_json_dumps(const boost::json::value& value) {
    std::string out;
    append_value(out, value);
    return out;
}

std::string md5_hex(std::string_view bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    const int ok = EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_md5(), nullptr);
    BOOST_ASSERT(ok == 1);  // MD5 is in OpenSSL's default provider
    (void)ok;
    std::string hex;
    hex.reserve(2 * length);
    for (unsigned int i = 0; i < length; ++i) {
        hex += kHexDigits[digest[i] >> 4];
        hex += kHexDigits[digest[i] & 15];
    }
    return hex;
}

std::string build_key(std::string_view prefix, std::string_view name, const boost::json::array& args,
                      const boost::json::object& kwargs) {
    // {"args": ..., "kwargs": ...} with its keys already in sorted order.
    std::string document = "{\"args\": ";
    append_array(document, args);
    document += ", \"kwargs\": ";
    append_object(document, kwargs);
    document += '}';

    std::string key;
    key.reserve(prefix.size() + name.size() + 1 + 32);
    key.append(prefix);
    key.append(name);
    key += ':';
    key += md5_hex(document);
    return key;
}

}  // namespace yooni::cache
