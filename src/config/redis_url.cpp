#include "config/redis_url.hpp"

#include "config/text.hpp"

#include <cctype>
#include <limits>

namespace yooni::config::detail {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Lenient like Python's unquote: a '%' not followed by two hex digits stays.
std::string percent_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size()) {
            const int hi = hex_value(text[i + 1]);
            const int lo = hex_value(text[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += text[i];
    }
    return out;
}

std::optional<std::int64_t> parse_db(std::string_view text) {
    const auto n = parse_int(text);
    if (!n || text != trim(text) || text.front() == '+' || *n < 0 ||
        *n > std::numeric_limits<int>::max()) {
        return std::nullopt;
    }
    return n;
}

}  // namespace

Checked<RedisUrl> parse_redis_url(std::string_view text) {
    using Result = Checked<RedisUrl>;
    RedisUrl url;
    const auto separator = text.find("://");
    if (separator == std::string_view::npos) return Result::fail("a URL starting with redis:// or rediss://");
    const auto scheme = to_lower(text.substr(0, separator));
    if (scheme == "rediss") {
        url.tls = true;
    } else if (scheme == "unix") {
        url.unix_socket = true;
    } else if (scheme != "redis") {
        return Result::fail("scheme redis:// or rediss://");
    }
    auto rest = text.substr(separator + 3);
    if (rest.find('#') != std::string_view::npos) {
        return Result::fail("no '#' in the URL (write it as %23 in a password)");
    }
    std::string_view query;
    if (const auto q = rest.find('?'); q != std::string_view::npos) {
        query = rest.substr(q + 1);
        rest = rest.substr(0, q);
    }
    const auto authority_end = rest.find('/');
    auto authority = rest.substr(0, authority_end);
    const auto path = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);

    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        const auto user_info = authority.substr(0, at);
        const auto colon = user_info.find(':');
        url.username = percent_decode(user_info.substr(0, colon));
        if (colon != std::string_view::npos) url.password = percent_decode(user_info.substr(colon + 1));
        authority = authority.substr(at + 1);
    }

    if (url.unix_socket) {
        if (!authority.empty()) return Result::fail("no host in a unix:// URL, e.g. unix:///run/redis.sock");
        if (path.size() < 2) return Result::fail("a socket path, e.g. unix:///run/redis.sock");
        url.socket_path = percent_decode(path);
    } else {
        std::string_view host = authority;
        std::string_view port_text;
        bool has_port = false;
        if (!host.empty() && host.front() == '[') {
            const auto close = host.find(']');
            if (close == std::string_view::npos) return Result::fail("a ']' closing the IPv6 host");
            const auto after = host.substr(close + 1);
            host = host.substr(1, close - 1);
            if (!is_ipv6_literal(host)) return Result::fail("an IPv6 address inside '[...]'");
            if (!after.empty()) {
                if (after.front() != ':') return Result::fail("':port' after ']'");
                port_text = after.substr(1);
                has_port = true;
            }
        } else {
            if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
                port_text = host.substr(colon + 1);
                host = host.substr(0, colon);
                has_port = true;
            }
            if (host.empty()) return Result::fail("a host after redis://");
            if (host.find(':') != std::string_view::npos) {
                return Result::fail("an IPv6 host in brackets, e.g. redis://[::1]:6379");
            }
            if (!is_ipv4_literal(host) && !is_host_name(host)) return Result::fail("a valid host name or address");
        }
        url.host = std::string(host);
        if (has_port) {
            const auto port = parse_int(port_text);
            if (!port || port_text.empty() || port_text != trim(port_text) || *port < 1 || *port > 65535) {
                return Result::fail("a port 1..65535");
            }
            url.port = static_cast<std::uint16_t>(*port);
        }
        if (path.size() > 1) {
            const auto db = parse_db(path.substr(1));
            if (!db) return Result::fail("a database number as the path, e.g. /0");
            url.db = db;
        }
    }

    if (!query.empty()) {
        for (auto parameter : split(query, '&')) {
            if (parameter.empty()) continue;
            const auto eq = parameter.find('=');
            const auto name = parameter.substr(0, eq);
            if (name == "db") {
                const auto value = eq == std::string_view::npos ? std::string_view{} : parameter.substr(eq + 1);
                const auto db = value.empty() ? std::nullopt : parse_db(value);
                if (!db) return Result::fail("?db= as a database number (a non-negative integer)");
                if (!url.db) url.db = db;  // redis-py: the path wins over ?db=
            } else {
                url.ignored_parameters.emplace_back(name);
            }
        }
    }
    return Result::ok(std::move(url));
}

namespace {

// Query parameters that carry credentials (redis-py's from_url reads
// ?password= and ?username=): their values are masked too.
std::string mask_query(std::string text) {
    const auto at = text.rfind("***@");
    const auto q = text.find('?', at == std::string::npos ? 0 : at);
    if (q == std::string::npos) return text;
    std::string out = text.substr(0, q + 1);
    std::string_view rest = std::string_view{text}.substr(q + 1);
    bool first = true;
    while (true) {
        const auto amp = rest.find('&');
        const auto pair = rest.substr(0, amp);
        if (!first) out += '&';
        first = false;
        const auto eq = pair.find('=');
        std::string name{pair.substr(0, eq)};
        std::string lower = name;
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const bool secret = lower.find("pass") != std::string::npos || lower.find("user") != std::string::npos ||
                            lower.find("token") != std::string::npos || lower.find("auth") != std::string::npos ||
                            lower.find("secret") != std::string::npos;
        if (eq == std::string_view::npos) out += pair;
        else out += name + "=" + (secret ? std::string{"***"} : std::string{pair.substr(eq + 1)});
        if (amp == std::string_view::npos) break;
        rest = rest.substr(amp + 1);
    }
    return out;
}

std::string mask_user_info(std::string_view text) {
    const auto at = text.rfind('@');
    if (at == std::string_view::npos) return std::string(text);
    const auto separator = text.find("://");
    if (separator == std::string_view::npos || separator > at) {
        return "***" + std::string(text.substr(at));
    }
    const auto user_start = separator + 3;
    const auto user_info = text.substr(user_start, at - user_start);
    const auto colon = user_info.find(':');
    std::string out(text.substr(0, user_start));
    // A user name without a ':' is most often a password written in the wrong place.
    if (colon != std::string_view::npos && user_info.substr(0, colon).find_first_of("/?#") == std::string_view::npos) {
        out += user_info.substr(0, colon);
        out += ':';
    }
    out += "***";
    out += text.substr(at);
    return out;
}

}  // namespace

std::string mask_redis_url(std::string_view text) { return mask_query(mask_user_info(text)); }

}  // namespace yooni::config::detail
