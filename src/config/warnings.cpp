// warnings(): settings that load but are weak or contradict each other.
// Each line says what is wrong and what happens; none holds a secret.
#include "config/dotenv.hpp"
#include "config/redis_url.hpp"
#include "config/values.hpp"
#include "yooni/config/settings.hpp"

namespace yooni::config {
namespace {

constexpr std::size_t kMinKeyBytes = 32;    // HS256: a key as long as the hash (RFC 7518 3.2)
constexpr std::size_t kMinTokenChars = 32;  // 16 is refused by load(); 32 is advised

bool given(const LoadedSettings& loaded, const std::string& name) {
    const auto it = loaded.sources.find(name);
    return it != loaded.sources.end() && it->second != Source::default_value;
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
    return out;
}

void redis_warnings(const LoadedSettings& loaded, std::vector<std::string>& out) {
    const auto& redis = loaded.settings.redis;
    if (redis.cluster_enabled) {
        if (redis.url) out.push_back("REDIS_CLUSTER_ENABLED is true and REDIS_URL is set: the cluster is used, REDIS_URL is ignored");
        if (redis.cluster_password.empty()) {
            out.push_back("REDIS_CLUSTER_ENABLED is true without REDIS_CLUSTER_PASSWORD: the cluster is used without AUTH");
        }
        if (redis.db != 0) {
            out.push_back("REDIS_DB=" + std::to_string(redis.db) + " is ignored: Redis Cluster has only database 0");
        }
        return;
    }
    if (!redis.sentinel_nodes.empty()) {
        // The master's address comes from the Sentinels.
        std::vector<std::string> unused;
        for (const char* name : {"REDIS_HOST", "REDIS_PORT"}) {
            if (given(loaded, name)) unused.emplace_back(name);
        }
        if (redis.url) unused.emplace_back("REDIS_URL's host and port");
        if (!unused.empty()) {
            out.push_back(join(unused) + " ignored: REDIS_SENTINEL_NODES is set and the Sentinels name the master");
        }
    }
    if (!redis.url) return;
    std::vector<std::string> shadowed;
    for (const char* name : {"REDIS_HOST", "REDIS_PORT", "REDIS_DB", "REDIS_PASSWORD"}) {
        if (given(loaded, name)) shadowed.emplace_back(name);
    }
    if (!shadowed.empty()) out.push_back(join(shadowed) + " ignored: REDIS_URL is set and says where Redis is");
    const auto url = detail::parse_redis_url(*redis.url);
    if (!url) return;  // load() refused it already; not reached
    // load() has put the URL's scheme into redis.ssl, so any REDIS_SSL given is overridden.
    if (given(loaded, "REDIS_SSL")) {
        out.push_back(std::string("REDIS_SSL ignored: REDIS_URL uses ") + (url.value->tls ? "rediss://" : "redis://") +
                      ", and the URL scheme decides TLS (rediss:// for TLS)");
    }
    if (!url.value->ignored_parameters.empty()) {
        out.push_back("REDIS_URL parameters ignored: " + join(url.value->ignored_parameters));
    }
}

// The settings added for the Redis connection layer that have no effect as set.
void redis_connection_warnings(const LoadedSettings& loaded, std::vector<std::string>& out) {
    const auto& redis = loaded.settings.redis;
    std::vector<std::string> tls;
    if (!redis.tls_ca_file.empty()) tls.emplace_back("REDIS_TLS_CA_FILE");
    if (!redis.tls_server_name.empty()) tls.emplace_back("REDIS_TLS_SERVER_NAME");
    if (!tls.empty() && !redis.ssl) {
        out.push_back(join(tls) + " set: TLS settings are ignored without REDIS_SSL=true or a rediss:// URL");
    }
    if (redis.read_from_replicas && !redis.cluster_enabled && redis.sentinel_nodes.empty()) {
        out.push_back("REDIS_READ_FROM_REPLICAS=true is ignored: replicas are read only in cluster mode "
                      "(REDIS_CLUSTER_ENABLED=true) or behind Sentinel (REDIS_SENTINEL_NODES)");
    }
    if (redis.wait_replicas > 0 && !redis.configured) {
        out.push_back("REDIS_WAIT_REPLICAS=" + std::to_string(redis.wait_replicas) +
                      " is ignored: no Redis is configured, values are kept in process memory");
    }
}

void auth_warnings(const LoadedSettings& loaded, std::vector<std::string>& out) {
    const auto& auth = loaded.settings.auth;
    const auto& host = loaded.settings.http.host;
    if (auth.secret_key.empty()) {
        out.push_back("SECRET_KEY is not set: a random key is generated at start; tokens do not survive restarts; "
                      "only loopback HOST allowed");
        if (!detail::is_loopback_host(host)) {
            out.push_back("HOST=" + host + " is not a loopback address while SECRET_KEY is not set: set SECRET_KEY "
                          "to serve other hosts");
        }
    } else if (auth.secret_key.reveal().size() < kMinKeyBytes) {
        out.push_back("SECRET_KEY is shorter than 32 bytes: use at least 32 random bytes for HS256");
    }
    for (const auto& token : auth.static_tokens) {
        if (token.token.reveal().size() < kMinTokenChars) {
            out.push_back("API_TOKENS token of \"" + token.name + "\" is shorter than 32 characters");
        }
    }
}

// Least privilege: who may write, which tokens count, which keys and which
// endpoints are reachable, beyond what the roles say.
void access_warnings(const LoadedSettings& loaded, std::vector<std::string>& out) {
    const auto& auth = loaded.settings.auth;
    const auto& host = loaded.settings.http.host;
    // Without SECRET_KEY the key is random and the only JWT is the one the
    // service mints itself, with a roles claim: nothing rests on the default.
    if (!auth.secret_key.empty()) {
        if (auth.default_role != Role::read) {
            out.push_back("AUTH_DEFAULT_ROLE=" + std::string(to_string(auth.default_role)) +
                          ": every JWT signed with SECRET_KEY that has no roles or scope claim (an end user's access "
                          "token, say) may " + (auth.default_role == Role::admin ? "administer" : "write") +
                          "; keep the default read and give the tokens that need more a roles claim");
        }
        if (auth.audience.empty() && auth.issuer.empty()) {
            out.push_back("AUTH_AUDIENCE and AUTH_ISSUER are not set: every JWT signed with SECRET_KEY is accepted, "
                          "also one issued for another purpose with the same key; set either to what the issuer "
                          "puts in the tokens meant for this service");
        }
    }
    if (auth.key_prefixes.empty() && loaded.settings.redis.configured) {
        out.push_back(std::string("API_KEY_PREFIXES is not set: HTTP keys address every key of the ") +
                      (loaded.settings.redis.cluster_enabled ? "Redis Cluster" : "Redis database") +
                      " the service uses; give the service a Redis (or database) of its own, or set API_KEY_PREFIXES "
                      "to the prefixes its callers use");
    }
    if (auth.metrics_token.empty()) {
        if (!detail::is_loopback_host(host)) {
            out.push_back("METRICS_TOKEN is not set and HOST=" + host + " is not a loopback address: /metrics is "
                          "public to every host that reaches the port; set METRICS_TOKEN and give it to Prometheus");
        }
    } else if (auth.metrics_token.reveal().size() < kMinTokenChars) {
        out.push_back("METRICS_TOKEN is shorter than 32 characters");
    }
}

}  // namespace

std::vector<std::string> warnings(const LoadedSettings& loaded) {
    std::vector<std::string> out;
    const auto did_you_mean = [](const std::string& name) {
        const auto near = detail::closest_variable(name);
        return near ? " (ignored): did you mean " + *near + "?" : std::string{};
    };
    for (const auto& [name, line] : loaded.unknown_dotenv) {
        out.push_back("unknown variable " + name + " in .env line " + std::to_string(line) + did_you_mean(name));
    }
    for (const auto& name : loaded.unknown_env) {
        out.push_back("unknown variable " + name + " in the environment" + did_you_mean(name));
    }
    auth_warnings(loaded, out);
    access_warnings(loaded, out);
    redis_warnings(loaded, out);
    redis_connection_warnings(loaded, out);
    return out;
}

}  // namespace yooni::config
