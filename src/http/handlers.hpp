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
};

// "2026-11-25T20:31:02.123456+00:00", like Python's datetime.now(timezone.utc).isoformat().
std::string iso_timestamp(std::chrono::system_clock::time_point t);
// Maps a cache error to its HTTP answer (503, 504, 500 ...); a 503 says why,
// naming the nodes tried when the backend knows.
Response cache_error(Context& ctx, const boost::system::error_code& ec);
bool valid_utf8(std::string_view s);

Response readyz(Context& ctx);
Response monitoring_stats(Context& ctx);
Response monitoring_stats_reset(Context& ctx);
boost::asio::awaitable<Response> monitoring_cluster_info(Context& ctx);
Response monitoring_health(Context& ctx);
// GET /dashboard, /dashboard/ and /dashboard/<file>: the embedded dashboard files.
Response dashboard(Context& ctx);

boost::asio::awaitable<Response> cache_get(Context& ctx);
boost::asio::awaitable<Response> cache_put(Context& ctx);
boost::asio::awaitable<Response> cache_delete(Context& ctx);
boost::asio::awaitable<Response> cache_delete_pattern(Context& ctx);
boost::asio::awaitable<Response> batch_get(Context& ctx);
boost::asio::awaitable<Response> batch_set(Context& ctx);
boost::asio::awaitable<Response> batch_delete(Context& ctx);

}  // namespace yooni::http::detail
