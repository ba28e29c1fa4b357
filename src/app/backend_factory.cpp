// Building the Redis client and the codec from the settings (see backend_factory.hpp).
#include "app/backend_factory.hpp"

#include <yooni/redis/cluster.hpp>
#include <yooni/redis/sentinel.hpp>
#include <yooni/redis/standalone.hpp>

namespace yooni::app {

namespace {

redis::NodeAddress node_address(const std::string& variable, const std::string& text) {
    auto a = redis::NodeAddress::parse(text);
    if (!a || a->port == 0) throw config::ConfigError(variable, variable + ": \"" + text + "\": expected host:port");
    return *a;
}

bool is_ip_literal(std::string_view host) {
    return host.find_first_not_of("0123456789.") == std::string_view::npos || host.find(':') != std::string_view::npos;
}

redis::ConnectionOptions connection_options(const config::RedisSettings& r, std::string username, std::string password,
                                            const std::string& endpoint_host) {
    redis::ConnectionOptions c;
    if (!password.empty()) {
        // Asked per connection: a provider of short-lived tokens fits here too.
        c.credentials = [username = std::move(username), password = std::move(password)] {
            return redis::Credentials{username, password};
        };
    }
    c.connect_timeout = r.connect_timeout;
    c.dead_peer_timeout = r.tcp_user_timeout;
    c.tls.enabled = r.ssl;
    c.tls.ca_file = r.tls_ca_file;
    // The certificate is checked against the configured endpoint's name, even
    // when the topology answers with IP addresses (ElastiCache).
    c.tls.server_name = !r.tls_server_name.empty() ? r.tls_server_name
                        : is_ip_literal(endpoint_host) ? std::string{} : endpoint_host;
    return c;
}

}  // namespace

codec::Options codec_options(const config::Settings& s) {
    const auto& c = s.cache;
    codec::Options o;
    o.compression_enabled = c.compression_enabled;
    o.threshold_bytes = c.compression_threshold_bytes;
    o.level = c.compression_level;
    o.format = c.value_format == config::ValueFormat::gzip ? codec::Format::gzip : codec::Format::legacy;
    o.max_decoded_bytes = s.http.max_body_bytes;
    return o;
}

namespace {
std::unique_ptr<redis::Client> with_near_cache(std::unique_ptr<redis::Client> client, const config::RedisSettings& r) {
    redis::NearCacheOptions near;
    near.max_bytes = r.near_cache_max_bytes;
    near.max_age = r.near_cache_ttl;
    near.stale_if_error = r.near_cache_stale_if_error;
    client->use_near_cache(near);
    return client;
}
std::unique_ptr<redis::Client> make_client(const config::RedisSettings& r);
}  // namespace

std::unique_ptr<redis::Client> make_redis_client(const config::RedisSettings& r) {
    return with_near_cache(make_client(r), r);
}

namespace {
std::unique_ptr<redis::Client> make_client(const config::RedisSettings& r) {
    if (r.cluster_enabled) {
        redis::ClusterOptions o;
        for (const auto& n : r.cluster_nodes) o.seeds.push_back(node_address("REDIS_CLUSTER_NODES", n));
        o.connection = connection_options(r, r.cluster_username, r.cluster_password.reveal(), o.seeds.front().host);
        for (const auto& [announced, reachable] : r.address_map)
            o.address_map[node_address("REDIS_CLUSTER_ADDRESS_MAP", announced)] =
                node_address("REDIS_CLUSTER_ADDRESS_MAP", reachable);
        o.read_from_replicas = r.read_from_replicas;
        o.refresh_interval = r.refresh_interval;
        return std::make_unique<redis::Cluster>(std::move(o));
    }
    if (!r.sentinel_nodes.empty()) {
        // The Sentinels with their own credentials; the data nodes with
        // REDIS_PASSWORD (or REDIS_URL's), REDIS_DB and the TLS settings.
        redis::SentinelOptions o;
        for (const auto& n : r.sentinel_nodes) o.sentinels.push_back(node_address("REDIS_SENTINEL_NODES", n));
        o.master_name = r.sentinel_master;
        o.sentinel_connection =
            connection_options(r, r.sentinel_username, r.sentinel_password.reveal(), o.sentinels.front().host);
        o.connection = connection_options(r, r.username, r.password.reveal(), r.tls_server_name);
        o.connection.db = r.db;
        o.read_from_replicas = r.read_from_replicas;
        return std::make_unique<redis::Sentinel>(std::move(o));
    }
    redis::StandaloneOptions o;
    o.connection = connection_options(r, r.username, r.password.reveal(), r.host);
    o.connection.host = r.host;
    o.connection.port = r.port;
    o.connection.db = r.db;
    return std::make_unique<redis::Standalone>(std::move(o));
}
}  // namespace

}  // namespace yooni::app
