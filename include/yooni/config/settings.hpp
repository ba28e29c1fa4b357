// Settings of the service, read once at start-up from the environment and
// then from `.env` in the working directory (the environment wins), with the
// names and defaults of the Python system (ORIGINAL-SYSTEM.md) plus the
// service's own. Plain structs: components receive their own sub-struct.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace yooni::config {

// A secret (password, key, token). Never printed: formatting gives "***".
class Secret {
public:
    Secret() = default;
    explicit Secret(std::string value) : value_(std::move(value)) {}
    const std::string& reveal() const { return value_; }
    bool empty() const { return value_.empty(); }
    std::string masked() const { return value_.empty() ? std::string{} : std::string{"***"}; }

private:
    std::string value_;
};

// Thrown only at start-up. what() is one line: variable, value (masked when
// secret), what was expected. The caller prints it and exits with code 2.
class ConfigError : public std::runtime_error {
public:
    ConfigError(std::string variable, const std::string& message)
        : std::runtime_error(message), variable_(std::move(variable)) {}
    const std::string& variable() const { return variable_; }

private:
    std::string variable_;
};

enum class Role { read = 1, write = 2, admin = 3 };

struct StaticToken {
    std::string name;   // shown in logs as the subject, never the token
    Role role = Role::read;
    Secret token;
};

struct RedisSettings {
    bool cluster_enabled = false;               // REDIS_CLUSTER_ENABLED
    std::vector<std::string> cluster_nodes;     // REDIS_CLUSTER_NODES, "host:port" each
    Secret cluster_password;                    // REDIS_CLUSTER_PASSWORD
    // Redis behind Sentinel: setting the Sentinels selects it (not with REDIS_CLUSTER_ENABLED).
    std::vector<std::string> sentinel_nodes;    // REDIS_SENTINEL_NODES, "host:port" each
    std::string sentinel_master;                // REDIS_SENTINEL_MASTER: the monitored master's name
    Secret sentinel_password;                   // REDIS_SENTINEL_PASSWORD: AUTH of the Sentinels (not of the data nodes)
    std::string sentinel_username;              // REDIS_SENTINEL_USERNAME: ACL user of the Sentinels
    std::optional<std::string> url;             // REDIS_URL (kept whole; may hold a password)
    std::string host = "localhost";             // REDIS_HOST
    std::uint16_t port = 6379;                  // REDIS_PORT
    int db = 0;                                 // REDIS_DB, 0..15
    Secret password;                            // REDIS_PASSWORD
    bool ssl = false;                           // REDIS_SSL
    int pool_size = 10;                         // REDIS_POOL_SIZE, 1..1000
    bool fallback_to_memory = false;            // REDIS_FALLBACK_TO_MEMORY: Python system's silent fallback
    // Filled from REDIS_URL when it is set (the URL wins over REDIS_HOST/PORT/DB/PASSWORD/SSL):
    std::string username;                       // ACL user of the single Redis (REDIS_URL's user part)
    std::string cluster_username;               // REDIS_CLUSTER_USERNAME: ACL user of the cluster (ElastiCache RBAC)
    std::string tls_ca_file;                    // REDIS_TLS_CA_FILE: CA bundle for rediss:// / REDIS_SSL (empty = system store)
    std::string tls_server_name;                // REDIS_TLS_SERVER_NAME: name the certificate must match (default: the configured host)
    // REDIS_CLUSTER_ADDRESS_MAP: "announced_host:port=reachable_host:port,..." (clusters behind NAT or Docker)
    std::vector<std::pair<std::string, std::string>> address_map;
    bool read_from_replicas = false;            // REDIS_READ_FROM_REPLICAS: reads to replicas (READONLY)
    std::chrono::milliseconds connect_timeout{2000};   // REDIS_CONNECT_TIMEOUT_MS, 1..3600000
    std::chrono::milliseconds tcp_user_timeout{10000}; // REDIS_TCP_USER_TIMEOUT_MS, 0 or 1000..600000 (0 = kernel default)
    std::chrono::milliseconds refresh_interval{5000};  // REDIS_CLUSTER_REFRESH_INTERVAL_MS, 100..3600000
    int wait_replicas = 0;                      // REDIS_WAIT_REPLICAS: writes wait for N replicas (WAIT), 0..5
    std::chrono::milliseconds wait_timeout{1000};      // REDIS_WAIT_TIMEOUT_MS, 1..60000
    std::size_t near_cache_max_bytes = 0;              // NEAR_CACHE_MAX_BYTES, 0 = no near cache
    std::chrono::milliseconds near_cache_ttl{60000};   // NEAR_CACHE_TTL_MS
    std::chrono::milliseconds near_cache_stale_if_error{0};  // NEAR_CACHE_STALE_IF_ERROR_MS
    // Whether any Redis backend is configured (cluster, Sentinel, REDIS_URL or REDIS_HOST set explicitly).
    bool configured = false;
};

enum class ValueFormat { legacy, gzip };  // CACHE_VALUE_FORMAT: "legacy" (gzip:+base64) or "gzip" (raw member)

struct CacheSettings {
    std::chrono::seconds ttl{300};              // CACHE_TTL_SECONDS, >= 0 (0 = no expiry)
    std::string key_prefix = "yooni:";          // CACHE_KEY_PREFIX
    bool compression_enabled = true;            // CACHE_COMPRESSION_ENABLED
    std::size_t compression_threshold_bytes = 1024;  // CACHE_COMPRESSION_THRESHOLD, >= 1
    int compression_level = 6;                  // CACHE_COMPRESSION_LEVEL, 1..9
    ValueFormat value_format = ValueFormat::legacy;
    std::size_t memory_max_bytes = 256u << 20;  // CACHE_MEMORY_MAX_BYTES (suffixes k/m/g, KiB/MiB/GiB accepted)
};

struct AuthSettings {
    Secret secret_key;                          // SECRET_KEY; empty = random at start (loopback only)
    std::vector<StaticToken> static_tokens;     // API_TOKENS: "name:role:token,..."
    std::vector<std::string> admin_subjects;    // AUTH_ADMIN_SUBJECTS: JWT subs that are admins, comma list
    Role default_role = Role::read;             // AUTH_DEFAULT_ROLE for JWTs without roles/scope claim (least privilege)
    std::string audience;                       // AUTH_AUDIENCE: a JWT's aud must name it; empty = not checked
    std::string issuer;                         // AUTH_ISSUER: a JWT's iss must equal it; empty = not checked
    std::chrono::seconds leeway{30};            // AUTH_LEEWAY_SECONDS, 0..300
    // API_KEY_PREFIXES: the cache API touches only keys starting with one of
    // these (the HTTP key as given); empty = every key of the backend.
    std::vector<std::string> key_prefixes;
    Secret metrics_token;                       // METRICS_TOKEN: bearer token /metrics requires; empty = public
};

struct HttpSettings {
    std::string host = "127.0.0.1";             // HOST
    std::uint16_t port = 8000;                  // PORT
    unsigned worker_threads = 0;                // WORKER_THREADS, 0 = one per core
    std::size_t max_connections = 10000;        // HTTP_MAX_CONNECTIONS
    std::size_t max_header_bytes = 16 * 1024;   // HTTP_MAX_HEADER_BYTES
    std::size_t max_body_bytes = 8u << 20;      // HTTP_MAX_BODY_BYTES
    std::size_t max_response_bytes = 64u << 20; // HTTP_MAX_RESPONSE_BYTES (batch/get answers at most this)
    std::size_t gzip_min_bytes = 1024;          // HTTP_GZIP_MIN_BYTES (0 = answers are never compressed on the fly)
    std::size_t max_key_bytes = 1024;           // CACHE_MAX_KEY_BYTES
    std::size_t max_batch_keys = 1000;          // HTTP_MAX_BATCH_KEYS
    std::chrono::milliseconds header_timeout{10000};  // HTTP_HEADER_TIMEOUT_MS
    std::chrono::milliseconds body_timeout{30000};    // HTTP_BODY_TIMEOUT_MS
    std::chrono::milliseconds write_timeout{30000};   // HTTP_WRITE_TIMEOUT_MS
    std::chrono::milliseconds idle_timeout{60000};    // HTTP_IDLE_TIMEOUT_MS (keep-alive)
    std::chrono::milliseconds request_timeout{5000};  // HTTP_REQUEST_TIMEOUT_MS (cache call deadline)
    std::chrono::milliseconds shutdown_grace{10000};  // SHUTDOWN_GRACE_MS
};

struct Settings {
    RedisSettings redis;
    CacheSettings cache;
    AuthSettings auth;
    HttpSettings http;
    std::string log_level = "info";             // LOG_LEVEL: trace|debug|info|warn|error|off
};

// Where each effective value came from, for `config check`.
enum class Source { default_value, environment, dotenv };

struct LoadedSettings {
    Settings settings;
    std::map<std::string, Source> sources;      // variable name -> where it came from
    std::string dotenv_path;                    // empty when no .env was read
    // Added by config/: names in .env that are no setting, with their line,
    // in file order. Ignored like pydantic-settings' default; warnings() lists them.
    std::vector<std::pair<std::string, int>> unknown_dotenv;
    // Names in the process environment that are no setting but one slip away
    // from one (read_environment() keeps no other unknown name); warnings() lists them.
    std::vector<std::string> unknown_env;
};

// A variable lookup: environment first, then .env. Injected for tests.
struct Environment {
    std::map<std::string, std::string> env;     // the process environment (relevant names)
    std::map<std::string, std::string> dotenv;  // parsed .env
    std::map<std::string, int> dotenv_lines;    // name -> line number in .env
    std::string dotenv_path;                    // added: the file read_environment() read; empty when none
};

// Reads the process environment and `<dir>/.env` (missing file = empty).
// Throws ConfigError on a malformed .env line (naming the line).
Environment read_environment(const std::string& dotenv_dir = ".");

// Parses .env text (KEY=VALUE, `export` prefix, quotes, # comments).
// Throws ConfigError naming the line on malformed input.
Environment parse_dotenv(std::string_view text);

// Validates every variable; throws ConfigError on the first bad one.
LoadedSettings load(const Environment& environment);

// One line per setting: `NAME=value  (source)`, secrets masked.
std::vector<std::string> describe(const LoadedSettings& loaded);

// Warnings about weak settings (short SECRET_KEY, short static tokens, a
// non-loopback HOST without SECRET_KEY, write access by default, JWTs of any
// audience, a Redis shared without API_KEY_PREFIXES, a public /metrics ...).
std::vector<std::string> warnings(const LoadedSettings& loaded);

// Every variable name the service reads, with its default as text and a one-line meaning.
struct VariableDoc { std::string name; std::string default_text; std::string meaning; bool secret; };
const std::vector<VariableDoc>& variables();

std::string_view to_string(Role role);
std::optional<Role> parse_role(std::string_view text);  // "read" | "write" | "admin"

}  // namespace yooni::config
