#include "config/values.hpp"

#include "config/text.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <charconv>
#include <limits>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace yooni::config::detail {
namespace {

constexpr std::uint64_t kKiB = 1024;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

}  // namespace

std::optional<bool> parse_bool(std::string_view text) {
    static constexpr std::array<std::string_view, 6> kTrue{"true", "1", "yes", "on", "t", "y"};
    static constexpr std::array<std::string_view, 6> kFalse{"false", "0", "no", "off", "f", "n"};
    const auto word = trim(text);
    for (auto t : kTrue) {
        if (iequals(word, t)) return true;
    }
    for (auto f : kFalse) {
        if (iequals(word, f)) return false;
    }
    return std::nullopt;
}

std::optional<std::int64_t> parse_int(std::string_view text) {
    auto digits = trim(text);
    // from_chars takes '-' but not '+'; pydantic takes both.
    if (!digits.empty() && digits.front() == '+') {
        digits.remove_prefix(1);
        if (digits.empty() || !is_digit(digits.front())) return std::nullopt;
    }
    if (digits.empty() || !(is_digit(digits.front()) || digits.front() == '-')) return std::nullopt;
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
    return n;
}

std::optional<std::uint64_t> parse_size_bytes(std::string_view text) {
    const auto whole = trim(text);
    std::size_t i = 0;
    while (i < whole.size() && is_digit(whole[i])) ++i;
    if (i == 0) return std::nullopt;
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(whole.data(), whole.data() + i, n);
    if (ec != std::errc{}) return std::nullopt;
    const auto unit = to_lower(trim(whole.substr(i)));  // "512 MiB" is fine too
    std::uint64_t multiplier = 0;
    if (unit.empty() || unit == "b") {
        multiplier = 1;
    } else if (unit == "k" || unit == "kb" || unit == "kib") {
        multiplier = kKiB;
    } else if (unit == "m" || unit == "mb" || unit == "mib") {
        multiplier = kKiB * kKiB;
    } else if (unit == "g" || unit == "gb" || unit == "gib") {
        multiplier = kKiB * kKiB * kKiB;
    } else {
        return std::nullopt;
    }
    if (n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) / multiplier) {
        return std::nullopt;
    }
    return n * multiplier;
}

std::string format_size_bytes(std::uint64_t bytes) {
    constexpr std::uint64_t kGiB = kKiB * kKiB * kKiB;
    constexpr std::uint64_t kMiB = kKiB * kKiB;
    if (bytes != 0 && bytes % kGiB == 0) return std::to_string(bytes / kGiB) + "GiB";
    if (bytes != 0 && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + "MiB";
    if (bytes != 0 && bytes % kKiB == 0) return std::to_string(bytes / kKiB) + "KiB";
    return std::to_string(bytes);
}

bool is_ipv4_literal(std::string_view text) {
    const std::string s(text);
    in_addr out{};
    return inet_pton(AF_INET, s.c_str(), &out) == 1;
}

bool is_ipv6_literal(std::string_view text) {
    const std::string s(text);
    in6_addr out{};
    return inet_pton(AF_INET6, s.c_str(), &out) == 1;
}

bool is_host_name(std::string_view text) {
    if (!text.empty() && text.back() == '.') text.remove_suffix(1);  // fully qualified
    if (text.empty() || text.size() > 253) return false;
    bool all_numeric = true;  // "999.1.1.1" is a bad address, not a name
    std::size_t label_size = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
        const char c = i < text.size() ? text[i] : '.';
        if (c == '.') {
            if (label_size == 0 || label_size > 63) return false;
            if (text[i - 1] == '-' || text[i - label_size] == '-') return false;
            label_size = 0;
            continue;
        }
        if (!(is_alpha(c) || is_digit(c) || c == '-' || c == '_')) return false;
        if (!is_digit(c)) all_numeric = false;
        ++label_size;
    }
    return !all_numeric;
}

bool is_valid_host(std::string_view text) {
    return is_ipv4_literal(text) || is_ipv6_literal(text) || is_host_name(text);
}

bool is_loopback_host(std::string_view text) {
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
        text = text.substr(1, text.size() - 2);
    }
    if (iequals(text, "localhost") || iequals(text, "localhost.")) return true;
    const std::string s(text);
    in_addr v4{};
    if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
        return (ntohl(v4.s_addr) >> 24) == 127;
    }
    in6_addr v6{};
    if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
        return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
    }
    return false;
}

Checked<Endpoint> parse_endpoint(std::string_view text) {
    using Result = Checked<Endpoint>;
    const auto entry = trim(text);
    if (entry.empty()) return Result::fail("an empty entry");
    // Separators people try instead of ',' (a list as one entry otherwise
    // reads as a strange host, e.g. an IPv6 address without brackets).
    for (const char separator : {';', '|'})
        if (entry.find(separator) != std::string_view::npos && entry.front() != '[')
            return Result::fail(std::string{"'"} + separator + "' inside an entry: separate nodes with ',' "
                                "(host:port,host:port) or give a JSON list");
    std::string_view host;
    std::string_view port_text;
    if (entry.front() == '[') {
        const auto close = entry.find(']');
        if (close == std::string_view::npos) return Result::fail("no closing ']' after the IPv6 host");
        host = entry.substr(1, close - 1);
        if (!is_ipv6_literal(host)) return Result::fail("not an IPv6 address inside '[...]'");
        const auto rest = entry.substr(close + 1);
        if (rest.empty() || rest.front() != ':') return Result::fail("no ':port' after ']'");
        port_text = rest.substr(1);
    } else {
        const auto colon = entry.rfind(':');
        if (colon == std::string_view::npos) return Result::fail("no ':port'");
        host = entry.substr(0, colon);
        port_text = entry.substr(colon + 1);
        if (host.find(':') != std::string_view::npos) {
            return Result::fail("an IPv6 host must be in brackets, e.g. [::1]:7000");
        }
        if (host.empty()) return Result::fail("an empty host");
        if (!is_ipv4_literal(host) && !is_host_name(host)) return Result::fail("an invalid host");
    }
    const auto port = parse_int(port_text);
    if (!port || port_text != trim(port_text) || *port < 1 || *port > 65535) {
        return Result::fail("port not an integer 1..65535");
    }
    return Result::ok(Endpoint{std::string(host), static_cast<std::uint16_t>(*port)});
}

std::string format_endpoint(const Endpoint& endpoint) {
    const bool v6 = endpoint.host.find(':') != std::string::npos;
    return (v6 ? "[" + endpoint.host + "]" : endpoint.host) + ":" + std::to_string(endpoint.port);
}

Checked<std::vector<std::pair<std::string, std::string>>> parse_address_map(std::string_view text) {
    using Result = Checked<std::vector<std::pair<std::string, std::string>>>;
    std::vector<std::pair<std::string, std::string>> pairs;
    const auto whole = trim(text);
    if (whole.empty()) return Result::ok(std::move(pairs));
    std::size_t position = 0;
    for (auto entry : split(whole, ',')) {
        if (entry.empty()) continue;
        ++position;
        const auto where = "entry " + std::to_string(position) + " " + quoted(entry) + ": ";
        const auto eq = entry.find('=');
        if (eq == std::string_view::npos) {
            return Result::fail(where + "no '=' between the announced and the reachable address");
        }
        if (entry.find('=', eq + 1) != std::string_view::npos) return Result::fail(where + "more than one '='");
        const auto announced = parse_endpoint(entry.substr(0, eq));
        if (!announced) return Result::fail(where + "announced address: " + announced.problem);
        const auto reachable = parse_endpoint(entry.substr(eq + 1));
        if (!reachable) return Result::fail(where + "reachable address: " + reachable.problem);
        auto from = format_endpoint(*announced.value);
        for (const auto& [seen, to] : pairs) {
            if (seen == from) return Result::fail(where + "announced address " + from + " is mapped twice");
        }
        pairs.emplace_back(std::move(from), format_endpoint(*reachable.value));
    }
    return Result::ok(std::move(pairs));
}

Checked<std::vector<std::string>> parse_list(std::string_view text) {
    using Result = Checked<std::vector<std::string>>;
    const auto whole = trim(text);
    std::vector<std::string> items;
    // JSON when it opens like a JSON array ('[' then '"', ']', '{' or '[');
    // "[::1]:7000,..." is the comma form with a bracketed IPv6 host.
    const auto after_bracket = whole.empty() || whole.front() != '[' ? std::string_view{} : trim(whole.substr(1));
    const bool json_like = !whole.empty() && whole.front() == '[' &&
                           (after_bracket.empty() || after_bracket.front() == '"' || after_bracket.front() == ']' ||
                            after_bracket.front() == '{' || after_bracket.front() == '[');
    if (json_like) {
        boost::system::error_code ec;
        const auto json = boost::json::parse(whole, ec);
        if (ec) return Result::fail("not valid JSON (" + ec.message() + ")");
        if (!json.is_array()) return Result::fail("not a JSON array");
        for (const auto& element : json.get_array()) {
            if (!element.is_string()) return Result::fail("a JSON array with a non-string element");
            const auto& s = element.get_string();
            items.emplace_back(trim(std::string_view(s.data(), s.size())));
        }
        return Result::ok(std::move(items));
    }
    if (whole.empty()) return Result::ok(std::move(items));
    for (auto piece : split(whole, ',')) {
        if (!piece.empty()) items.emplace_back(piece);
    }
    return Result::ok(std::move(items));
}

}  // namespace yooni::config::detail
