// The one list of variables the service reads. load() validates them in
// this order, describe() prints them in this order, and the README table is
// generated from it, so a new setting starts here.
#include "yooni/config/settings.hpp"

#include <array>

namespace yooni::config {

const std::vector<VariableDoc>& variables() {
    static const std::vector<VariableDoc> kVariables{
        // Redis (names and defaults of the Python system)
        {"REDIS_CLUSTER_ENABLED", "false", "use Redis Cluster with the seed nodes of REDIS_CLUSTER_NODES", false},
        {"REDIS_CLUSTER_NODES", "", "cluster seed nodes: JSON list [\"host:port\",...] or host:port,host:port; one is enough", false},
        {"REDIS_CLUSTER_PASSWORD", "", "AUTH password of the cluster nodes", true},
        {"REDIS_SENTINEL_NODES", "", "Redis behind Sentinel: the Sentinels, JSON list [\"host:port\",...] or host:port,host:port; setting them selects Sentinel (not with REDIS_CLUSTER_ENABLED)", false},
        {"REDIS_SENTINEL_MASTER", "", "name of the master the Sentinels monitor; required with REDIS_SENTINEL_NODES", false},
        {"REDIS_SENTINEL_PASSWORD", "", "AUTH password of the Sentinels (the data nodes use REDIS_PASSWORD or REDIS_URL's)", true},
        {"REDIS_SENTINEL_USERNAME", "", "ACL user of the Sentinels; empty = the default user", false},
        {"REDIS_URL", "", "single Redis: redis://[[user]:password@]host[:port][/db] (db 0..15), rediss:// for TLS; wins over REDIS_HOST, REDIS_PORT, REDIS_DB, REDIS_PASSWORD and REDIS_SSL", false},
        {"REDIS_HOST", "localhost", "single Redis host when REDIS_URL is not set; setting it enables Redis", false},
        {"REDIS_PORT", "6379", "single Redis port, 1..65535", false},
        {"REDIS_DB", "0", "single Redis database number, 0..15", false},
        {"REDIS_PASSWORD", "", "single Redis AUTH password", true},
        {"REDIS_SSL", "false", "TLS to Redis: the single Redis given by REDIS_HOST, or every node of the cluster", false},
        {"REDIS_POOL_SIZE", "10", "accepted for compatibility, 1..1000; unused: each worker thread keeps one pipelined connection per node", false},
        {"REDIS_FALLBACK_TO_MEMORY", "false", "serve from process memory when Redis is unreachable at start (the Python system's silent fallback)", false},
        {"REDIS_CLUSTER_USERNAME", "", "ACL user of the cluster nodes (e.g. ElastiCache RBAC); empty = the default user", false},
        {"REDIS_TLS_CA_FILE", "", "PEM file of the CAs trusted for Redis TLS; empty = the system's trust store", false},
        {"REDIS_TLS_SERVER_NAME", "", "name the Redis TLS certificate must match (and SNI); empty = the configured host", false},
        {"REDIS_CLUSTER_ADDRESS_MAP", "", "cluster behind NAT or Docker: announced_host:port=reachable_host:port,... (IPv6 as [::1]:7000)", false},
        {"REDIS_READ_FROM_REPLICAS", "false", "send reads to replicas (cluster: READONLY; Sentinel: the replicas it lists as healthy); they may return slightly stale values", false},
        {"REDIS_CONNECT_TIMEOUT_MS", "2000", "time allowed to open a connection to a Redis node (connect, TLS, AUTH), in ms", false},
        {"REDIS_TCP_USER_TIMEOUT_MS", "10000", "a Redis node silent this long (sent bytes unacknowledged, or an idle link unanswered) is given up and the call retried, 1000..600000 ms; 0 = the kernel's defaults (up to about 15 minutes)", false},
        {"REDIS_CLUSTER_REFRESH_INTERVAL_MS", "5000", "period of the cluster topology refresh, 100..3600000 ms", false},
        {"REDIS_WAIT_REPLICAS", "0", "writes wait until N replicas acknowledged them (WAIT), 0..5; 0 = do not wait", false},
        {"REDIS_WAIT_TIMEOUT_MS", "1000", "how long a write waits for REDIS_WAIT_REPLICAS acknowledgements, 1..60000 ms", false},
        {"NEAR_CACHE_MAX_BYTES", "0",
         "Redis backends: bytes of values kept in this process for GET, kept fresh by Redis's CLIENT TRACKING "
         "invalidations; 0 = no near cache",
         false},
        {"NEAR_CACHE_TTL_MS", "60000", "longest time a near-cache entry is kept (the key's own TTL is kept too)", false},
        {"NEAR_CACHE_STALE_IF_ERROR_MS", "0",
         "while a key's Redis node cannot answer, a GET may be answered from a near-cache copy at most this old, "
         "marked by Cache-Status (0 = never)",
         false},
        // Cache
        {"CACHE_TTL_SECONDS", "300", "default time to live of stored values in seconds; 0 = no expiry", false},
        {"CACHE_KEY_PREFIX", "yooni:", "prefix of generated keys", false},
        {"CACHE_COMPRESSION_ENABLED", "true", "gzip-compress values at or above the threshold", false},
        {"CACHE_COMPRESSION_THRESHOLD", "1024", "smallest JSON text in bytes that is compressed", false},
        {"CACHE_COMPRESSION_LEVEL", "6", "gzip level, 1 (fast) .. 9 (small)", false},
        {"CACHE_VALUE_FORMAT", "legacy", "compressed value format: legacy (gzip: + base64, readable by the Python system) or gzip (raw member)", false},
        {"CACHE_MEMORY_MAX_BYTES", "256MiB", "bound of the in-process memory store; at least 1MiB; suffixes k, m, g, kib, mib, gib (powers of 1024)", false},
        // Auth
        {"SECRET_KEY", "", "HS256 key of bearer tokens; unset = random per start, loopback HOST only", true},
        {"API_TOKENS", "", "static bearer tokens name:role:token,... (role read|write|admin)", true},
        {"AUTH_ADMIN_SUBJECTS", "", "JWT subjects with the admin role, comma list", false},
        {"AUTH_DEFAULT_ROLE", "read", "role of a JWT without roles or scope claim: read|write|admin", false},
        {"AUTH_AUDIENCE", "", "a JWT must name this in its aud claim (a string, or an array holding it); empty = aud not checked", false},
        {"AUTH_ISSUER", "", "a JWT's iss claim must be exactly this; empty = iss not checked", false},
        {"AUTH_LEEWAY_SECONDS", "30", "clock skew allowed on exp/iat of JWTs in seconds, 0..300", false},
        {"API_KEY_PREFIXES", "", "the cache API touches only keys starting with one of these, comma list (pattern deletes too); empty = every key of the backend", false},
        {"METRICS_TOKEN", "", "bearer token /metrics requires, 16+ visible characters; empty = /metrics public", true},
        // HTTP server
        {"HOST", "127.0.0.1", "address to listen on: IPv4, IPv6 or host name", false},
        {"PORT", "8000", "port to listen on; 0 = any free port", false},
        {"WORKER_THREADS", "0", "threads serving requests, 0..256; 0 = one per core", false},
        {"HTTP_MAX_CONNECTIONS", "10000", "open client connections at most", false},
        {"HTTP_MAX_HEADER_BYTES", "16384", "request line and headers in bytes at most", false},
        {"HTTP_MAX_BODY_BYTES", "8388608",
         "request body in bytes at most; also the largest value stored or decoded (a stored value inflating past "
         "it is refused)",
         false},
        {"HTTP_MAX_RESPONSE_BYTES", "67108864", "response body in bytes at most (a larger batch/get is answered 413)", false},
        {"HTTP_GZIP_MIN_BYTES", "1024",
         "smallest answer in bytes gzip-compressed on the fly (level 1) for a client that accepts gzip; 0 = never "
         "(values stored compressed are sent as stored whatever this says)",
         false},
        {"CACHE_MAX_KEY_BYTES", "1024", "cache key in bytes at most", false},
        {"HTTP_MAX_BATCH_KEYS", "1000", "keys in one batch request at most", false},
        {"HTTP_HEADER_TIMEOUT_MS", "10000", "time to receive the request headers, in ms", false},
        {"HTTP_BODY_TIMEOUT_MS", "30000", "time to receive the request body, in ms", false},
        {"HTTP_WRITE_TIMEOUT_MS", "30000", "time to send a response, in ms", false},
        {"HTTP_IDLE_TIMEOUT_MS", "60000", "keep-alive connection idle time before closing, in ms", false},
        {"HTTP_REQUEST_TIMEOUT_MS", "5000", "deadline of the cache work of one request, in ms", false},
        {"SHUTDOWN_GRACE_MS", "10000", "time open requests get to finish at shutdown, in ms", false},
        // Logging
        {"LOG_LEVEL", "info", "trace|debug|info|warn|error|critical|off", false},
    };
    return kVariables;
}

std::string_view to_string(Role role) {
    switch (role) {
        case Role::read: return "read";
        case Role::write: return "write";
        case Role::admin: return "admin";
    }
    return "read";  // unreachable for valid enumerators; the least privilege otherwise
}

std::optional<Role> parse_role(std::string_view text) {
    // Exact words: JWT role claims are matched as sent; load() lowers the
    // case of AUTH_DEFAULT_ROLE and API_TOKENS roles before calling this.
    static constexpr std::array<Role, 3> kRoles{Role::read, Role::write, Role::admin};
    for (Role role : kRoles) {
        if (text == to_string(role)) return role;
    }
    return std::nullopt;
}

}  // namespace yooni::config
