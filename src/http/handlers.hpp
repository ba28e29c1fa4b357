// The route handlers, called by Api::dispatch after routing and auth.
#pragma once

#include <yooni/http/api.hpp>

#include <boost/asio/awaitable.hpp>

namespace yooni::http::detail {

// Everything a handler may read for one request.
struct Context {
    cache::Cache& cache;
    const ApiOptions& options;
    Request& request;
    const Principal* who;   // null on routes without auth
    bool draining;
    std::chrono::system_clock::time_point started;
    std::atomic<int>* readiness = nullptr;  // /readyz's last answer (Api::readiness_), to log its changes
};

// "2026-11-25T20:31:02.123456+00:00", like Python's datetime.now(timezone.utc).isoformat().
std::string iso_timestamp(std::chrono::system_clock::time_point t);
// Maps a cache error to its HTTP answer (503, 504, 500 ...); a 503 says why,
// naming the nodes tried when the backend knows.
Response cache_error(Context& ctx, const boost::system::error_code& ec);
bool valid_utf8(std::string_view s);
// A strong entity tag of a stored value: its SHA-1 in hex, quoted.
std::string entity_tag(std::string_view stored);
// The same tag from a digest the store kept.
std::string entity_tag(const cache::Sha1& kept);
// If-None-Match: true when `header` matches `etag` (or is "*"): answer 304.
bool none_match_fails(std::string_view header, std::string_view etag);
// Accept-Encoding: whether gzip is acceptable (RFC 9110 12.5.3, q-values).
bool accepts_gzip(std::string_view header);

// {"status":"ready"} 200 or {"status":"not ready"} 503, nothing of the
// backend (public route); why it is not ready goes to the log.
Response readyz(Context& ctx);
// METRICS_TOKEN (metrics.cpp): nullopt when /metrics may be served (no token
// configured, or `Authorization: Bearer <METRICS_TOKEN>`); else the 401.
std::optional<Response> metrics_refused(const Request& request, const std::optional<TokenDigest>& expected);
TokenDigest token_digest(std::string_view token);
Response monitoring_stats(Context& ctx);
Response monitoring_stats_reset(Context& ctx);
boost::asio::awaitable<Response> monitoring_cluster_info(Context& ctx);
Response monitoring_health(Context& ctx);
// GET /dashboard, /dashboard/ and /dashboard/<file>: the embedded dashboard files.
Response dashboard(Context& ctx);

// Key scope (key_scope.cpp): API_KEY_PREFIXES and the token's key_prefixes
// claim. A key is allowed when it starts with one of the configured prefixes
// (any key when none is configured) and, when the token has the claim, with
// one of the token's. Keys are the HTTP keys as given.
bool key_allowed(std::string_view key, const Principal* who, const ApiOptions& options);
bool keys_allowed(const std::vector<std::string>& keys, const Principal* who, const ApiOptions& options);
// A pattern is allowed when every key it can match is: its literal part, up
// to the first glob character (* ? [ \), starts with an allowed prefix.
bool pattern_allowed(std::string_view pattern, const Principal* who, const ApiOptions& options);
// 403 {"detail":"Key outside the allowed prefixes"}.
Response key_outside_prefixes();

boost::asio::awaitable<Response> cache_get(Context& ctx);
boost::asio::awaitable<Response> cache_put(Context& ctx);
boost::asio::awaitable<Response> cache_delete(Context& ctx);
boost::asio::awaitable<Response> cache_delete_pattern(Context& ctx);
boost::asio::awaitable<Response> batch_get(Context& ctx);
boost::asio::awaitable<Response> batch_set(Context& ctx);
boost::asio::awaitable<Response> batch_delete(Context& ctx);

}  // namespace yooni::http::detail
