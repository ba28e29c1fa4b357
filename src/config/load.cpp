// load(): every variable of settings.hpp, checked in the order of
// variables(); the first bad one stops the start with a ConfigError.
#include "config/dotenv.hpp"
#include "config/reader.hpp"
#include "config/static_tokens.hpp"
#include "config/redis_url.hpp"
#include "config/text.hpp"
#include "config/values.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <system_error>

namespace yooni::config {
namespace {

using detail::Reader;

constexpr std::int64_t kIntMax = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t kMaxMilliseconds = 3'600'000;  // one hour: nothing here should wait longer
constexpr std::uint64_t kMiB = 1024 * 1024;
constexpr std::uint64_t kTiB = kMiB * kMiB;

std::chrono::milliseconds milliseconds(Reader& reader, std::string_view name, std::chrono::milliseconds fallback) {
    return std::chrono::milliseconds{reader.integer(name, fallback.count(), 1, kMaxMilliseconds,
                                                    "milliseconds as an integer 1..3600000")};
}

std::size_t count(Reader& reader, std::string_view name, std::size_t fallback, std::int64_t max) {
    const auto expected = "an integer 1.." + std::to_string(max);
    return static_cast<std::size_t>(reader.integer(name, static_cast<std::int64_t>(fallback), 1, max, expected));
}

// HOST and REDIS_HOST: an address or a name; "[::1]" is taken as "::1".
std::string host(Reader& reader, std::string_view name, const std::string& fallback) {
    const auto text = reader.raw(name);
    if (!text) return fallback;
    auto value = detail::trim(*text);
    if (value.size() > 2 && value.front() == '[' && value.back() == ']' &&
        detail::is_ipv6_literal(value.substr(1, value.size() - 2))) {
        value = value.substr(1, value.size() - 2);
    }
    if (!detail::is_valid_host(value)) reader.fail(name, *text, "a host name, an IPv4 address or an IPv6 address");
    return std::string(value);
}

// REDIS_URL: checked as a whole here; its parts are applied after REDIS_SSL
// is read, as the URL wins over REDIS_HOST/PORT/DB/PASSWORD/SSL.
std::optional<detail::RedisUrl> redis_url(Reader& reader, RedisSettings& redis) {
    constexpr std::string_view kForm = " (redis://[[user]:password@]host[:port][/db], rediss:// for TLS)";
    const auto text = reader.optional_text("REDIS_URL");
    if (!text) return std::nullopt;
    const auto trimmed = std::string(detail::trim(*text));
    if (detail::to_lower(trimmed).rfind("unix:", 0) == 0) {
        // The connection layer speaks TCP and TLS only.
        throw ConfigError("REDIS_URL", "REDIS_URL=" + detail::shown_value("REDIS_URL", *text) +
                                           ": unix sockets are not supported; use redis:// or rediss://");
    }
    auto parsed = detail::parse_redis_url(trimmed);
    if (!parsed) reader.fail("REDIS_URL", *text, parsed.problem + std::string(kForm));
    if (parsed.value->db && *parsed.value->db > 15) {
        reader.fail("REDIS_URL", *text, "a database number 0..15 in the URL, as for REDIS_DB" + std::string(kForm));
    }
    redis.url = trimmed;
    return std::move(*parsed.value);
}

// REDIS_CLUSTER_USERNAME: Redis refuses ACL user names with blanks or control characters.
std::string acl_username(Reader& reader, std::string_view name) {
    const auto text = reader.optional_text(name);
    if (!text) return {};
    const auto value = detail::trim(*text);
    for (const unsigned char c : value) {
        if (c <= ' ' || c == 0x7f) reader.fail(name, *text, "an ACL user name without blanks or control characters");
    }
    return std::string(value);
}

std::string ca_file(Reader& reader, std::string_view name) {
    const auto text = reader.optional_text(name);
    if (!text) return {};
    const auto path = std::string(detail::trim(*text));
    std::error_code error;
    const bool regular = std::filesystem::is_regular_file(path, error);
    if (!regular || !std::ifstream(path).good()) reader.fail(name, *text, "a readable CA file (PEM)");
    return path;
}

std::string tls_server_name(Reader& reader, std::string_view name) {
    const auto text = reader.optional_text(name);
    if (!text) return {};
    const auto value = detail::trim(*text);
    if (!detail::is_host_name(value) && !detail::is_ipv4_literal(value) && !detail::is_ipv6_literal(value)) {
        reader.fail(name, *text, "the host name the server certificate is issued for (or its IP address)");
    }
    return std::string(value);
}

// REDIS_CLUSTER_NODES, REDIS_SENTINEL_NODES: a JSON list or a comma list of host:port.
std::vector<std::string> node_list(Reader& reader, std::string_view name, const std::string& text,
                                   std::string_view expected) {
    std::vector<std::string> nodes;
    auto list = detail::parse_list(text);
    if (!list) reader.fail(name, text, std::string(expected) + "; " + list.problem);
    for (std::size_t i = 0; i < list.value->size(); ++i) {
        const auto& item = (*list.value)[i];
        const auto endpoint = detail::parse_endpoint(item);
        if (!endpoint) {
            reader.fail(name, text,
                        std::string(expected) + "; entry " + std::to_string(i + 1) + " " + detail::quoted(item) +
                            ": " + endpoint.problem);
        }
        nodes.push_back(detail::format_endpoint(*endpoint.value));
    }
    return nodes;
}

void load_redis(Reader& reader, RedisSettings& redis, const Environment& environment) {
    redis.cluster_enabled = reader.boolean("REDIS_CLUSTER_ENABLED", redis.cluster_enabled);

    constexpr std::string_view kNodesExpected =
        "a JSON list of \"host:port\" strings or host:port,host:port (IPv6 as [::1]:7000)";
    const auto nodes_text = reader.raw("REDIS_CLUSTER_NODES");
    if (nodes_text) redis.cluster_nodes = node_list(reader, "REDIS_CLUSTER_NODES", *nodes_text, kNodesExpected);
    if (redis.cluster_enabled && redis.cluster_nodes.empty()) {
        reader.fail("REDIS_CLUSTER_NODES", nodes_text.value_or(""),
                    std::string(kNodesExpected) + " with at least one seed node, as REDIS_CLUSTER_ENABLED is true");
    }
    redis.cluster_password = reader.secret("REDIS_CLUSTER_PASSWORD");

    if (const auto sentinels = reader.raw("REDIS_SENTINEL_NODES")) {
        redis.sentinel_nodes = node_list(reader, "REDIS_SENTINEL_NODES", *sentinels, kNodesExpected);
        if (redis.cluster_enabled && !redis.sentinel_nodes.empty()) {
            reader.fail("REDIS_SENTINEL_NODES", *sentinels,
                        "nothing while REDIS_CLUSTER_ENABLED is true: Sentinel and Redis Cluster exclude each other, "
                        "choose one");
        }
    }
    if (const auto name = reader.optional_text("REDIS_SENTINEL_MASTER")) {
        const auto value = detail::trim(*name);
        for (const unsigned char c : value) {
            if (c <= ' ' || c == 0x7f)
                reader.fail("REDIS_SENTINEL_MASTER", *name, "a master name without blanks or control characters");
        }
        redis.sentinel_master = std::string(value);
    }
    if (!redis.sentinel_nodes.empty() && redis.sentinel_master.empty()) {
        reader.fail("REDIS_SENTINEL_MASTER", "",
                    "the name the Sentinels monitor the master under (their \"sentinel monitor <name> ...\"), "
                    "required as REDIS_SENTINEL_NODES is set");
    }
    redis.sentinel_password = reader.secret("REDIS_SENTINEL_PASSWORD");
    redis.sentinel_username = acl_username(reader, "REDIS_SENTINEL_USERNAME");

    const auto url = redis_url(reader, redis);

    const bool host_given = detail::find_variable(environment, "REDIS_HOST").has_value();
    redis.host = host(reader, "REDIS_HOST", redis.host);
    redis.port = static_cast<std::uint16_t>(
        reader.integer("REDIS_PORT", redis.port, 1, 65535, "an integer port 1..65535"));
    redis.db = static_cast<int>(reader.integer("REDIS_DB", redis.db, 0, 15, "a database number 0..15"));
    redis.password = reader.secret("REDIS_PASSWORD");
    redis.ssl = reader.boolean("REDIS_SSL", redis.ssl);
    // In cluster mode REDIS_URL is ignored (warnings() says so) and must not
    // turn on TLS for the cluster or change the fields it shares.
    if (url && !redis.cluster_enabled) {
        redis.host = url->host;
        redis.port = url->port.value_or(6379);
        redis.db = static_cast<int>(url->db.value_or(0));
        redis.password = Secret{url->password};
        redis.username = url->username;
        redis.ssl = url->tls;
    }
    redis.pool_size = static_cast<int>(
        reader.integer("REDIS_POOL_SIZE", redis.pool_size, 1, 1000, "an integer 1..1000"));
    redis.fallback_to_memory = reader.boolean("REDIS_FALLBACK_TO_MEMORY", redis.fallback_to_memory);

    redis.cluster_username = acl_username(reader, "REDIS_CLUSTER_USERNAME");
    redis.tls_ca_file = ca_file(reader, "REDIS_TLS_CA_FILE");
    redis.tls_server_name = tls_server_name(reader, "REDIS_TLS_SERVER_NAME");
    if (auto text = reader.raw("REDIS_CLUSTER_ADDRESS_MAP")) {
        auto pairs = detail::parse_address_map(*text);
        if (!pairs) {
            reader.fail("REDIS_CLUSTER_ADDRESS_MAP", *text,
                        "announced_host:port=reachable_host:port,... (IPv6 as [::1]:7000); " + pairs.problem);
        }
        redis.address_map = std::move(*pairs.value);
    }
    redis.read_from_replicas = reader.boolean("REDIS_READ_FROM_REPLICAS", redis.read_from_replicas);
    redis.connect_timeout = milliseconds(reader, "REDIS_CONNECT_TIMEOUT_MS", redis.connect_timeout);
    {
        const auto ms = reader.integer("REDIS_TCP_USER_TIMEOUT_MS", redis.tcp_user_timeout.count(), 0, 600'000,
                                       "milliseconds as an integer 1000..600000, or 0 for the kernel's default");
        if (ms != 0 && ms < 1000) {
            reader.fail("REDIS_TCP_USER_TIMEOUT_MS", std::to_string(ms),
                        "milliseconds as an integer 1000..600000, or 0 for the kernel's default (below 1 s a busy "
                        "network would cut healthy links)");
        }
        redis.tcp_user_timeout = std::chrono::milliseconds{ms};
    }
    redis.refresh_interval = std::chrono::milliseconds{
        reader.integer("REDIS_CLUSTER_REFRESH_INTERVAL_MS", redis.refresh_interval.count(), 100, kMaxMilliseconds,
                       "milliseconds as an integer 100..3600000")};
    redis.wait_replicas = static_cast<int>(
        reader.integer("REDIS_WAIT_REPLICAS", redis.wait_replicas, 0, 5, "a replica count 0..5 (0 = do not wait)"));
    redis.wait_timeout = std::chrono::milliseconds{reader.integer(
        "REDIS_WAIT_TIMEOUT_MS", redis.wait_timeout.count(), 1, 60'000, "milliseconds as an integer 1..60000")};
    redis.near_cache_max_bytes = static_cast<std::size_t>(reader.integer(
        "NEAR_CACHE_MAX_BYTES", static_cast<std::int64_t>(redis.near_cache_max_bytes), 0, std::int64_t{1} << 40,
        "a byte count 0.." + std::to_string(std::int64_t{1} << 40) + " (0 = no near cache)"));
    redis.near_cache_ttl = std::chrono::milliseconds{reader.integer(
        "NEAR_CACHE_TTL_MS", redis.near_cache_ttl.count(), 1, kMaxMilliseconds, "milliseconds as an integer 1..3600000")};
    redis.near_cache_stale_if_error = std::chrono::milliseconds{
        reader.integer("NEAR_CACHE_STALE_IF_ERROR_MS", redis.near_cache_stale_if_error.count(), 0, kMaxMilliseconds,
                       "milliseconds as an integer 0..3600000 (0 = never)")};
    redis.configured = redis.cluster_enabled || !redis.sentinel_nodes.empty() || redis.url.has_value() || host_given;
}

void load_cache(Reader& reader, CacheSettings& cache) {
    cache.ttl = std::chrono::seconds{reader.integer("CACHE_TTL_SECONDS", cache.ttl.count(), 0, kIntMax,
                                                    "seconds as an integer 0..2147483647 (0 = no expiry)")};
    if (auto prefix = reader.raw("CACHE_KEY_PREFIX")) cache.key_prefix = std::move(*prefix);  // "" is a prefix too
    cache.compression_enabled = reader.boolean("CACHE_COMPRESSION_ENABLED", cache.compression_enabled);
    cache.compression_threshold_bytes = static_cast<std::size_t>(
        reader.integer("CACHE_COMPRESSION_THRESHOLD", static_cast<std::int64_t>(cache.compression_threshold_bytes), 1,
                       kIntMax, "bytes as an integer 1..2147483647"));
    cache.compression_level = static_cast<int>(
        reader.integer("CACHE_COMPRESSION_LEVEL", cache.compression_level, 1, 9, "a gzip level 1..9"));

    if (auto format = reader.raw("CACHE_VALUE_FORMAT")) {
        const auto word = detail::to_lower(detail::trim(*format));
        if (word == "legacy") {
            cache.value_format = ValueFormat::legacy;
        } else if (word == "gzip") {
            cache.value_format = ValueFormat::gzip;
        } else {
            reader.fail("CACHE_VALUE_FORMAT", *format, "legacy or gzip");
        }
    }

    if (auto size = reader.raw("CACHE_MEMORY_MAX_BYTES")) {
        const auto bytes = detail::parse_size_bytes(*size);
        if (!bytes || *bytes < kMiB || *bytes > kTiB) {
            reader.fail("CACHE_MEMORY_MAX_BYTES", *size,
                        "a size 1MiB..1024GiB: bytes, or a number with k, m, g, kb, mb, gb, kib, mib or gib "
                        "(powers of 1024), e.g. 512MiB");
        }
        cache.memory_max_bytes = static_cast<std::size_t>(*bytes);
    }
}

// AUTH_AUDIENCE and AUTH_ISSUER: compared exactly with a JWT's aud and iss;
// "" = not checked. A control character could never be meant (a pasted
// line break, say): refused rather than silently never matching.
std::string claim_value(Reader& reader, std::string_view name) {
    const auto text = reader.optional_text(name);
    if (!text) return {};
    const auto value = detail::trim(*text);
    for (const unsigned char c : value) {
        if (c < 0x20 || c == 0x7f) reader.fail(name, *text, "the exact text of the claim, without control characters");
    }
    return std::string(value);
}

void load_auth(Reader& reader, AuthSettings& auth) {
    auth.secret_key = reader.secret("SECRET_KEY");

    if (auto text = reader.optional_text("API_TOKENS")) {
        auto tokens = detail::parse_static_tokens(*text);
        if (!tokens) {
            reader.fail("API_TOKENS", *text,
                        "name:role:token entries separated by commas (role read, write or admin; token of 16 "
                        "or more visible characters; unique names)" + tokens.problem);
        }
        auth.static_tokens = std::move(*tokens.value);
    }

    if (auto text = reader.raw("AUTH_ADMIN_SUBJECTS")) {
        auto subjects = detail::parse_list(*text);
        if (!subjects) reader.fail("AUTH_ADMIN_SUBJECTS", *text, "a comma list of JWT subjects or a JSON list of strings; " + subjects.problem);
        auth.admin_subjects = std::move(*subjects.value);
    }

    if (auto text = reader.raw("AUTH_DEFAULT_ROLE")) {
        const auto role = parse_role(detail::to_lower(detail::trim(*text)));
        if (!role) reader.fail("AUTH_DEFAULT_ROLE", *text, "read, write or admin");
        auth.default_role = *role;
    }

    auth.audience = claim_value(reader, "AUTH_AUDIENCE");
    auth.issuer = claim_value(reader, "AUTH_ISSUER");

    auth.leeway = std::chrono::seconds{
        reader.integer("AUTH_LEEWAY_SECONDS", auth.leeway.count(), 0, 300, "seconds as an integer 0..300")};

    if (auto text = reader.raw("API_KEY_PREFIXES")) {
        constexpr std::string_view kExpected =
            "a comma list (or JSON list) of key prefixes, each non-empty and without the glob characters * ? [ \\";
        auto prefixes = detail::parse_list(*text);
        if (!prefixes) reader.fail("API_KEY_PREFIXES", *text, std::string(kExpected) + "; " + prefixes.problem);
        for (std::size_t i = 0; i < prefixes.value->size(); ++i) {
            const auto& prefix = (*prefixes.value)[i];
            // A glob character would make a prefix that no pattern delete can name literally.
            if (prefix.empty() || prefix.find_first_of("*?[\\") != std::string::npos) {
                reader.fail("API_KEY_PREFIXES", *text,
                            std::string(kExpected) + "; entry " + std::to_string(i + 1) + " " + detail::quoted(prefix) +
                                (prefix.empty() ? " is empty" : " holds a glob character"));
            }
        }
        auth.key_prefixes = std::move(*prefixes.value);
    }

    auth.metrics_token = reader.secret("METRICS_TOKEN");
    if (!auth.metrics_token.empty()) {
        const auto& token = auth.metrics_token.reveal();
        const bool visible = std::all_of(token.begin(), token.end(), [](char c) {
            const auto byte = static_cast<unsigned char>(c);
            return byte > 0x20 && byte < 0x7f;
        });
        // Sent by Prometheus in an Authorization header: visible ASCII, as API_TOKENS' tokens.
        if (!visible || token.size() < 16)
            reader.fail("METRICS_TOKEN", token, "a token of 16 or more visible ASCII characters (no blanks)");
    }
}

void load_http(Reader& reader, HttpSettings& http) {
    http.host = host(reader, "HOST", http.host);
    http.port = static_cast<std::uint16_t>(
        reader.integer("PORT", http.port, 0, 65535, "an integer port 0..65535 (0 = any free port)"));
    http.worker_threads = static_cast<unsigned>(
        reader.integer("WORKER_THREADS", http.worker_threads, 0, 256, "an integer 0..256 (0 = one per core)"));
    http.max_connections = count(reader, "HTTP_MAX_CONNECTIONS", http.max_connections, 1'000'000);
    http.max_header_bytes = count(reader, "HTTP_MAX_HEADER_BYTES", http.max_header_bytes, 1 << 20);
    http.max_body_bytes = count(reader, "HTTP_MAX_BODY_BYTES", http.max_body_bytes, 1 << 30);
    http.max_response_bytes = count(reader, "HTTP_MAX_RESPONSE_BYTES", http.max_response_bytes, std::int64_t{1} << 32);
    http.gzip_min_bytes = static_cast<std::size_t>(reader.integer(
        "HTTP_GZIP_MIN_BYTES", static_cast<std::int64_t>(http.gzip_min_bytes), 0, std::int64_t{1} << 32,
        "an integer 0.." + std::to_string(std::int64_t{1} << 32) + " (0 = never compress answers)"));
    http.max_key_bytes = count(reader, "CACHE_MAX_KEY_BYTES", http.max_key_bytes, 65536);
    http.max_batch_keys = count(reader, "HTTP_MAX_BATCH_KEYS", http.max_batch_keys, 100'000);
    http.header_timeout = milliseconds(reader, "HTTP_HEADER_TIMEOUT_MS", http.header_timeout);
    http.body_timeout = milliseconds(reader, "HTTP_BODY_TIMEOUT_MS", http.body_timeout);
    http.write_timeout = milliseconds(reader, "HTTP_WRITE_TIMEOUT_MS", http.write_timeout);
    http.idle_timeout = milliseconds(reader, "HTTP_IDLE_TIMEOUT_MS", http.idle_timeout);
    http.request_timeout = milliseconds(reader, "HTTP_REQUEST_TIMEOUT_MS", http.request_timeout);
    http.shutdown_grace = milliseconds(reader, "SHUTDOWN_GRACE_MS", http.shutdown_grace);
}

std::string log_level(Reader& reader, const std::string& fallback) {
    const auto text = reader.raw("LOG_LEVEL");
    if (!text) return fallback;
    auto word = detail::to_lower(detail::trim(*text));
    if (word == "warning") word = "warn";  // Python's logging spells it so
    for (std::string_view level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
        if (word == level) return word;
    }
    reader.fail("LOG_LEVEL", *text, "trace, debug, info, warn, error, critical or off");
}

}  // namespace

LoadedSettings load(const Environment& environment) {
    LoadedSettings loaded;
    loaded.dotenv_path = environment.dotenv_path;
    Reader reader(environment, loaded);
    auto& s = loaded.settings;
    load_redis(reader, s.redis, environment);
    load_cache(reader, s.cache);
    load_auth(reader, s.auth);
    load_http(reader, s.http);
    s.log_level = log_level(reader, s.log_level);

    for (const auto& doc : variables()) loaded.sources.try_emplace(doc.name, Source::default_value);

    for (const auto& [name, line] : environment.dotenv_lines) {
        if (!detail::is_known(name)) loaded.unknown_dotenv.emplace_back(name, line);
    }
    std::sort(loaded.unknown_dotenv.begin(), loaded.unknown_dotenv.end(),
              [](const auto& a, const auto& b) { return a.second < b.second; });
    for (const auto& [name, value] : environment.env) {
        if (!detail::is_known(name)) loaded.unknown_env.push_back(name);
    }
    return loaded;
}

}  // namespace yooni::config
