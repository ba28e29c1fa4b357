// Routing, bearer auth and role checks, then the handler of each route.
// Route first (404/405 without auth, as FastAPI does), then auth, then handler.
#include <yooni/http/api.hpp>

#include "http/handlers.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <spdlog/spdlog.h>

namespace yooni::http {

namespace {

constexpr std::string_view kCachePrefix = "/api/v1/cache/";
constexpr std::string_view kDashboardPrefix = "/dashboard/";

}  // namespace

const std::vector<RouteInfo>& routes() {
    static const std::vector<RouteInfo> table{
        {RouteId::livez, "GET", "/livez", std::nullopt},
        {RouteId::readyz, "GET", "/readyz", std::nullopt},
        {RouteId::metrics, "GET", "/metrics", std::nullopt},
        {RouteId::openapi, "GET", "/openapi.json", std::nullopt},
        {RouteId::dashboard, "GET", "/dashboard", std::nullopt},
        {RouteId::dashboard_file, "GET", "/dashboard/{file}", std::nullopt},
        {RouteId::monitoring_stats, "GET", "/api/v1/monitoring/cache/stats", Role::read},
        {RouteId::monitoring_stats_reset, "POST", "/api/v1/monitoring/cache/stats/reset", Role::admin},
        {RouteId::monitoring_cluster_info, "GET", "/api/v1/monitoring/cache/cluster/info", Role::read},
        {RouteId::monitoring_health, "GET", "/api/v1/monitoring/health/detailed", Role::read},
        {RouteId::cache_get, "GET", "/api/v1/cache/{key}", Role::read},
        {RouteId::cache_put, "PUT", "/api/v1/cache/{key}", Role::write},
        {RouteId::cache_delete, "DELETE", "/api/v1/cache/{key}", Role::write},
        {RouteId::cache_delete_pattern, "DELETE", "/api/v1/cache", Role::admin},
        {RouteId::batch_get, "POST", "/api/v1/batch/get", Role::read},
        {RouteId::batch_set, "POST", "/api/v1/batch/set", Role::write},
        {RouteId::batch_delete, "POST", "/api/v1/batch/delete", Role::write},
    };
    return table;
}

bool takes_body(RouteId route) {
    return route == RouteId::cache_put || route == RouteId::batch_get || route == RouteId::batch_set ||
           route == RouteId::batch_delete;
}

RouteId Api::match(std::string_view method, std::string_view path, bool* method_mismatch) {
    bool path_known = false;
    auto check = [&](RouteId id, std::string_view want) {
        path_known = true;
        return method == want ? id : RouteId::not_found;
    };
    RouteId found = RouteId::not_found;
    if (path.starts_with(kCachePrefix) && path.size() > kCachePrefix.size()) {
        path_known = true;
        if (method == "GET") found = RouteId::cache_get;
        else if (method == "PUT") found = RouteId::cache_put;
        else if (method == "DELETE") found = RouteId::cache_delete;
    } else if (path.starts_with(kDashboardPrefix)) {
        // "/dashboard/" is the page itself; "/dashboard/x" one of its files.
        path_known = true;
        if (method == "GET") found = path.size() == kDashboardPrefix.size() ? RouteId::dashboard : RouteId::dashboard_file;
    } else {
        for (const auto& r : routes()) {
            if (r.path != path) continue;
            if (auto id = check(r.id, r.method); id != RouteId::not_found) {
                found = id;
                break;
            }
        }
    }
    if (method_mismatch) *method_mismatch = path_known && found == RouteId::not_found;
    return found;
}

Api::Api(cache::Cache& cache, const Authenticator& auth, ApiOptions options)
    : cache_(cache), auth_(auth), options_(std::move(options)), started_(std::chrono::system_clock::now()) {
    if (!options_.metrics_token.empty()) metrics_digest_ = detail::token_digest(options_.metrics_token.reveal());
}

Admission Api::admit(const Request& header) {
    Admission admission;
    admission.start = std::chrono::steady_clock::now();
    bool method_mismatch = false;
    // HEAD is GET without the body, on every GET route (RFC 9110 9.3.2).
    admission.route = match(header.method == "HEAD" ? std::string_view{"GET"} : std::string_view{header.method},
                            header.path, &method_mismatch);
    if (admission.route == RouteId::not_found) {
        admission.refusal = method_mismatch ? detail_error(405, "Method Not Allowed") : detail_error(404, "Not Found");
    } else if (const auto& info = routes()[static_cast<std::size_t>(admission.route)]; info.role) {
        // Two Authorization headers are ambiguous: refuse rather than pick one.
        std::optional<std::string_view> value;
        const bool ambiguous = header.authorization.size() > 1;
        if (header.authorization.size() == 1) value = header.authorization.front();
        auto principal = ambiguous ? boost::system::result<Principal>{make_error_code(auth_errc::malformed)}
                                   : auth_.authenticate(value, std::chrono::system_clock::now());
        if (!principal) {
            const bool missing = principal.error() == make_error_code(auth_errc::missing);
            admission.refusal = detail_error(401, missing ? "Not authenticated" : "인증 정보를 확인할 수 없습니다");
            admission.refusal->headers.emplace_back("WWW-Authenticate", "Bearer");
            spdlog::debug("http.auth_refused route={} reason={}", info.path, principal.error().message());
        } else if (static_cast<int>(principal->role) < static_cast<int>(*info.role)) {
            admission.refusal = detail_error(403, "Not enough permissions");
        } else {
            admission.who = std::move(*principal);
        }
    }
    if (admission.refusal)
        http_stats_.count(admission.route, admission.refusal->status, std::chrono::steady_clock::now() - admission.start);
    return admission;
}

boost::asio::awaitable<Response> Api::serve(Admission admission, Request request) {
    Response response;
    if (admission.refusal)
        response = std::move(*admission.refusal);  // counted by admit()
    else {
        response = co_await dispatch(admission.route, request, admission.who ? &*admission.who : nullptr);
        http_stats_.count(admission.route, response.status, std::chrono::steady_clock::now() - admission.start);
    }
    compress_for(request, response);
    if (request.method == "HEAD") response.omit_body = true;
    co_return response;
}

// An answer of HTTP_GZIP_MIN_BYTES or more goes gzip-compressed to a client
// that accepts gzip (HEAD included: its Content-Length is the compressed
// GET's). Level 1: on the sample catalogue (bench/codec_bench.cpp,
// answer-gzip rows) it compresses 200 KB 3.3x faster than level 6 for 28%
// more bytes (ratio 0.127 against 0.099), and a 4 KB product in 12 us
// against 23 us. An answer that already has a coding (a value sent as
// stored) is left as it is, and so is one that would not shrink.
void Api::compress_for(const Request& request, Response& response) const {
    if (options_.gzip_min_bytes == 0 || response.status != 200 || response.body.size() < options_.gzip_min_bytes)
        return;
    if (!response.content_type.starts_with("application/json") && !response.content_type.starts_with("text/") &&
        !response.content_type.starts_with("application/javascript"))
        return;
    for (const auto& [name, value] : response.headers)
        if (name == "Content-Encoding") return;
    // Whether it is compressed depends on Accept-Encoding: say so to caches
    // whatever this client asked.
    bool varies = false;
    for (const auto& [name, value] : response.headers) varies = varies || name == "Vary";
    if (!varies) response.headers.emplace_back("Vary", "Accept-Encoding");
    if (!detail::accepts_gzip(request.accept_encoding)) return;
    std::string member = cache::Cache::gzip(response.body, 1);
    if (member.size() >= response.body.size()) return;
    response.body = std::move(member);
    response.headers.emplace_back("Content-Encoding", "gzip");
}

boost::asio::awaitable<Response> Api::handle(Request request) {
    Admission admission = admit(request);
    co_return co_await serve(std::move(admission), std::move(request));
}

boost::asio::awaitable<Response> Api::dispatch(RouteId route, Request& request, const Principal* who) {
    detail::Context ctx{cache_, options_, request, who, draining(), started_, &readiness_};
    switch (route) {
        case RouteId::livez: co_return json_response(200, R"({"status":"ok"})");
        case RouteId::readyz: co_return detail::readyz(ctx);
        case RouteId::metrics: {
            // No role (Prometheus holds no JWT): METRICS_TOKEN, when set, is the credential.
            if (auto refused = detail::metrics_refused(request, metrics_digest_)) co_return std::move(*refused);
            Response r = json_response(200, render_metrics(cache_, http_stats_, !draining() && cache_.backend().ready()));
            r.content_type = "text/plain; version=0.0.4; charset=utf-8";
            co_return r;
        }
        case RouteId::openapi: co_return json_response(200, std::string{openapi_document()});
        case RouteId::dashboard:
        case RouteId::dashboard_file: co_return detail::dashboard(ctx);
        case RouteId::monitoring_stats: co_return detail::monitoring_stats(ctx);
        case RouteId::monitoring_stats_reset: co_return detail::monitoring_stats_reset(ctx);
        case RouteId::monitoring_cluster_info: co_return co_await detail::monitoring_cluster_info(ctx);
        case RouteId::monitoring_health: co_return detail::monitoring_health(ctx);
        case RouteId::cache_get: co_return co_await detail::cache_get(ctx);
        case RouteId::cache_put: co_return co_await detail::cache_put(ctx);
        case RouteId::cache_delete: co_return co_await detail::cache_delete(ctx);
        case RouteId::cache_delete_pattern: co_return co_await detail::cache_delete_pattern(ctx);
        case RouteId::batch_get: co_return co_await detail::batch_get(ctx);
        case RouteId::batch_set: co_return co_await detail::batch_set(ctx);
        case RouteId::batch_delete: co_return co_await detail::batch_delete(ctx);
        case RouteId::not_found: break;
    }
    co_return detail_error(404, "Not Found");
}

}  // namespace yooni::http
