// The API: routing, bearer auth, roles, and the handlers of the cache API,
// the monitoring API (ORIGINAL-SYSTEM.md), health, /metrics, /openapi.json and
// the dashboard's static files.
// Errors are FastAPI's shapes: {"detail": "..."} and, for 422, a list of
// {"type","loc","msg","input"}.
//
// Threading: handle() may run concurrently on every worker; the Api holds no
// per-request state. Counters are relaxed atomics.
#pragma once

#include <yooni/cache/cache.hpp>
#include <yooni/cache/stats.hpp>
#include <yooni/config/settings.hpp>
#include <yooni/http/jwt.hpp>
#include <yooni/http/message.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/fwd.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace yooni::http {

enum class RouteId : std::size_t {
    livez, readyz, metrics, openapi, dashboard, dashboard_file,
    monitoring_stats, monitoring_stats_reset, monitoring_cluster_info, monitoring_health,
    cache_get, cache_put, cache_delete, cache_delete_pattern,
    batch_get, batch_set, batch_delete,
    not_found,
};
inline constexpr std::size_t kRouteCount = static_cast<std::size_t>(RouteId::not_found) + 1;

struct RouteInfo {
    RouteId id;
    std::string_view method;
    std::string_view path;          // OpenAPI template, e.g. /api/v1/cache/{key}
    std::optional<Role> role;       // nullopt = no auth
};
// Every route the router serves (the OpenAPI document is held against it by a test).
const std::vector<RouteInfo>& routes();
// Whether a route reads a request body (PUT of a key, the batch routes). The
// others are answered 413 and closed when one is declared, before any of it
// is read: public routes too, which no credential guards.
bool takes_body(RouteId route);

// Counters of the HTTP layer, read by /metrics.
struct HttpStats {
    static constexpr std::array<unsigned, 16> kStatuses{200, 304, 400, 401, 403, 404, 405, 408, 412, 413, 422, 431, 500, 503, 504, 0};
    std::array<std::array<std::atomic<std::uint64_t>, kStatuses.size()>, kRouteCount> responses{};
    std::array<cache::LatencyHistogram, kRouteCount> latency;
    std::atomic<std::int64_t> open_connections{0};
    std::atomic<std::uint64_t> accepted_connections{0};
    std::atomic<std::uint64_t> rejected_connections{0};   // over HTTP_MAX_CONNECTIONS
    std::atomic<std::uint64_t> timed_out_connections{0};  // header/body/write/idle deadline
    std::atomic<std::uint64_t> evicted_idle_connections{0};  // idle keep-alive closed near HTTP_MAX_CONNECTIONS
    void count(RouteId route, unsigned status, std::chrono::nanoseconds took);
};

struct ApiOptions {
    std::size_t max_key_bytes = 1024;
    std::size_t max_batch_keys = 1000;
    std::size_t max_response_bytes = 64u << 20;  // batch/get answers larger than this are 413
    // Answers at least this large are gzip-compressed (level 1) for clients
    // that accept gzip; 0 = never. Values stored compressed are passed
    // through as stored whatever this says.
    std::size_t gzip_min_bytes = 1024;
    std::chrono::seconds default_ttl{300};
    // API_KEY_PREFIXES: the cache routes touch only keys starting with one of
    // these (and with one of the token's key_prefixes, when it has the claim);
    // empty = every key.
    std::vector<std::string> key_prefixes;
    config::Secret metrics_token;   // METRICS_TOKEN: /metrics wants it as a bearer token; empty = public
};

// SHA-256 of a bearer credential: METRICS_TOKEN is compared as a digest, in
// constant time, so the time taken says nothing of how much of it matched.
using TokenDigest = std::array<unsigned char, 32>;

// What the header alone decides: the route and who asks. The server asks for
// it before it reads a body, so an unauthorised peer never gets one read,
// buffered or answered with 100 Continue.
struct Admission {
    RouteId route = RouteId::not_found;
    std::optional<Principal> who;
    std::optional<Response> refusal;  // 401, 403, 404 or 405: answer it, read nothing more
    std::chrono::steady_clock::time_point start;
};

class Api {
public:
    Api(cache::Cache& cache, const Authenticator& auth, ApiOptions options);

    // admit() then serve(): the whole request in one call (tests, fuzzing).
    boost::asio::awaitable<Response> handle(Request request);
    // Routing and authentication from the request's header fields (the body,
    // if any, is not looked at). A refusal is counted here.
    Admission admit(const Request& header);
    // The admitted request, body included.
    boost::asio::awaitable<Response> serve(Admission admission, Request request);

    // Readiness: false while draining (SIGTERM) or when the backend is not usable.
    void set_draining() { draining_.store(true, std::memory_order_relaxed); }
    bool draining() const { return draining_.load(std::memory_order_relaxed); }
    HttpStats& http_stats() { return http_stats_; }

    // Route matching alone (for tests): the route and, for cache_*, the decoded key.
    static RouteId match(std::string_view method, std::string_view path, bool* method_mismatch = nullptr);

private:
    boost::asio::awaitable<Response> dispatch(RouteId route, Request& request, const Principal* who);
    void compress_for(const Request& request, Response& response) const;

    cache::Cache& cache_;
    const Authenticator& auth_;
    ApiOptions options_;
    std::optional<TokenDigest> metrics_digest_;  // of METRICS_TOKEN; nullopt = /metrics public
    std::atomic<int> readiness_{-1};             // what /readyz answered last: -1 never, 0 not ready, 1 ready
    std::atomic<bool> draining_{false};
    HttpStats http_stats_;
    std::chrono::system_clock::time_point started_;
};

// Compact JSON text as FastAPI's responses have it: Boost.JSON's output except
// for doubles, written as the shortest round trip in plain notation where
// Python would (0.3821, 12.0) rather than Boost's 3.821E-1.
std::string to_json_text(const boost::json::value& v);

// Helpers shared by handlers (errors.cpp).
Response json_response(unsigned status, std::string body);
Response detail_error(unsigned status, std::string_view detail);
// A FastAPI 422 body with one error. `loc` like {"path","key"}; input is JSON (already serialized).
Response validation_error(std::vector<std::string> loc, std::string_view type, std::string_view msg,
                          std::string_view input_json);

// Percent-decoding of a path segment or query value ('+' kept as is in paths,
// turned into a space in queries). nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space);
// The value of one query parameter, decoded; nullopt when absent.
std::optional<std::string> query_param(std::string_view query, std::string_view name, bool* malformed = nullptr);

// Prometheus text exposition of everything the service counts.
std::string render_metrics(cache::Cache& cache, HttpStats& http, bool ready);

// The OpenAPI 3.1 document.
std::string_view openapi_document();

}  // namespace yooni::http
