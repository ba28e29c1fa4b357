// describe(): the effective settings, one `NAME=value  (source)` line per
// variable in the order of variables(), for `config check` and start-up
// logs. Values print in a form load() reads back; secrets never print.
#include "config/redis_url.hpp"
#include "config/text.hpp"
#include "config/values.hpp"
#include "yooni/config/settings.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <functional>
#include <map>

namespace yooni::config {
namespace {

std::string text(bool value) { return value ? "true" : "false"; }

template <class Number>
std::string text(Number value) {
    return std::to_string(value);
}

std::string comma_list(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += ',';
        out += item;
    }
    return out;
}

// A comma list, or a JSON list when a prefix holds a comma (given in JSON form):
// either way the text load() reads back to the same prefixes.
std::string prefix_list(const std::vector<std::string>& items) {
    const bool comma = std::any_of(items.begin(), items.end(), [](const auto& item) { return item.find(',') != std::string::npos; });
    if (!comma) return comma_list(items);
    boost::json::array array;
    for (const auto& item : items) array.emplace_back(item);
    return boost::json::serialize(array);
}

std::string_view source_text(Source source) {
    switch (source) {
        case Source::default_value: return "default";
        case Source::environment: return "env";
        case Source::dotenv: return ".env";
    }
    return "default";
}

using Formatter = std::function<std::string(const Settings&)>;

// One formatter per variable; a variable without one is a programming
// error that the describe tests catch (every name of variables() is checked).
const std::map<std::string, Formatter, std::less<>>& formatters() {
    static const std::map<std::string, Formatter, std::less<>> kFormatters{
        {"REDIS_CLUSTER_ENABLED", [](const Settings& s) { return text(s.redis.cluster_enabled); }},
        {"REDIS_CLUSTER_NODES", [](const Settings& s) { return comma_list(s.redis.cluster_nodes); }},
        {"REDIS_CLUSTER_PASSWORD", [](const Settings& s) { return s.redis.cluster_password.masked(); }},
        {"REDIS_SENTINEL_NODES", [](const Settings& s) { return comma_list(s.redis.sentinel_nodes); }},
        {"REDIS_SENTINEL_MASTER", [](const Settings& s) { return s.redis.sentinel_master; }},
        {"REDIS_SENTINEL_PASSWORD", [](const Settings& s) { return s.redis.sentinel_password.masked(); }},
        {"REDIS_SENTINEL_USERNAME", [](const Settings& s) { return s.redis.sentinel_username; }},
        {"REDIS_URL", [](const Settings& s) { return s.redis.url ? detail::mask_redis_url(*s.redis.url) : ""; }},
        {"REDIS_HOST", [](const Settings& s) { return s.redis.host; }},
        {"REDIS_PORT", [](const Settings& s) { return text(s.redis.port); }},
        {"REDIS_DB", [](const Settings& s) { return text(s.redis.db); }},
        {"REDIS_PASSWORD", [](const Settings& s) { return s.redis.password.masked(); }},
        {"REDIS_SSL", [](const Settings& s) { return text(s.redis.ssl); }},
        {"REDIS_POOL_SIZE", [](const Settings& s) { return text(s.redis.pool_size); }},
        {"REDIS_FALLBACK_TO_MEMORY", [](const Settings& s) { return text(s.redis.fallback_to_memory); }},
        {"REDIS_CLUSTER_USERNAME", [](const Settings& s) { return s.redis.cluster_username; }},
        {"REDIS_TLS_CA_FILE", [](const Settings& s) { return s.redis.tls_ca_file; }},
        {"REDIS_TLS_SERVER_NAME", [](const Settings& s) { return s.redis.tls_server_name; }},
        {"REDIS_CLUSTER_ADDRESS_MAP",
         [](const Settings& s) {
             std::vector<std::string> entries;
             for (const auto& [announced, reachable] : s.redis.address_map) entries.push_back(announced + "=" + reachable);
             return comma_list(entries);
         }},
        {"REDIS_READ_FROM_REPLICAS", [](const Settings& s) { return text(s.redis.read_from_replicas); }},
        {"REDIS_CONNECT_TIMEOUT_MS", [](const Settings& s) { return text(s.redis.connect_timeout.count()); }},
        {"REDIS_TCP_USER_TIMEOUT_MS", [](const Settings& s) { return text(s.redis.tcp_user_timeout.count()); }},
        {"REDIS_CLUSTER_REFRESH_INTERVAL_MS", [](const Settings& s) { return text(s.redis.refresh_interval.count()); }},
        {"REDIS_WAIT_REPLICAS", [](const Settings& s) { return text(s.redis.wait_replicas); }},
        {"REDIS_WAIT_TIMEOUT_MS", [](const Settings& s) { return text(s.redis.wait_timeout.count()); }},
        {"NEAR_CACHE_MAX_BYTES", [](const Settings& s) { return text(s.redis.near_cache_max_bytes); }},
        {"NEAR_CACHE_TTL_MS", [](const Settings& s) { return text(s.redis.near_cache_ttl.count()); }},
        {"NEAR_CACHE_STALE_IF_ERROR_MS", [](const Settings& s) { return text(s.redis.near_cache_stale_if_error.count()); }},
        {"CACHE_TTL_SECONDS", [](const Settings& s) { return text(s.cache.ttl.count()); }},
        {"CACHE_KEY_PREFIX", [](const Settings& s) { return s.cache.key_prefix; }},
        {"CACHE_COMPRESSION_ENABLED", [](const Settings& s) { return text(s.cache.compression_enabled); }},
        {"CACHE_COMPRESSION_THRESHOLD", [](const Settings& s) { return text(s.cache.compression_threshold_bytes); }},
        {"CACHE_COMPRESSION_LEVEL", [](const Settings& s) { return text(s.cache.compression_level); }},
        {"CACHE_VALUE_FORMAT",
         [](const Settings& s) { return std::string(s.cache.value_format == ValueFormat::gzip ? "gzip" : "legacy"); }},
        {"CACHE_MEMORY_MAX_BYTES", [](const Settings& s) { return detail::format_size_bytes(s.cache.memory_max_bytes); }},
        {"SECRET_KEY", [](const Settings& s) { return s.auth.secret_key.masked(); }},
        {"API_TOKENS", [](const Settings& s) { return s.auth.static_tokens.empty() ? "" : std::string("***"); }},
        {"AUTH_ADMIN_SUBJECTS", [](const Settings& s) { return comma_list(s.auth.admin_subjects); }},
        {"AUTH_DEFAULT_ROLE", [](const Settings& s) { return std::string(to_string(s.auth.default_role)); }},
        {"AUTH_AUDIENCE", [](const Settings& s) { return s.auth.audience; }},
        {"AUTH_ISSUER", [](const Settings& s) { return s.auth.issuer; }},
        {"AUTH_LEEWAY_SECONDS", [](const Settings& s) { return text(s.auth.leeway.count()); }},
        {"API_KEY_PREFIXES", [](const Settings& s) { return prefix_list(s.auth.key_prefixes); }},
        {"METRICS_TOKEN", [](const Settings& s) { return s.auth.metrics_token.masked(); }},
        {"HOST", [](const Settings& s) { return s.http.host; }},
        {"PORT", [](const Settings& s) { return text(s.http.port); }},
        {"WORKER_THREADS", [](const Settings& s) { return text(s.http.worker_threads); }},
        {"HTTP_MAX_CONNECTIONS", [](const Settings& s) { return text(s.http.max_connections); }},
        {"HTTP_MAX_HEADER_BYTES", [](const Settings& s) { return text(s.http.max_header_bytes); }},
        {"HTTP_MAX_BODY_BYTES", [](const Settings& s) { return text(s.http.max_body_bytes); }},
        {"HTTP_MAX_RESPONSE_BYTES", [](const Settings& s) { return text(s.http.max_response_bytes); }},
        {"HTTP_GZIP_MIN_BYTES", [](const Settings& s) { return text(s.http.gzip_min_bytes); }},
        {"CACHE_MAX_KEY_BYTES", [](const Settings& s) { return text(s.http.max_key_bytes); }},
        {"HTTP_MAX_BATCH_KEYS", [](const Settings& s) { return text(s.http.max_batch_keys); }},
        {"HTTP_HEADER_TIMEOUT_MS", [](const Settings& s) { return text(s.http.header_timeout.count()); }},
        {"HTTP_BODY_TIMEOUT_MS", [](const Settings& s) { return text(s.http.body_timeout.count()); }},
        {"HTTP_WRITE_TIMEOUT_MS", [](const Settings& s) { return text(s.http.write_timeout.count()); }},
        {"HTTP_IDLE_TIMEOUT_MS", [](const Settings& s) { return text(s.http.idle_timeout.count()); }},
        {"HTTP_REQUEST_TIMEOUT_MS", [](const Settings& s) { return text(s.http.request_timeout.count()); }},
        {"SHUTDOWN_GRACE_MS", [](const Settings& s) { return text(s.http.shutdown_grace.count()); }},
        {"LOG_LEVEL", [](const Settings& s) { return s.log_level; }},
    };
    return kFormatters;
}

}  // namespace

std::vector<std::string> describe(const LoadedSettings& loaded) {
    std::vector<std::string> lines;
    for (const auto& doc : variables()) {
        const auto formatter = formatters().find(doc.name);
        const auto value = formatter == formatters().end() ? std::string("?") : formatter->second(loaded.settings);
        const auto source = loaded.sources.find(doc.name);
        const auto from = source == loaded.sources.end() ? Source::default_value : source->second;
        lines.push_back(doc.name + "=" + detail::one_line(value) + "  (" + std::string(source_text(from)) + ")");
    }
    return lines;
}

}  // namespace yooni::config
