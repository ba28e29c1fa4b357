// cluster info|nodes|slots (cli_internal.hpp): the cluster's state from the
// nodes directly, rendered as the service's GET
// /api/v1/monitoring/cache/cluster/info renders it; with Redis behind
// Sentinel, `cluster info` shows the Sentinels' view instead.
#include "app/cli_session.hpp"

#include <yooni/http/status_json.hpp>
#include <yooni/redis/slot_map.hpp>

#include <algorithm>
#include <cstdio>
#include <set>

namespace yooni::app::cli {

namespace json = boost::json;

namespace {

std::optional<int> refuse_not_cluster(const Context& ctx) {
    const auto& r = ctx.settings().redis;
    if (r.cluster_enabled) return std::nullopt;
    if (!r.sentinel_nodes.empty())
        return fail(ctx, kExitNotCluster,
                    "not in cluster mode (backend: Redis behind Sentinel, master \"" + r.sentinel_master +
                        "\"); `cluster info` shows the Sentinels' view");
    const std::string backend =
        r.configured ? "redis at " + r.host + ":" + std::to_string(r.port) : std::string{"memory"};
    return fail(ctx, kExitNotCluster,
                "not in cluster mode (backend: " + backend + "); set REDIS_CLUSTER_ENABLED=true and REDIS_CLUSTER_NODES");
}

std::optional<std::int64_t> int_field(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    if (it == o.end()) return std::nullopt;
    if (it->value().is_int64()) return it->value().get_int64();
    if (it->value().is_uint64()) return static_cast<std::int64_t>(it->value().get_uint64());
    return std::nullopt;
}

std::string str_field(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_string() ? std::string{it->value().get_string()} : std::string{};
}

bool has_flag(const json::object& node, std::string_view flag) {
    auto it = node.find("flags");
    if (it == node.end() || !it->value().is_array()) return false;
    for (const auto& f : it->value().get_array())
        if (f.is_string() && f.get_string() == flag) return true;
    return false;
}

// Fetches the cluster/info document (CLUSTER INFO, CLUSTER NODES, each node's INFO).
std::optional<int> fetch_cluster_info(const Context& ctx, Session& session, json::object& doc) {
    if (std::string why; !session.connect(why)) return fail(ctx, kExitFailure, why);
    auto got = session.run(session.backend().cluster_info(session.deadline()));
    if (!got) return fail(ctx, kExitFailure, session.timed_out());
    if (!*got) return fail(ctx, kExitFailure, "cannot read the cluster state: " + session.failure(got->error()));
    doc = http::cluster_info_json(**got);
    return std::nullopt;
}

// Redis behind Sentinel: the client's view of the Sentinels and the master.
int sentinel_info(const Context& ctx) {
    Session session{ctx};
    std::string why;
    session.connect(why);  // the view is shown either way: it says why no master is known
    const auto status = session.backend().status();
    auto doc = http::status_json(status);
    if (ctx.json) {
        print_json(doc);
        return kExitOk;
    }
    const auto& s = std::get<redis::SentinelStatus>(status);
    std::string sentinels, answered;
    for (const auto& n : s.sentinels) {
        sentinels += (sentinels.empty() ? "" : ",") + n.address;
        if (n.answered) answered += (answered.empty() ? "" : ",") + n.address;
    }
    std::string replicas;
    for (const auto& r : s.replicas) replicas += (replicas.empty() ? "" : ",") + r;
    print_pairs({{"master name", s.master_name},
                 {"master", s.master.empty() ? std::string{"-"} : s.master},
                 {"master confirmed", s.connected ? "yes" : "no"},
                 {"sentinels", sentinels},
                 {"sentinels answering", answered.empty() ? std::string{"-"} : answered},
                 {"following", s.subscribed.empty() ? std::string{"-"} : s.subscribed},
                 {"replicas", replicas.empty() ? std::string{"-"} : replicas},
                 {"failovers seen", std::to_string(s.failovers)},
                 {"last error", s.last_error.empty() ? std::string{"-"} : s.last_error}});
    return s.connected ? kExitOk : kExitFailure;
}

}  // namespace

int cluster_info(const Context& ctx) {
    if (!ctx.settings().redis.sentinel_nodes.empty()) return sentinel_info(ctx);
    if (auto refused = refuse_not_cluster(ctx)) return *refused;
    Session session{ctx};
    json::object doc;
    if (auto failed = fetch_cluster_info(ctx, session, doc)) return *failed;
    doc.erase("nodes");
    const int code = str_field(doc, "cluster_state") == "ok" ? kExitOk : kExitClusterNotOk;
    if (ctx.json) {
        print_json(doc);
        return code;
    }
    auto field = [&doc](std::string_view key) {
        auto it = doc.find(key);
        return it == doc.end() ? std::string{"-"} : text_of(it->value());
    };
    print_pairs({{"state", field("cluster_state")},
                 {"slots assigned", field("cluster_slots_assigned")},
                 {"slots ok", field("cluster_slots_ok")},
                 {"slots pfail", field("cluster_slots_pfail")},
                 {"slots fail", field("cluster_slots_fail")},
                 {"known nodes", field("cluster_known_nodes")},
                 {"size (masters with slots)", field("cluster_size")}});
    if (auto it = doc.find("warnings"); it != doc.end() && it->value().is_array())
        for (const auto& w : it->value().get_array())
            if (w.is_string()) std::printf("warning: %s\n", w.get_string().c_str());
    std::fflush(stdout);
    return code;
}

int cluster_nodes(const Context& ctx) {
    if (auto refused = refuse_not_cluster(ctx)) return *refused;
    Session session{ctx};
    json::object doc;
    if (auto failed = fetch_cluster_info(ctx, session, doc)) return *failed;
    std::vector<json::object> nodes;
    if (auto it = doc.find("nodes"); it != doc.end() && it->value().is_array())
        for (const auto& n : it->value().get_array())
            if (n.is_object()) nodes.push_back(n.get_object());

    auto role_of = [](const json::object& n) {
        auto role = str_field(n, "role");
        if (role == "slave") role = "replica";  // INFO's word
        if (role.empty()) role = has_flag(n, "master") ? "master" : has_flag(n, "slave") ? "replica" : "unknown";
        return role;
    };
    // Masters by address, each followed by its replicas; then nodes of no known master.
    std::vector<json::object> ordered;
    std::vector<bool> used(nodes.size(), false);
    std::vector<std::size_t> masters;
    for (std::size_t i = 0; i < nodes.size(); ++i)
        if (role_of(nodes[i]) == "master") masters.push_back(i);
    auto by_address = [&nodes](std::size_t a, std::size_t b) {  // host, then port as a number
        const auto x = str_field(nodes[a], "address"), y = str_field(nodes[b], "address");
        const auto px = redis::NodeAddress::parse(x), py = redis::NodeAddress::parse(y);
        return px && py ? *px < *py : x < y;
    };
    std::sort(masters.begin(), masters.end(), by_address);
    for (auto m : masters) {
        ordered.push_back(nodes[m]);
        used[m] = true;
        std::vector<std::size_t> replicas;
        const auto id = str_field(nodes[m], "id");
        for (std::size_t i = 0; i < nodes.size(); ++i)
            if (!used[i] && !id.empty() && str_field(nodes[i], "master_id") == id) replicas.push_back(i);
        std::sort(replicas.begin(), replicas.end(), by_address);
        for (auto r : replicas) {
            ordered.push_back(nodes[r]);
            used[r] = true;
        }
    }
    std::vector<std::size_t> rest;
    for (std::size_t i = 0; i < nodes.size(); ++i)
        if (!used[i]) rest.push_back(i);
    std::sort(rest.begin(), rest.end(), by_address);
    for (auto r : rest) ordered.push_back(nodes[r]);

    auto nullable_int = [](const json::object& n, std::string_view key) -> json::value {
        if (auto v = int_field(n, key)) return *v;
        return nullptr;
    };
    if (ctx.json) {
        json::array out;
        for (const auto& n : ordered) {
            json::object o;
            o["id"] = str_field(n, "id");
            o["address"] = str_field(n, "address");
            o["role"] = role_of(n);
            auto master = n.find("master_id");
            o["master_id"] = master != n.end() ? master->value() : json::value(nullptr);
            o["link_state"] = str_field(n, "link_state");
            auto flags = n.find("flags");
            o["flags"] = flags != n.end() ? flags->value() : json::value(json::array{});
            o["slot_count"] = int_field(n, "slot_count").value_or(0);
            auto slots = n.find("slots");
            o["slots"] = slots != n.end() ? slots->value() : json::value(json::array{});
            o["keys"] = nullable_int(n, "keys");
            o["used_memory_bytes"] = nullable_int(n, "used_memory_bytes");
            o["ops_per_sec"] = nullable_int(n, "ops_per_sec");
            out.push_back(std::move(o));
        }
        print_json(json::object{{"nodes", std::move(out)}});
        return kExitOk;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& n : ordered) {
        auto role = role_of(n);
        if (has_flag(n, "fail")) role += " (fail)";
        else if (has_flag(n, "fail?")) role += " (pfail)";
        const auto master = str_field(n, "master_id");
        const auto num = [&n](std::string_view key) {
            auto v = int_field(n, key);
            return v ? std::to_string(*v) : std::string{"-"};
        };
        const auto mem = int_field(n, "used_memory_bytes");
        rows.push_back({str_field(n, "id").substr(0, 8), str_field(n, "address"), role,
                        master.empty() ? "-" : master.substr(0, 8), str_field(n, "link_state"), num("slot_count"),
                        num("keys"), mem ? human_bytes(*mem) : "-", num("ops_per_sec")});
    }
    print_table({"ID", "ADDRESS", "ROLE", "MASTER", "LINK", "SLOTS", "KEYS", "MEMORY", "OPS/S"}, rows,
                {false, false, false, false, false, true, true, true, true});
    return kExitOk;
}

int cluster_slots(const Context& ctx) {
    if (auto refused = refuse_not_cluster(ctx)) return *refused;
    Session session{ctx};
    if (std::string why; !session.connect(why)) return fail(ctx, kExitFailure, why);
    auto map = session.cluster()->slot_map();
    if (!map) return fail(ctx, kExitFailure, "no slot map yet: " + session.timed_out());
    // CLUSTER SLOTS still lists a failed master's slots; the nodes' flags say
    // which masters are down (so those slots are served by no one).
    std::set<std::string> failing_masters;
    std::string state = "unknown";
    if (auto info = session.run(session.backend().cluster_info(session.deadline())); info && *info && **info) {
        if (auto it = (**info)->info.find("cluster_state"); it != (**info)->info.end()) state = it->second;
        for (const auto& n : (**info)->nodes)
            if (n.node.is_master && (n.node.is_fail || n.node.is_pfail) && n.node.slot_count > 0)
                failing_masters.insert(n.node.address);
    }
    struct Row {
        redis::SlotRange range;
        redis::NodeAddress master;
        std::vector<redis::NodeAddress> replicas;
    };
    std::vector<Row> rows;
    for (const auto& m : map->masters()) {
        for (const auto& r : map->ranges_of(m)) {
            auto replicas = map->replicas_for(r.first);
            rows.push_back({r, m, {replicas.begin(), replicas.end()}});
        }
    }
    std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.range.first < b.range.first; });
    const auto uncovered = map->uncovered_ranges();
    const auto covered = redis::kSlotCount - map->uncovered_slot_count();
    std::vector<redis::SlotRange> failing;
    std::size_t failing_slots = 0;
    for (const auto& r : rows)
        if (failing_masters.contains(r.master.to_string())) {
            failing.push_back(r.range);
            failing_slots += r.range.last - r.range.first + 1;
        }
    const int code = uncovered.empty() && failing.empty() && state == "ok" ? kExitOk : kExitClusterNotOk;
    auto range_text = [](const redis::SlotRange& r) {
        return r.first == r.last ? std::to_string(r.first) : std::to_string(r.first) + "-" + std::to_string(r.last);
    };
    if (ctx.json) {
        json::array ranges;
        for (const auto& r : rows) {
            json::array replicas;
            for (const auto& a : r.replicas) replicas.emplace_back(a.to_string());
            ranges.push_back(json::object{{"first", r.range.first},
                                          {"last", r.range.last},
                                          {"count", r.range.last - r.range.first + 1},
                                          {"master", r.master.to_string()},
                                          {"master_failing", failing_masters.contains(r.master.to_string())},
                                          {"replicas", std::move(replicas)}});
        }
        json::array missing;
        for (const auto& r : uncovered) missing.push_back(json::object{{"first", r.first}, {"last", r.last}});
        json::array down;
        for (const auto& r : failing) down.push_back(json::object{{"first", r.first}, {"last", r.last}});
        print_json(json::object{{"ranges", std::move(ranges)},
                                {"cluster_state", state},
                                {"slots_covered", covered},
                                {"slots_uncovered", map->uncovered_slot_count()},
                                {"uncovered", std::move(missing)},
                                {"slots_on_failing_masters", failing_slots},
                                {"failing", std::move(down)}});
        return code;
    }
    std::vector<std::vector<std::string>> table;
    for (const auto& r : rows) {
        std::vector<std::string> replicas;
        for (const auto& a : r.replicas) replicas.push_back(a.to_string());
        const bool down = failing_masters.contains(r.master.to_string());
        table.push_back({range_text(r.range), std::to_string(r.range.last - r.range.first + 1),
                         r.master.to_string() + (down ? " (FAIL)" : ""), replicas.empty() ? "-" : join(replicas, ",")});
    }
    print_table({"SLOTS", "COUNT", "MASTER", "REPLICAS"}, table, {false, true, false, false});
    if (!failing.empty()) {
        std::vector<std::string> text;
        for (const auto& r : failing) text.push_back(range_text(r));
        std::printf("%zu slots on failing masters, served by no node until a replica takes over or the master "
                    "returns: %s\n",
                    failing_slots, join(text).c_str());
    }
    if (state != "ok") std::printf("cluster_state: %s\n", state.c_str());
    if (uncovered.empty() && failing.empty()) {
        std::printf("all %zu slots covered\n", static_cast<std::size_t>(redis::kSlotCount));
    } else if (!uncovered.empty()) {
        std::vector<std::string> text;
        for (const auto& r : uncovered) text.push_back(range_text(r));
        std::printf("%zu of %zu slots covered; served by no node: %s\n", static_cast<std::size_t>(covered),
                    static_cast<std::size_t>(redis::kSlotCount), join(text).c_str());
    }
    std::fflush(stdout);
    return code;
}

}  // namespace yooni::app::cli
