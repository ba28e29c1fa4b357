// warnings(): settings that load but are weak or contradict each other.
// Each line says what is wrong and what happens; none holds a secret.
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
    if (!redis.url) return;
    std::vector<std::string> shadowed;
    for (const char* name : {"REDIS_HOST", "REDIS_PORT", "REDIS_DB", "REDIS_PASSWORD"}) {
        if (given(loaded, name)) shadowed.emplace_back(name);
    }
    if (!shadowed.empty()) out.push_back(join(shadowed) + " ignored: REDIS_URL is set and says where Redis is");
    const auto url = detail::parse_redis_url(*redis.url);
    if (!url) return;  // load() refused it already; not reached
    if (given(loaded, "REDIS_SSL") && redis.ssl != url.value->tls) {
        out.push_back(std::string("REDIS_SSL=") + (redis.ssl ? "true" : "false") + " ignored: REDIS_URL uses " +
                      (url.value->tls ? "rediss://" : (url.value->unix_socket ? "unix://" : "redis://")) +
                      ", and the URL scheme decides TLS (rediss:// for TLS)");
    }
    if (!url.value->ignored_parameters.empty()) {
        out.push_back("REDIS_URL parameters ignored: " + join(url.value->ignored_parameters));
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

}  // namespace

std::vector<std::string> warnings(const LoadedSettings& loaded) {
    std::vector<std::string> out;
    for (const auto& [name, line] : loaded.unknown_dotenv) {
        out.push_back("unknown variable " + name + " in .env line " + std::to_string(line));
    }
    auth_warnings(loaded, out);
    redis_warnings(loaded, out);
    return out;
}

}  // namespace yooni::config
