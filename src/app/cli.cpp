// The operator commands (see cli.hpp): their options, and the dispatch of
// the one parsed to the file of its job (the list in cli_internal.hpp), with
// the settings, the logging and the deadline every command runs with.
//
// Exceptions are allowed here (house rules for src/app).
#include "app/cli.hpp"

#include "app/cli_internal.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <functional>

namespace yooni::app::cli {

struct Commands {
    CLI::App* config_check = nullptr;
    CLI::App* cluster_info = nullptr;
    CLI::App* cluster_nodes = nullptr;
    CLI::App* cluster_slots = nullptr;
    CLI::App* stats = nullptr;
    CLI::App* get = nullptr;
    CLI::App* set = nullptr;
    CLI::App* del = nullptr;
    CLI::App* healthcheck = nullptr;

    // Shared by every sub-command: only one is parsed per run.
    bool json = false;
    std::optional<long long> timeout_ms;
    std::string key;
    std::string value;
    std::optional<long long> ttl;
    std::optional<std::string> pattern;
    std::optional<std::string> url;
};

namespace {

// Logs to stderr, quiet unless LOG_LEVEL was set: the command's own lines
// say what went wrong, and stdout stays the document.
void setup_logging(const config::LoadedSettings& loaded) {
    auto logger = spdlog::stderr_logger_mt("yooni-cli");
    spdlog::set_default_logger(logger);
    const auto src = loaded.sources.find("LOG_LEVEL");
    const bool explicit_level = src != loaded.sources.end() && src->second != config::Source::default_value;
    spdlog::set_level(explicit_level ? spdlog::level::from_str(loaded.settings.log_level) : spdlog::level::err);
}

std::optional<int> make_context(const Commands& c, std::string name, Context& ctx) {
    ctx.name = std::move(name);
    ctx.json = c.json;
    ctx.loaded = load_settings();
    setup_logging(ctx.loaded);
    ctx.timeout = ctx.settings().http.request_timeout;
    if (c.timeout_ms) {
        if (*c.timeout_ms <= 0 || *c.timeout_ms > 86'400'000)
            return fail(ctx, kExitUsage, "--timeout " + std::to_string(*c.timeout_ms) +
                                             ": expected milliseconds, 1..86400000");
        ctx.timeout = std::chrono::milliseconds(*c.timeout_ms);
    }
    ctx.deadline = Clock::now() + ctx.timeout;
    return std::nullopt;
}

void add_common(CLI::App* cmd, Commands& c) {
    cmd->add_flag("--json", c.json, "Print one JSON document (stable keys) instead of text");
    cmd->add_option("--timeout", c.timeout_ms, "Deadline in ms (default HTTP_REQUEST_TIMEOUT_MS)");
}

}  // namespace

std::shared_ptr<Commands> add_commands(CLI::App& app, CLI::App& config_check) {
    auto c = std::make_shared<Commands>();
    c->config_check = &config_check;
    config_check.add_flag("--json", c->json, "Print one JSON document: settings with their source, warnings");

    auto* cluster = app.add_subcommand("cluster", "Redis Cluster state, from the nodes directly");
    cluster->require_subcommand(1);
    c->cluster_info = cluster->add_subcommand("info", "Cluster state, slots ok/pfail/fail, known nodes, size");
    c->cluster_nodes = cluster->add_subcommand("nodes", "Every node: role, link, slots, keys, memory, ops/s");
    c->cluster_slots = cluster->add_subcommand("slots", "Slot ranges with their master and replicas");
    for (auto* cmd : {c->cluster_info, c->cluster_nodes, c->cluster_slots}) add_common(cmd, *c);

    c->stats = app.add_subcommand("stats", "What the backend knows: client facts and Redis INFO figures");
    add_common(c->stats, *c);

    c->get = app.add_subcommand("get", "Print the JSON document stored under KEY (exit 3 when missing)");
    c->get->add_option("key", c->key, "Cache key")->required();
    add_common(c->get, *c);

    c->set = app.add_subcommand("set", "Store a JSON document under KEY");
    c->set->add_option("key", c->key, "Cache key")->required();
    c->set->add_option("json", c->value, "JSON document; - reads it from stdin")->required();
    c->set->add_option("--ttl", c->ttl, "Seconds to live (default CACHE_TTL_SECONDS; 0 = no expiry)");
    add_common(c->set, *c);

    c->del = app.add_subcommand("del", "Delete KEY, or every key matching --pattern (a Redis glob)");
    c->del->add_option("key", c->key, "Cache key");
    c->del->add_option("--pattern", c->pattern, "Redis glob, e.g. 'product:*' (deadline at least 60 s)");
    add_common(c->del, *c);

    c->healthcheck = app.add_subcommand("healthcheck", "GET /readyz of the running service (exit 0 when 200)");
    c->healthcheck->add_option("--url", c->url, "Service address, http://HOST:PORT[/path] (default from HOST and PORT)");
    add_common(c->healthcheck, *c);

    app.footer(
        "Exit codes: 0 ok; 1 failure (Redis unreachable or failing, deadline passed, service unhealthy); "
        "2 bad settings or command line, or the memory backend (it lives in the service); "
        "3 get: key not found; 4 cluster: not in cluster mode.");
    return c;
}

std::optional<int> run_parsed(const Commands& c) {
    Context ctx;
    auto with = [&](const char* name, const std::function<int(Context&)>& body) -> int {
        if (auto bad = make_context(c, name, ctx)) return *bad;
        return body(ctx);
    };
    try {
        if (c.config_check->parsed() && c.json) return config_check_json();
        if (c.cluster_info->parsed()) return with("cluster info", cluster_info);
        if (c.cluster_nodes->parsed()) return with("cluster nodes", cluster_nodes);
        if (c.cluster_slots->parsed()) return with("cluster slots", cluster_slots);
        if (c.stats->parsed()) return with("stats", stats);
        if (c.get->parsed()) return with("get", [&c](Context& x) { return get_key(x, c.key); });
        if (c.set->parsed()) return with("set", [&c](Context& x) { return set_key(x, c.key, c.value, c.ttl); });
        if (c.del->parsed()) return with("del", [&c](Context& x) { return delete_keys(x, c.key, c.pattern, c.timeout_ms); });
        if (c.healthcheck->parsed()) return with("healthcheck", [&c](Context& x) { return healthcheck(x, c.url); });
    } catch (const config::ConfigError&) {
        throw;
    } catch (const std::exception& e) {
        return fail(ctx, kExitFailure, e.what());
    }
    return std::nullopt;
}

}  // namespace yooni::app::cli
