// The monitoring API of the Python system (ORIGINAL-SYSTEM.md), same paths and
// JSON shapes, plus health.
#include <yooni/http/status_json.hpp>
#include "http/handlers.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <ctime>

namespace yooni::http::detail {

std::string iso_timestamp(std::chrono::system_clock::time_point t) {
    const auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t - secs).count();
    const std::time_t tt = std::chrono::system_clock::to_time_t(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lld+00:00", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(micros));
    return buf;
}

Response cache_error(Context& ctx, const boost::system::error_code& ec) {
    if (ec == make_error_code(cache::errc::unavailable)) {
        std::string why = ec.message();
        if (auto last = cache::last_error_of(ctx.cache.backend().status()); !last.empty()) why = std::move(last);
        return detail_error(503, "Cache backend unavailable: " + why);
    }
    if (ec == make_error_code(cache::errc::timeout)) return detail_error(504, "Cache backend timed out");
    if (ec == make_error_code(cache::errc::decode_error))
        return detail_error(500, "Stored value could not be decoded (corrupt data)");
    // Not corrupt, but more than the service ever stores: most likely a
    // compressed value another writer left, which would inflate on every read
    // (the codec stops at the limit).
    if (ec == make_error_code(cache::errc::decoded_too_large))
        return detail_error(500, "Stored value decodes to more than " +
                                     std::to_string(ctx.cache.codec().options().max_decoded_bytes) +
                                     " bytes, the largest value this service stores (HTTP_MAX_BODY_BYTES): not served");
    if (ec == make_error_code(cache::errc::too_large)) return detail_error(413, "Value too large for the cache");
    if (ec == make_error_code(cache::errc::over_budget))
        return detail_error(413, "The values asked for exceed HTTP_MAX_RESPONSE_BYTES (" +
                                     std::to_string(ctx.options.max_response_bytes) + " bytes); ask for fewer keys");
    if (ec == make_error_code(cache::errc::not_replicated))
        return detail_error(503, "Write not confirmed by enough replicas in time (REDIS_WAIT_REPLICAS)");
    return detail_error(502, "Cache backend error: " + ec.message());
}

Response readyz(Context& ctx) {
    // A public route says ready or not and nothing else: the backend's kind,
    // hosts, ports and errors are for the log and for
    // /api/v1/monitoring/health/detailed (role read).
    const bool ready = !ctx.draining && ctx.cache.backend().ready();
    std::string why;
    if (!ready) {
        why = ctx.draining ? std::string{"shutting down"} : cache::last_error_of(ctx.cache.backend().status());
        if (why.empty()) why = "backend not ready";
    }
    const int was = ctx.readiness ? ctx.readiness->exchange(ready ? 1 : 0, std::memory_order_relaxed) : -1;
    if (was != (ready ? 1 : 0)) {
        // Logged when the answer changes (and on the first probe); per probe at debug.
        if (ready) spdlog::info("http.readyz ready=true backend={}", ctx.cache.backend().kind());
        else spdlog::warn("http.readyz ready=false backend={} reason={}", ctx.cache.backend().kind(), why);
    } else if (!ready) {
        spdlog::debug("http.readyz ready=false reason={}", why);
    }
    if (!ready) return json_response(503, R"({"status":"not ready"})");
    return json_response(200, R"({"status":"ready"})");
}

// A monitoring answer with a weak entity tag of its content before the
// fields that change on every call (`stamp` adds them: the time, the
// uptime). A poller that sends the tag back in If-None-Match gets 304
// without a body while the state it shows has not changed; the tag is weak
// because the 200's bytes differ in those fields.
Response conditional_state(Context& ctx, boost::json::object doc, void (*stamp)(Context&, boost::json::object&)) {
    const std::string opaque = entity_tag(to_json_text(doc));
    const std::string etag = "W/" + opaque;
    Response r;
    if (!ctx.request.if_none_match.empty() && none_match_fails(ctx.request.if_none_match, opaque)) {
        r.status = 304;
    } else {
        stamp(ctx, doc);
        r = json_response(200, to_json_text(doc));
    }
    r.headers.emplace_back("ETag", etag);
    r.headers.emplace_back("Cache-Control", "private, no-cache");
    return r;
}

void stamp_time(Context&, boost::json::object& o) { o["timestamp"] = iso_timestamp(std::chrono::system_clock::now()); }

// The near cache's counters (NEAR_CACHE_MAX_BYTES), for the stats API and
// the detailed health.
boost::json::object near_cache_json(const redis::NearCacheStats& near) {
    boost::json::object n;
    n["hits"] = near.hits;
    n["misses"] = near.misses;
    n["fills"] = near.fills;
    n["voided_fills"] = near.voided_fills;
    n["invalidations"] = near.invalidations;
    n["flushes"] = near.flushes;
    n["evictions"] = near.evictions;
    n["coalesced"] = near.coalesced;
    n["orphanings"] = near.orphanings;
    n["stale_answers"] = near.stale_answers;
    n["entries"] = near.entries;
    n["bytes"] = near.bytes;
    n["max_bytes"] = near.max_bytes;
    return n;
}

Response monitoring_stats(Context& ctx) {
    auto o = stats_json(ctx.cache.stats());
    o["backend"] = ctx.cache.backend().kind();
    if (const auto near = ctx.cache.backend().near_cache()) o["near_cache"] = near_cache_json(*near);
    return conditional_state(ctx, std::move(o), &stamp_time);
}

Response monitoring_stats_reset(Context& ctx) {
    ctx.cache.stats().reset();
    boost::json::object o;
    o["message"] = "Cache statistics reset";
    o["timestamp"] = iso_timestamp(std::chrono::system_clock::now());
    return json_response(200, to_json_text(o));
}

boost::asio::awaitable<Response> monitoring_cluster_info(Context& ctx) {
    auto info = co_await ctx.cache.backend().cluster_info(ctx.request.deadline);
    if (!info) co_return cache_error(ctx, info.error());
    auto doc = cluster_info_json(*info);
    // Redis behind Sentinel: no cluster, but the Sentinels' view is the topology.
    const auto status = ctx.cache.backend().status();
    if (std::holds_alternative<redis::SentinelStatus>(status)) {
        doc["message"] = "Cache is running behind Redis Sentinel";
        doc["sentinel"] = status_json(status);
    }
    co_return conditional_state(ctx, std::move(doc), [](Context&, boost::json::object&) {});
}

Response monitoring_health(Context& ctx) {
    auto& backend = ctx.cache.backend();
    const bool connected = backend.ready();
    boost::json::object cache;
    cache["connected"] = connected;
    cache["backend"] = backend.kind();
    cache["details"] = status_json(backend.status());
    if (const auto near = backend.near_cache()) cache["near_cache"] = near_cache_json(*near);
    cache["stats"] = stats_json(ctx.cache.stats());
    boost::json::object o;
    o["status"] = connected && !ctx.draining ? "healthy" : "degraded";
    o["cache"] = std::move(cache);
    return conditional_state(ctx, std::move(o), [](Context& c, boost::json::object& doc) {
        const auto now = std::chrono::system_clock::now();
        doc["timestamp"] = iso_timestamp(now);
        doc["uptime_seconds"] = std::chrono::duration_cast<std::chrono::seconds>(now - c.started).count();
    });
}

}  // namespace yooni::http::detail
