// The cache API: one key (GET/PUT/DELETE /api/v1/cache/{key}), many keys
// (POST /api/v1/batch/{get,set,delete}) and delete by pattern
// (DELETE /api/v1/cache?pattern=...). Values are JSON documents; a GET returns
// the stored document as it was written. A key (or a pattern's literal head)
// outside API_KEY_PREFIXES or the token's key_prefixes is refused with 403
// before the cache is asked (key_scope.cpp).
#include "http/handlers.hpp"
#include "http/json_text.hpp"

#include <yooni/cache/glob.hpp>

#include <boost/json.hpp>

#include <boost/json/basic_parser_impl.hpp>

#include <cctype>
#include <charconv>
#include <unordered_set>

namespace yooni::http::detail {

namespace json = boost::json;

bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n;
        std::uint32_t cp;
        if (c < 0x80) { ++i; continue; }
        if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1F; }
        else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0F; }
        else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07; }
        else return false;
        if (i + n >= s.size()) return false;
        for (std::size_t k = 1; k <= n; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return false;
        if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
        i += n + 1;
    }
    return true;
}

namespace {

constexpr std::string_view kCachePrefix = "/api/v1/cache/";
constexpr std::int64_t kMaxTtlSeconds = 10LL * 365 * 24 * 3600;

std::string json_string(std::string_view s) { return json::serialize(json::value(json::string(s))); }

// A key check with FastAPI's messages; nullopt when the key is fine.
std::optional<Response> check_key(std::string_view key, std::size_t max_bytes, std::vector<std::string> loc) {
    if (!valid_utf8(key))
        return validation_error(std::move(loc), "string_unicode",
                                "Input should be a valid string, unable to parse raw data as a unicode string", "null");
    if (key.empty())
        return validation_error(std::move(loc), "string_too_short", "String should have at least 1 character",
                                json_string(key));
    if (key.size() > max_bytes)
        return validation_error(std::move(loc), "string_too_long",
                                "String should have at most " + std::to_string(max_bytes) + " bytes",
                                json_string(key.substr(0, 64)));
    return std::nullopt;
}

// The key of /api/v1/cache/{key}: the rest of the path, percent-decoded.
std::optional<std::string> path_key(Context& ctx, std::optional<Response>& error) {
    auto decoded = percent_decode(std::string_view{ctx.request.path}.substr(kCachePrefix.size()), false);
    if (!decoded) {
        error = validation_error({"path", "key"}, "string_unicode", "Malformed percent-encoding in the key", "null");
        return std::nullopt;
    }
    if (auto bad = check_key(*decoded, ctx.options.max_key_bytes, {"path", "key"})) {
        error = std::move(bad);
        return std::nullopt;
    }
    if (!key_allowed(*decoded, ctx.who, ctx.options)) {
        error = key_outside_prefixes();
        return std::nullopt;
    }
    return decoded;
}

// Parses a TTL in seconds (0 = no expiry) from text or JSON; nullopt = not given.
std::optional<Response> parse_ttl(std::optional<std::string> text, std::vector<std::string> loc,
                                  std::optional<std::chrono::seconds>& out) {
    if (!text) return std::nullopt;
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
    if (ec != std::errc{} || end != text->data() + text->size() || text->empty())
        return validation_error(std::move(loc), "int_parsing",
                                "Input should be a valid integer, unable to parse string as an integer",
                                json_string(*text));
    if (v < 0)
        return validation_error(std::move(loc), "greater_than_equal", "Input should be greater than or equal to 0",
                                std::to_string(v));
    if (v > kMaxTtlSeconds)
        return validation_error(std::move(loc), "less_than_equal",
                                "Input should be less than or equal to " + std::to_string(kMaxTtlSeconds),
                                std::to_string(v));
    out = std::chrono::seconds{v};
    return std::nullopt;
}

std::optional<Response> query_ttl(Context& ctx, std::optional<std::chrono::seconds>& out) {
    bool malformed = false;
    auto text = query_param(ctx.request.query, "ttl", &malformed);
    if (malformed)
        return validation_error({"query", "ttl"}, "int_parsing", "Malformed percent-encoding", "null");
    return parse_ttl(std::move(text), {"query", "ttl"}, out);
}

// A SAX handler that keeps nothing: Boost.JSON's parser then only validates.
struct JsonValidator {
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);
    using ec_t = boost::system::error_code;
    bool on_document_begin(ec_t&) { return true; }
    bool on_document_end(ec_t&) { return true; }
    bool on_array_begin(ec_t&) { return true; }
    bool on_array_end(std::size_t, ec_t&) { return true; }
    bool on_object_begin(ec_t&) { return true; }
    bool on_object_end(std::size_t, ec_t&) { return true; }
    bool on_string_part(json::string_view, std::size_t, ec_t&) { return true; }
    bool on_string(json::string_view, std::size_t, ec_t&) { return true; }
    bool on_key_part(json::string_view, std::size_t, ec_t&) { return true; }
    bool on_key(json::string_view, std::size_t, ec_t&) { return true; }
    bool on_number_part(json::string_view, ec_t&) { return true; }
    bool on_int64(std::int64_t, json::string_view, ec_t&) { return true; }
    bool on_uint64(std::uint64_t, json::string_view, ec_t&) { return true; }
    bool on_double(double, json::string_view, ec_t&) { return true; }
    bool on_bool(bool, ec_t&) { return true; }
    bool on_null(ec_t&) { return true; }
    bool on_comment_part(json::string_view, ec_t&) { return true; }
    bool on_comment(json::string_view, ec_t&) { return true; }
};

json::parse_options strict_json() {
    json::parse_options opt;
    opt.max_depth = 64;
    return opt;
}

// Parses a JSON request body; on failure `error` holds the 422.
std::optional<json::value> parse_body(Context& ctx, std::optional<Response>& error) {
    const auto& body = ctx.request.body;
    if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
        error = validation_error({"body"}, "missing", "Field required", "null");
        return std::nullopt;
    }
    boost::system::error_code ec;
    json::value v = json::parse(body, ec, {}, strict_json());
    if (ec) {
        error = validation_error({"body"}, "json_invalid", "JSON decode error: " + ec.message(), "null");
        return std::nullopt;
    }
    return v;
}

// {"keys": ["k1", ...]} for batch get and delete: valid keys, every one
// within the allowed prefixes (else a 403 for the whole request).
std::optional<std::vector<std::string>> parse_keys(Context& ctx, std::optional<Response>& error) {
    auto body = parse_body(ctx, error);
    if (!body) return std::nullopt;
    const auto* obj = body->if_object();
    const json::value* keys = obj ? obj->if_contains("keys") : nullptr;
    if (!keys || !keys->is_array()) {
        error = validation_error({"body", "keys"}, keys ? "list_type" : "missing",
                                 keys ? "Input should be a valid list" : "Field required", "null");
        return std::nullopt;
    }
    const auto& arr = keys->get_array();
    if (arr.size() > ctx.options.max_batch_keys) {
        error = validation_error({"body", "keys"}, "too_long",
                                 "List should have at most " + std::to_string(ctx.options.max_batch_keys) + " items",
                                 "null");
        return std::nullopt;
    }
    std::vector<std::string> out;
    out.reserve(arr.size());
    for (std::size_t i = 0; i < arr.size(); ++i) {
        const auto* s = arr[i].if_string();
        std::vector<std::string> loc{"body", "keys", std::to_string(i)};
        if (!s) {
            error = validation_error(loc, "string_type", "Input should be a valid string", json::serialize(arr[i]));
            return std::nullopt;
        }
        if (auto bad = check_key(*s, ctx.options.max_key_bytes, loc)) {
            error = std::move(bad);
            return std::nullopt;
        }
        out.emplace_back(*s);
    }
    if (!keys_allowed(out, ctx.who, ctx.options)) {
        error = key_outside_prefixes();
        return std::nullopt;
    }
    return out;
}

// A weight (RFC 9110 12.4.2: "0" or "1" with up to three decimals) is zero.
bool zero_weight(std::string_view params) {
    // params: what follows the coding's ';', e.g. " q=0.5"
    while (!params.empty()) {
        auto semi = params.find(';');
        std::string_view p = params.substr(0, semi);
        params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
        while (!p.empty() && (p.front() == ' ' || p.front() == '\t')) p.remove_prefix(1);
        while (!p.empty() && (p.back() == ' ' || p.back() == '\t')) p.remove_suffix(1);
        if (p.size() < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=') continue;
        const std::string_view value = p.substr(2);
        return value.starts_with('0') && value.find_first_not_of("0.") == std::string_view::npos;
    }
    return false;
}

}  // namespace

std::string entity_tag(std::string_view stored) { return entity_tag(cache::sha1_of(stored)); }
std::string entity_tag(const cache::Sha1& kept) { return "\"" + cache::hex_of(kept) + "\""; }

bool none_match_fails(std::string_view header, std::string_view etag) {
    // RFC 9110 13.1.2: "*" matches any current representation; otherwise a
    // list of entity tags compared weakly (W/ ignored).
    std::size_t at = 0;
    while (at < header.size()) {
        while (at < header.size() && (header[at] == ' ' || header[at] == '\t' || header[at] == ',')) ++at;
        if (at >= header.size()) break;
        if (header[at] == '*') return true;
        if (header.substr(at, 2) == "W/") at += 2;
        if (at >= header.size() || header[at] != '"') return false;  // malformed: no match
        const auto close = header.find('"', at + 1);
        if (close == std::string_view::npos) return false;
        if (header.substr(at, close - at + 1) == etag) return true;
        at = close + 1;
    }
    return false;
}

bool accepts_gzip(std::string_view header) {
    // RFC 9110 12.5.3: codings with optional weights; gzip (or x-gzip) with a
    // weight above 0, or "*" above 0 when gzip is not named.
    std::optional<bool> named;
    std::optional<bool> star;
    while (!header.empty()) {
        const auto comma = header.find(',');
        std::string_view item = header.substr(0, comma);
        header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
        const auto semi = item.find(';');
        std::string_view coding = item.substr(0, semi);
        while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t')) coding.remove_prefix(1);
        while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t')) coding.remove_suffix(1);
        const bool positive = semi == std::string_view::npos || !zero_weight(item.substr(semi + 1));
        std::string lower{coding};
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lower == "gzip" || lower == "x-gzip") named = named.value_or(false) || positive;
        else if (lower == "*") star = positive;
    }
    return named.value_or(star.value_or(false));
}

// If-Match / If-None-Match of a PUT or DELETE as a precondition (RFC 9110
// 13.1.1-2): If-Match: * (the key exists) or strong entity tags; If-None-Match:
// * (create only). Tags that are not this service's (weak, or not 40 hex
// digits) can never match.
std::optional<cache::Precondition> write_precondition(const Request& req, std::optional<Response>& error) {
    cache::Precondition pre;
    auto trim_ows = [](std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
        return s;
    };
    const auto match = trim_ows(req.if_match);
    const auto none_match = trim_ows(req.if_none_match);
    if (!match.empty() && !none_match.empty()) {
        error = detail_error(400, "Give one of If-Match and If-None-Match on a write");
        return std::nullopt;
    }
    if (!none_match.empty()) {
        if (none_match != "*") {
            error = detail_error(400, "If-None-Match on a write takes only * (create only)");
            return std::nullopt;
        }
        pre.kind = cache::Precondition::Kind::absent;
        return pre;
    }
    if (match.empty()) return pre;
    if (match == "*") {
        pre.kind = cache::Precondition::Kind::exists;
        return pre;
    }
    pre.kind = cache::Precondition::Kind::tag;
    std::string_view rest = match;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        const auto item = trim_ows(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        if (item.size() == 42 && item.front() == '"' && item.back() == '"') {
            const auto hex = item.substr(1, 40);
            if (hex.find_first_not_of("0123456789abcdef") == std::string_view::npos) pre.tags.emplace_back(hex);
        }
    }
    return pre;
}

Response precondition_failed() {
    return detail_error(412, "Precondition failed: the key does not hold the value the condition names");
}

namespace {

// Whether `text` is one JSON document (what every value written through this
// API is), checked without building it: batch/get then copies the stored
// bytes into its answer as they are, exactly what GET answers.
bool is_json_document(std::string_view text) {
    json::basic_parser<JsonValidator> parser{strict_json()};
    boost::system::error_code ec;
    const auto n = parser.write_some(false, text.data(), text.size(), ec);
    return !ec && n == text.size() && parser.done();
}

}  // namespace

// GET and HEAD of one key. The answer carries a strong entity tag of the
// stored bytes (the same on every backend and instance, and what Redis's
// redis.sha1hex of the value gives); If-None-Match with it is answered 304.
// A client that accepts gzip gets a value stored compressed as its gzip
// member, not inflated here. A stale copy (stale-if-error: the key's Redis
// node could not answer) says so in Cache-Status (RFC 9211) and Age.
boost::asio::awaitable<Response> cache_get(Context& ctx) {
    std::optional<Response> error;
    auto key = path_key(ctx, error);
    if (error) co_return std::move(*error);
    auto read = co_await ctx.cache.read_stored(std::move(*key), ctx.request.deadline);
    if (!read) co_return cache_error(ctx, read.error());
    auto& stored = read->value;
    if (!stored) co_return detail_error(404, "Key not found");
    const std::string etag = read->sha1 ? entity_tag(*read->sha1) : entity_tag(*stored);
    const auto stale_age = read->stale_age;
    auto representation_headers = [&etag, stale_age](Response& r) {
        r.headers.reserve(r.headers.size() + 5);
        r.headers.emplace_back("ETag", etag);
        r.headers.emplace_back("Vary", "Accept-Encoding");
        // Private (it needs a token), and to be revalidated before each use.
        r.headers.emplace_back("Cache-Control", "private, no-cache");
        if (stale_age) {
            const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(*stale_age).count();
            r.headers.emplace_back("Age", std::to_string(seconds));
            r.headers.emplace_back("Cache-Status", "yooni-cache; fwd=stale; ttl=-" + std::to_string(seconds) +
                                                       "; detail=\"stale-if-error age-ms=" +
                                                       std::to_string(stale_age->count()) + "\"");
        }
    };
    if (!ctx.request.if_none_match.empty() && none_match_fails(ctx.request.if_none_match, etag)) {
        Response r;
        r.status = 304;
        representation_headers(r);
        co_return r;
    }
    if (accepts_gzip(ctx.request.accept_encoding)) {
        if (auto member = ctx.cache.codec().gzip_member(*stored)) {
            Response r = json_response(200, std::move(*member));
            r.headers.emplace_back("Content-Encoding", "gzip");
            representation_headers(r);
            co_return r;
        }
    }
    auto value = ctx.cache.decode_stored(*stored);
    if (!value) co_return cache_error(ctx, value.error());
    // A value another program wrote that is not JSON is answered as a JSON
    // string, as batch/get answers it (the stored bytes and tag unchanged).
    Response r = json_response(200, is_json_document(*value) ? std::move(*value) : json_string(*value));
    representation_headers(r);
    co_return r;
}

boost::asio::awaitable<Response> cache_put(Context& ctx) {
    std::optional<Response> error;
    auto key = path_key(ctx, error);
    if (error) co_return std::move(*error);
    std::optional<std::chrono::seconds> ttl;
    if (auto bad = query_ttl(ctx, ttl)) co_return std::move(*bad);
    auto pre = write_precondition(ctx.request, error);
    if (error) co_return std::move(*error);
    if (!parse_body(ctx, error)) co_return std::move(*error);
    const auto effective_ttl = ttl.value_or(ctx.options.default_ttl);
    auto stored = co_await ctx.cache.set_if(*key, std::move(ctx.request.body), effective_ttl, std::move(*pre),
                                           ctx.request.deadline);
    if (!stored) co_return cache_error(ctx, stored.error());
    if (!*stored) co_return precondition_failed();
    json::object o;
    o["key"] = *key;
    o["stored"] = true;
    o["ttl"] = effective_ttl.count();
    Response r = json_response(200, to_json_text(o));
    r.headers.emplace_back("ETag", "\"" + **stored + "\"");
    co_return r;
}

boost::asio::awaitable<Response> cache_delete(Context& ctx) {
    std::optional<Response> error;
    auto key = path_key(ctx, error);
    if (error) co_return std::move(*error);
    auto pre = write_precondition(ctx.request, error);
    if (error) co_return std::move(*error);
    if (pre->kind == cache::Precondition::Kind::absent)
        co_return detail_error(400, "If-None-Match: * cannot hold for a delete: give If-Match");
    const bool conditional = pre->kind != cache::Precondition::Kind::none;
    auto existed = co_await ctx.cache.del_if(*key, std::move(*pre), ctx.request.deadline);
    if (!existed) co_return cache_error(ctx, existed.error());
    if (!*existed && conditional) co_return precondition_failed();
    json::object o;
    o["key"] = *key;
    o["deleted"] = *existed;
    co_return json_response(200, to_json_text(o));
}

boost::asio::awaitable<Response> cache_delete_pattern(Context& ctx) {
    bool malformed = false;
    auto pattern = query_param(ctx.request.query, "pattern", &malformed);
    if (malformed || !pattern)
        co_return validation_error({"query", "pattern"}, malformed ? "string_unicode" : "missing",
                                   malformed ? "Malformed percent-encoding" : "Field required", "null");
    if (pattern->empty() || pattern->size() > cache::kMaxGlobPatternBytes || !valid_utf8(*pattern))
        co_return validation_error({"query", "pattern"}, "string_too_long",
                                   "Pattern should have 1 to " + std::to_string(cache::kMaxGlobPatternBytes) +
                                       " bytes of UTF-8",
                                   "null");
    if (!pattern_allowed(*pattern, ctx.who, ctx.options)) co_return key_outside_prefixes();
    auto count = co_await ctx.cache.delete_pattern(*pattern, ctx.request.deadline);
    if (!count) co_return cache_error(ctx, count.error());
    json::object o;
    o["pattern"] = *pattern;
    o["deleted"] = *count;
    co_return json_response(200, to_json_text(o));
}


boost::asio::awaitable<Response> batch_get(Context& ctx) {
    std::optional<Response> error;
    auto asked = parse_keys(ctx, error);
    if (!asked) co_return std::move(*error);
    // A key asked for twice is fetched and answered once (the answer is an object).
    std::vector<std::string> keys;
    keys.reserve(asked->size());
    {
        std::unordered_set<std::string_view> seen;
        for (auto& k : *asked)
            if (seen.insert(k).second) keys.push_back(k);
    }
    auto values = co_await ctx.cache.mget(keys, ctx.request.deadline, ctx.options.max_response_bytes);
    if (!values) co_return cache_error(ctx, values.error());

    std::string body = "{\"found\":";
    std::string missing;
    std::size_t found = 0;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        auto& v = (*values)[i];
        if (!v) {
            missing += missing.empty() ? "" : ",";
            missing += json_string(keys[i]);
        }
        else ++found;
    }
    body += std::to_string(found);
    body += ",\"values\":{";
    bool first = true;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        auto& v = (*values)[i];
        if (!v) continue;
        if (!first) body += ',';
        first = false;
        body += json_string(keys[i]);
        body += ':';
        // A value written by another program that is not JSON is answered as a string.
        if (is_json_document(*v)) body += *v;
        else body += json_string(*v);
        v.reset();
        if (body.size() > ctx.options.max_response_bytes)
            co_return cache_error(ctx, make_error_code(cache::errc::over_budget));
    }
    body += "},\"missing\":[";
    body += missing;
    body += "]}";
    co_return json_response(200, std::move(body));
}

boost::asio::awaitable<Response> batch_set(Context& ctx) {
    std::optional<Response> error;
    auto body = parse_body(ctx, error);
    if (!body) co_return std::move(*error);
    const auto* obj = body->if_object();
    const json::value* items = obj ? obj->if_contains("items") : nullptr;
    if (!items || !items->is_array())
        co_return validation_error({"body", "items"}, items ? "list_type" : "missing",
                                   items ? "Input should be a valid list" : "Field required", "null");
    std::optional<std::chrono::seconds> default_ttl;
    if (const auto* t = obj->if_contains("ttl")) {
        if (!t->is_int64() && !t->is_uint64())
            co_return validation_error({"body", "ttl"}, "int_type", "Input should be a valid integer",
                                       json::serialize(*t));
        if (auto bad = parse_ttl(json::serialize(*t), {"body", "ttl"}, default_ttl)) co_return std::move(*bad);
    }
    if (auto q = query_ttl(ctx, default_ttl)) co_return std::move(*q);
    const auto& arr = items->get_array();
    if (arr.size() > ctx.options.max_batch_keys)
        co_return validation_error({"body", "items"}, "too_long",
                                   "List should have at most " + std::to_string(ctx.options.max_batch_keys) +
                                       " items",
                                   "null");
    // Each value is stored as it was written in the body, as PUT stores a
    // body: a round trip through Boost.JSON would rewrite numbers (1e5 as
    // 1e+05, and an integer beyond 64 bits as the nearest double).
    std::optional<std::vector<std::string_view>> written;
    if (const auto items_text = member_text(ctx.request.body, "items")) written = element_texts(*items_text);
    if (written && written->size() != arr.size()) written.reset();
    std::vector<cache::Cache::Item> batch;
    batch.reserve(arr.size());
    for (std::size_t i = 0; i < arr.size(); ++i) {
        const std::string idx = std::to_string(i);
        const auto* item = arr[i].if_object();
        if (!item) co_return validation_error({"body", "items", idx}, "dict_type", "Input should be a valid dictionary", "null");
        const auto* key = item->if_contains("key");
        if (!key || !key->is_string())
            co_return validation_error({"body", "items", idx, "key"}, key ? "string_type" : "missing",
                                       key ? "Input should be a valid string" : "Field required", "null");
        if (auto bad = check_key(key->get_string(), ctx.options.max_key_bytes, {"body", "items", idx, "key"}))
            co_return std::move(*bad);
        const auto* value = item->if_contains("value");
        if (!value) co_return validation_error({"body", "items", idx, "value"}, "missing", "Field required", "null");
        std::optional<std::chrono::seconds> ttl = default_ttl;
        if (const auto* t = item->if_contains("ttl")) {
            if (!t->is_int64() && !t->is_uint64())
                co_return validation_error({"body", "items", idx, "ttl"}, "int_type", "Input should be a valid integer",
                                           json::serialize(*t));
            if (auto bad = parse_ttl(json::serialize(*t), {"body", "items", idx, "ttl"}, ttl)) co_return std::move(*bad);
        }
        const auto as_written = written ? member_text((*written)[i], "value") : std::nullopt;
        batch.push_back({std::string{key->get_string()}, as_written ? std::string{*as_written} : to_json_text(*value),
                         ttl.value_or(ctx.options.default_ttl)});
    }
    for (const auto& item : batch)
        if (!key_allowed(item.key, ctx.who, ctx.options)) co_return key_outside_prefixes();
    const auto n = batch.size();
    auto stored = co_await ctx.cache.mset(std::move(batch), ctx.request.deadline);
    if (!stored) co_return cache_error(ctx, stored.error());
    json::object o;
    o["stored"] = n;
    co_return json_response(200, to_json_text(o));
}

boost::asio::awaitable<Response> batch_delete(Context& ctx) {
    std::optional<Response> error;
    auto keys = parse_keys(ctx, error);
    if (!keys) co_return std::move(*error);
    auto count = co_await ctx.cache.mdel(std::move(*keys), ctx.request.deadline);
    if (!count) co_return cache_error(ctx, count.error());
    json::object o;
    o["deleted"] = *count;
    co_return json_response(200, to_json_text(o));
}

}  // namespace yooni::http::detail
