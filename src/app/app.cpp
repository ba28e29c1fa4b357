// Sub-commands and start-up. Exceptions are allowed here (house rules): a bad
// setting is reported once, in one line, and the process exits with code 2.
#include <yooni/app/app.hpp>

#include "app/backend_factory.hpp"
#include "app/cli.hpp"

#include <yooni/cache/cache.hpp>
#include <yooni/cache/memory_backend.hpp>
#include <yooni/cache/redis_backend.hpp>
#include <yooni/config/settings.hpp>
#include <yooni/http/api.hpp>
#include <yooni/http/jwt.hpp>
#include <yooni/http/server.hpp>

#include <CLI/CLI.hpp>
#include <openssl/rand.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>
#include <system_error>
#include <thread>

namespace yooni::app {

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitBadSettings = 2;

bool is_loopback(std::string_view host) {
    return host == "localhost" || host == "::1" || host == "[::1]" || host.starts_with("127.");
}

std::string random_hex(std::size_t bytes) {
    std::string raw(bytes, '\0');
    RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(raw.size()));
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : raw) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 15]);
    }
    return out;
}

void setup_logging(const std::string& level) {
    auto logger = spdlog::stderr_color_mt("yooni");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
    spdlog::set_level(spdlog::level::from_str(level));
}

http::ServerOptions server_options(const config::HttpSettings& h) {
    http::ServerOptions o;
    o.host = h.host;
    o.port = h.port;
    o.threads = h.worker_threads;
    o.max_connections = h.max_connections;
    o.max_header_bytes = h.max_header_bytes;
    o.max_body_bytes = h.max_body_bytes;
    o.header_timeout = h.header_timeout;
    o.body_timeout = h.body_timeout;
    o.write_timeout = h.write_timeout;
    o.idle_timeout = h.idle_timeout;
    o.request_timeout = h.request_timeout;
    o.shutdown_grace = h.shutdown_grace;
    return o;
}

config::LoadedSettings load_settings() { return config::load(config::read_environment(".")); }

// The memory backend by default; Redis when configured. If Redis cannot be
// reached at start the service still starts (not ready, 503s, reconnecting),
// unless REDIS_FALLBACK_TO_MEMORY asks for the Python system's fallback.
std::unique_ptr<cache::Backend> make_backend(const config::Settings& s) {
    if (!s.redis.configured) return std::make_unique<cache::MemoryBackend>(s.cache.memory_max_bytes);
    auto client = make_redis_client(s.redis);
    client->start();
    if (s.redis.fallback_to_memory) {
        const auto until = std::chrono::steady_clock::now() + s.redis.connect_timeout + std::chrono::seconds(1);
        while (!client->ready() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (!client->ready()) {
            spdlog::warn("app.redis_fallback backend=memory reason=redis_unreachable_at_start");
            client->stop();
            return std::make_unique<cache::MemoryBackend>(s.cache.memory_max_bytes);
        }
    }
    spdlog::info("app.backend kind={}", client->kind());
    return std::make_unique<cache::RedisBackend>(
        std::move(client), cache::RedisBackendOptions{s.redis.wait_replicas, s.redis.wait_timeout});
}

int serve(std::optional<std::string> host, std::optional<std::uint16_t> port) {
    auto loaded = load_settings();
    auto& s = loaded.settings;
    if (host) s.http.host = *host;
    if (port) s.http.port = *port;
    setup_logging(s.log_level);
    // Every warning `config check` prints, in the log at start too.
    for (const auto& w : config::warnings(loaded)) spdlog::warn("config.warning {}", w);
    if (!s.auth.secret_key.empty() && s.auth.secret_key.reveal().size() < 32 && !is_loopback(s.http.host))
        throw config::ConfigError("SECRET_KEY", "SECRET_KEY is shorter than 32 bytes while the service listens on " +
                                                    s.http.host + ", which is not loopback; use 32+ random bytes");

    std::string dev_token;
    if (s.auth.secret_key.empty()) {
        if (!is_loopback(s.http.host))
            throw config::ConfigError("SECRET_KEY", "SECRET_KEY is not set: the service listens on " + s.http.host +
                                                        ", which is not loopback; set SECRET_KEY (32+ random bytes)");
        s.auth.secret_key = config::Secret{random_hex(32)};
        dev_token = http::mint_jwt(s.auth.secret_key.reveal(), "local-admin", config::Role::admin,
                                   std::chrono::hours(24), std::chrono::system_clock::now(), s.auth.audience,
                                   s.auth.issuer);
    }

    std::unique_ptr<cache::Backend> backend_owner = make_backend(s);
    cache::Backend& backend = *backend_owner;
    auto* redis_backend = dynamic_cast<cache::RedisBackend*>(&backend);
    // Every backend stores CACHE_VALUE_FORMAT's bytes: one value has one
    // entity tag (SHA-1 of the stored bytes) and one compressed size on the
    // memory store, a single Redis and a cluster alike.
    auto codec = codec_options(s);
    cache::Cache cache{backend, codec::Codec{codec}, cache::CacheOptions{s.cache.ttl}};
    http::JwtOptions jwt{s.auth.secret_key.reveal(), s.auth.leeway, s.auth.admin_subjects, s.auth.default_role,
                         s.auth.audience, s.auth.issuer};
    http::Authenticator auth{jwt, s.auth.static_tokens};
    http::ApiOptions api_options;
    api_options.max_key_bytes = s.http.max_key_bytes;
    api_options.max_batch_keys = s.http.max_batch_keys;
    api_options.max_response_bytes = s.http.max_response_bytes;
    api_options.gzip_min_bytes = s.http.gzip_min_bytes;
    api_options.default_ttl = s.cache.ttl;
    api_options.key_prefixes = s.auth.key_prefixes;
    api_options.metrics_token = s.auth.metrics_token;
    http::Api api{cache, auth, std::move(api_options)};
    http::Server server{api, server_options(s.http)};

    http::Server::block_shutdown_signals();
    try {
        server.start();
    } catch (const std::system_error& e) {
        std::fprintf(stderr, "yooni-cache: cannot listen on %s:%u: %s\n", s.http.host.c_str(),
                     static_cast<unsigned>(s.http.port), e.what());
        return kExitFailure;
    }
    std::printf("yooni-cache listening on http://%s:%u (backend: %s)\n", s.http.host.c_str(),
                static_cast<unsigned>(server.port()), std::string{backend.kind()}.c_str());
    if (!dev_token.empty()) {
        std::printf("SECRET_KEY is not set: a random key was generated for this run (loopback only).\n"
                    "Admin token, valid 24 hours:\n%s\n", dev_token.c_str());
    }
    std::fflush(stdout);
    server.run_until_signal();
    // Redis connections belong to the workers' io_contexts: close them while
    // those still exist (the server destroys them when it goes).
    if (redis_backend) redis_backend->client().stop();
    return kExitOk;
}

int config_check() {
    auto loaded = load_settings();
    if (!loaded.dotenv_path.empty()) std::printf("# read %s\n", loaded.dotenv_path.c_str());
    for (const auto& line : config::describe(loaded)) std::printf("%s\n", line.c_str());
    auto warns = config::warnings(loaded);
    for (const auto& w : warns) std::printf("warning: %s\n", w.c_str());
    std::printf("%s\n", warns.empty() ? "settings ok" : "settings ok, with warnings");
    return kExitOk;
}

int mint_token(const std::string& sub, const std::string& role_text, long long ttl_seconds) {
    auto loaded = load_settings();
    const auto& key = loaded.settings.auth.secret_key;
    if (key.empty()) throw config::ConfigError("SECRET_KEY", "SECRET_KEY is not set: cannot sign a token");
    auto role = config::parse_role(role_text);
    if (!role) {
        std::fprintf(stderr, "yooni-cache token: --role \"%s\": expected read, write or admin\n", role_text.c_str());
        return kExitBadSettings;
    }
    if (ttl_seconds <= 0) {
        std::fprintf(stderr, "yooni-cache token: --ttl %lld: expected a positive number of seconds\n", ttl_seconds);
        return kExitBadSettings;
    }
    const auto& auth = loaded.settings.auth;
    std::printf("%s\n", http::mint_jwt(key.reveal(), sub, *role, std::chrono::seconds(ttl_seconds),
                                       std::chrono::system_clock::now(), auth.audience, auth.issuer)
                            .c_str());
    return kExitOk;
}

}  // namespace

int run(int argc, char** argv) {
    CLI::App cli{"yooni-cache: the cache tier of the Yooni Dropshipping System"};
    cli.require_subcommand(0, 1);

    auto* serve_cmd = cli.add_subcommand("serve", "Run the HTTP service (the default)");
    std::optional<std::string> host;
    std::optional<std::uint16_t> port;
    serve_cmd->add_option("--host", host, "Address to listen on (overrides HOST)");
    serve_cmd->add_option("--port", port, "Port to listen on (overrides PORT)");

    auto* config_cmd = cli.add_subcommand("config", "Settings");
    auto* check_cmd = config_cmd->add_subcommand("check", "Print the effective settings (secrets masked) and warnings");
    config_cmd->require_subcommand(1);

    auto* token_cmd = cli.add_subcommand("token", "Mint a bearer token signed with SECRET_KEY");
    std::string sub, role = "read";
    long long ttl = 3600;
    token_cmd->add_option("--sub", sub, "Subject (user id)")->required();
    token_cmd->add_option("--role", role, "read, write or admin")->capture_default_str();
    token_cmd->add_option("--ttl", ttl, "Seconds until the token expires")->capture_default_str();

    auto* version_cmd = cli.add_subcommand("version", "Print the version");

    // Operator commands (cluster, stats, get, set, del, healthcheck; config check --json): src/app/cli*.cpp.
    auto operator_cmds = cli::add_commands(cli, *check_cmd);

    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = cli.exit(e);
        return code == 0 ? kExitOk : kExitBadSettings;
    }
    try {
        if (version_cmd->parsed()) {
            std::printf("yooni-cache 0.1.0\n");
            return kExitOk;
        }
        if (auto code = cli::run_parsed(*operator_cmds)) return *code;
        if (check_cmd->parsed()) return config_check();
        if (token_cmd->parsed()) return mint_token(sub, role, ttl);
        return serve(host, port);
    } catch (const config::ConfigError& e) {
        std::fprintf(stderr, "yooni-cache: %s\n", e.what());
        return kExitBadSettings;
    }
}

}  // namespace yooni::app
