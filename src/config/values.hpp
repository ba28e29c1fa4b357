// Parsers for single setting values: booleans, integers, byte sizes, hosts,
// "host:port" endpoints and lists. They only judge the text; the caller
// names the variable and builds the ConfigError message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace yooni::config::detail {

// A parsed value, or why the text was refused (a phrase that fits after
// "expected ...: ", e.g. "port 0 is out of range").
template <class T>
struct Checked {
    std::optional<T> value;
    std::string problem;

    static Checked ok(T v) { return Checked{std::move(v), {}}; }
    static Checked fail(std::string why) { return Checked{std::nullopt, std::move(why)}; }
    explicit operator bool() const { return value.has_value(); }
};

// pydantic v2's words: true/false 1/0 yes/no on/off t/f y/n, any case,
// surrounding whitespace ignored.
std::optional<bool> parse_bool(std::string_view text);

// Decimal integer with an optional sign, surrounding whitespace ignored;
// nullopt on anything else (hex, "1e3", "1_000", "12abc") or on overflow.
std::optional<std::int64_t> parse_int(std::string_view text);

// A byte count with an optional unit: k m g, kb mb gb, kib mib gib (any
// case, all powers of 1024, as memory limits are meant). nullopt on bad
// syntax or beyond 2^63.
std::optional<std::uint64_t> parse_size_bytes(std::string_view text);

// "256MiB" when exact, else the plain number: the shortest text that
// parse_size_bytes reads back to the same value.
std::string format_size_bytes(std::uint64_t bytes);

bool is_ipv4_literal(std::string_view text);
bool is_ipv6_literal(std::string_view text);  // without brackets
// RFC 1123 names: labels of letters, digits, '-' (and '_', which Docker
// and Compose service names use), 1..63 each, 253 in all.
bool is_host_name(std::string_view text);
// An IPv4 literal, an IPv6 literal (unbracketed) or a host name.
bool is_valid_host(std::string_view text);
// localhost, 127.0.0.0/8, ::1 (also bracketed and IPv4-mapped).
bool is_loopback_host(std::string_view text);

// "host:port" with a mandatory port 1..65535; IPv6 hosts in brackets.
struct Endpoint {
    std::string host;  // brackets removed
    std::uint16_t port = 0;
};
Checked<Endpoint> parse_endpoint(std::string_view text);

// "host:port", IPv6 hosts in brackets: the form parse_endpoint reads back.
std::string format_endpoint(const Endpoint& endpoint);

// REDIS_CLUSTER_ADDRESS_MAP: "announced_host:port=reachable_host:port,..."
// (IPv6 as [::1]:7000). Blanks around entries and empty entries are
// ignored; both sides are checked with parse_endpoint and come back as
// format_endpoint text. An announced address may appear only once.
Checked<std::vector<std::pair<std::string, std::string>>> parse_address_map(std::string_view text);

// A list given either as a JSON array of strings (what pydantic-settings
// requires for list fields) or as comma-separated text (also when it
// starts with a bracketed IPv6 host). Items are trimmed;
// empty comma items are dropped so a trailing comma is harmless.
Checked<std::vector<std::string>> parse_list(std::string_view text);

}  // namespace yooni::config::detail
