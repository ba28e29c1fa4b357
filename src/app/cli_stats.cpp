// stats (cli_internal.hpp): what the backend knows: this command's client's
// facts, and the figures of every master's INFO summed. The cache's own
// counters are per service process (kServiceCountersNote).
#include "app/cli_session.hpp"

#include <yooni/http/status_json.hpp>
#include <yooni/redis/server_info.hpp>

#include <cstdio>

namespace yooni::app::cli {

namespace json = boost::json;

namespace {

constexpr const char* kServiceCountersNote =
    "hits, misses, sets, hit rate and latency of the cache are counted per service process: "
    "GET /api/v1/monitoring/cache/stats on the running service";

}  // namespace

int stats(const Context& ctx) {
    if (auto refused = refuse_memory(ctx)) return *refused;
    Session session{ctx};
    if (std::string why; !session.connect(why)) return fail(ctx, kExitFailure, why);

    // INFO from every master (a cluster: routed by a slot each one serves), in parallel.
    std::vector<std::string> asked;
    std::vector<redis::Command> commands;
    const std::vector<std::string_view> info_args{"INFO"};
    if (auto* cluster = session.cluster()) {
        if (auto map = cluster->slot_map()) {
            for (const auto& m : map->masters()) {
                auto ranges = map->ranges_of(m);
                if (ranges.empty()) continue;
                commands.push_back(redis::make_command(info_args, ranges.front().first));
                asked.push_back(m.to_string());
            }
        }
    } else {
        commands.push_back(redis::make_command(info_args, 0));
        asked.push_back(ctx.settings().redis.host + ":" + std::to_string(ctx.settings().redis.port));
    }
    auto replies = session.run(session.client().run(std::move(commands), session.deadline()));
    if (!replies) return fail(ctx, kExitFailure, session.timed_out());
    if (!*replies) return fail(ctx, kExitFailure, "INFO failed: " + session.failure(replies->error()));

    const auto db = ctx.settings().redis.cluster_enabled ? 0u : static_cast<std::uint32_t>(ctx.settings().redis.db);
    std::int64_t keys = 0, memory = 0, ops = 0, hits = 0, misses = 0, expired = 0, evicted = 0, clients = 0;
    std::string version;
    json::array errors;
    for (std::size_t i = 0; i < (*replies)->size(); ++i) {
        const auto& reply = (**replies)[i];
        auto text = reply->as_string();
        if (reply->is_error() || !text) {
            errors.emplace_back(asked[i] + ": " + std::string{reply->error_message()});
            continue;
        }
        const auto info = redis::ServerInfo::parse(*text);
        for (const auto& d : info.keyspace())
            if (d.index == db) keys += d.keys;
        memory += info.used_memory_bytes().value_or(0);
        ops += info.instantaneous_ops_per_sec().value_or(0);
        hits += info.get_int("keyspace_hits").value_or(0);
        misses += info.get_int("keyspace_misses").value_or(0);
        expired += info.get_int("expired_keys").value_or(0);
        evicted += info.get_int("evicted_keys").value_or(0);
        clients += info.connected_clients().value_or(0);
        if (version.empty()) version = std::string{info.redis_version().value_or("")};
    }
    const double rate = hits + misses > 0 ? static_cast<double>(hits) / static_cast<double>(hits + misses) : 0.0;
    json::array nodes;
    for (const auto& a : asked) nodes.emplace_back(a);
    json::object server{{"nodes", std::move(nodes)},
                        {"redis_version", version},
                        {"db", db},
                        {"keys", keys},
                        {"used_memory_bytes", memory},
                        {"ops_per_sec", ops},
                        {"keyspace_hits", hits},
                        {"keyspace_misses", misses},
                        {"keyspace_hit_rate", rate},
                        {"expired_keys", expired},
                        {"evicted_keys", evicted},
                        {"connected_clients", clients},
                        {"errors", std::move(errors)}};
    auto backend = http::status_json(session.backend().status());
    if (ctx.json) {
        print_json(json::object{{"backend", std::move(backend)},
                                {"redis", std::move(server)},
                                {"service_counters", kServiceCountersNote}});
        return kExitOk;
    }
    std::vector<std::pair<std::string, std::string>> pairs;
    flatten(backend, "", pairs);
    std::printf("# backend (this command's client)\n");
    print_pairs(pairs);
    char rate_text[32];
    std::snprintf(rate_text, sizeof rate_text, "%.2f%%", rate * 100);
    std::printf("\n# redis (INFO of %zu master%s, summed)\n", asked.size(), asked.size() == 1 ? "" : "s");
    std::vector<std::pair<std::string, std::string>> redis_pairs{
        {"nodes", join(asked)},
        {"redis_version", version.empty() ? "-" : version},
        {"keys (db " + std::to_string(db) + ")", std::to_string(keys)},
        {"used_memory", human_bytes(memory) + " (" + std::to_string(memory) + " bytes)"},
        {"ops_per_sec", std::to_string(ops)},
        {"keyspace_hits", std::to_string(hits)},
        {"keyspace_misses", std::to_string(misses)},
        {"keyspace_hit_rate", rate_text},
        {"expired_keys", std::to_string(expired)},
        {"evicted_keys", std::to_string(evicted)},
        {"connected_clients", std::to_string(clients)}};
    for (const auto& e : server.at("errors").as_array()) redis_pairs.emplace_back("error", text_of(e));
    print_pairs(redis_pairs);
    std::printf("\nnote: %s\n", kServiceCountersNote);
    std::fflush(stdout);
    return kExitOk;
}

}  // namespace yooni::app::cli
