// Rendering of cache::BackendStatus (see the header). Field names are the
// service's contract with the dashboard and operators' scripts.
#include <yooni/http/status_json.hpp>

#include <boost/json/array.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

namespace yooni::http {

namespace {

namespace json = boost::json;

json::value info_value(const std::map<std::string, std::string>& info, const char* key) {
    const auto it = info.find(key);
    if (it == info.end()) return nullptr;
    std::int64_t number = 0;
    const auto* end = it->second.data() + it->second.size();
    if (auto [p, ec] = std::from_chars(it->second.data(), end, number); ec == std::errc{} && p == end && p != it->second.data())
        return number;
    return json::string{it->second};
}

json::array strings(const std::vector<std::string>& items) {
    json::array out;
    out.reserve(items.size());
    for (const auto& item : items) out.emplace_back(item);
    return out;
}

std::string percent(double fraction) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f%%", fraction * 100.0);
    return buf;
}

double round4(double x) { return std::round(x * 10000.0) / 10000.0; }

json::object render(const cache::MemoryStatus& s) {
    return {{"backend", "memory"},
            {"entries", s.entries},
            {"bytes", s.bytes},
            {"max_bytes", s.max_bytes},
            {"evictions", s.evictions},
            {"expirations", s.expirations}};
}

json::object render(const redis::StandaloneStatus& s) {
    return {{"backend", "redis"},       {"address", s.address},         {"db", s.db},
            {"tls", s.tls},             {"connected", s.connected},     {"connections", s.connections},
            {"connects", s.connects},   {"commands", s.commands},       {"writes", s.writes},
            {"abandoned", s.abandoned}, {"last_error", s.last_error}};
}

json::object render(const redis::ClusterStatus& s) {
    json::array seeds;
    for (const auto& seed : s.seeds) seeds.emplace_back(seed);
    const auto& c = s.counters;
    json::object o{{"backend", "redis-cluster"},
                   {"seeds", std::move(seeds)},
                   {"connected", s.connected},
                   {"covers_all_slots", s.covers_all_slots},
                   {"masters", s.masters},
                   {"nodes", s.nodes},
                   {"slot_map_version", s.slot_map_version},
                   {"read_from_replicas", s.read_from_replicas},
                   {"counters",
                    json::object{{"moved", c.moved},
                                 {"ask", c.ask},
                                 {"tryagain", c.tryagain},
                                 {"clusterdown", c.clusterdown},
                                 {"loading", c.loading},
                                 {"readonly", c.readonly},
                                 {"retries", c.retries},
                                 {"refreshes", c.refreshes},
                                 {"refresh_failures", c.refresh_failures},
                                 {"connects", c.connects},
                                 {"connect_attempts", c.connect_attempts}}},
                   {"connections", s.connections},
                   {"last_error", s.last_error},
                   {"uncovered_slots", s.uncovered_slots}};
    o["masters_without_replica"] = strings(s.masters_without_replica);
    if (const auto& h = s.health)
        o["cluster_health"] = json::object{{"state", h->state},
                                           {"slots_assigned", h->slots_assigned},
                                           {"slots_ok", h->slots_ok},
                                           {"slots_pfail", h->slots_pfail},
                                           {"slots_fail", h->slots_fail},
                                           {"known_nodes", h->known_nodes},
                                           {"size", h->size}};
    return o;
}

json::object render(const redis::SentinelStatus& s) {
    json::array sentinels;
    for (const auto& n : s.sentinels)
        sentinels.emplace_back(json::object{{"address", n.address}, {"answered", n.answered}, {"last_error", n.last_error}});
    return {{"backend", "redis-sentinel"},
            {"master_name", s.master_name},
            {"sentinels", std::move(sentinels)},
            {"subscribed", s.subscribed},
            {"master", s.master.empty() ? json::value(nullptr) : json::value(s.master)},
            {"connected", s.connected},
            {"replicas", strings(s.replicas)},
            {"read_from_replicas", s.read_from_replicas},
            {"db", s.db},
            {"tls", s.tls},
            {"failovers", s.failovers},
            {"switch_events", s.switch_events},
            {"lookups", s.lookups},
            {"lookup_failures", s.lookup_failures},
            {"retries", s.retries},
            {"connections", s.connections},
            {"connects", s.connects},
            {"commands", s.commands},
            {"writes", s.writes},
            {"abandoned", s.abandoned},
            {"last_error", s.last_error}};
}

}  // namespace

json::object stats_json(const cache::Stats& s) {
    const auto h = s.hits.load(std::memory_order_relaxed);
    const auto m = s.misses.load(std::memory_order_relaxed);
    const auto total = h + m;
    json::object out;
    out["hits"] = h;
    out["misses"] = m;
    out["sets"] = s.sets.load(std::memory_order_relaxed);
    out["deletes"] = s.deletes.load(std::memory_order_relaxed);
    out["errors"] = s.errors.load(std::memory_order_relaxed);
    out["decode_errors"] = s.decode_errors.load(std::memory_order_relaxed);
    out["total_requests"] = total;
    out["hit_rate"] = percent(total ? static_cast<double>(h) / static_cast<double>(total) : 0.0);

    const auto count = s.compressed_count.load(std::memory_order_relaxed);
    const auto original = s.total_original_size.load(std::memory_order_relaxed);
    const auto stored = s.total_compressed_size.load(std::memory_order_relaxed);
    json::object compression;
    compression["compressed_count"] = count;
    compression["total_original_size"] = original;
    compression["total_compressed_size"] = stored;
    const double ratio = original ? static_cast<double>(stored) / static_cast<double>(original) : 0.0;
    compression["avg_compression_ratio"] = round4(ratio);
    if (count > 0) {
        compression["space_saved_bytes"] = original >= stored ? original - stored : 0;
        compression["space_saved_percentage"] = percent(1.0 - ratio);
        compression["avg_compression_ratio_percentage"] = percent(ratio);
    }
    out["compression"] = std::move(compression);

    json::object lat;
    for (std::size_t i = 0; i < cache::kOpCount; ++i) {
        auto snap = s.latency[i].snapshot();
        if (snap.count == 0) continue;
        json::object o;
        o["count"] = snap.count;
        o["avg_ms"] = round4(snap.sum_seconds * 1000.0 / static_cast<double>(snap.count));
        // Upper bound of the bucket holding the 99th percentile.
        std::uint64_t seen = 0, target = (snap.count * 99 + 99) / 100;
        double p99 = cache::kLatencyBucketsSeconds.back();
        for (std::size_t b = 0; b < snap.counts.size(); ++b) {
            seen += snap.counts[b];
            if (seen >= target) {
                p99 = b < cache::kLatencyBucketsSeconds.size() ? cache::kLatencyBucketsSeconds[b] : INFINITY;
                break;
            }
        }
        o["p99_ms_upper_bound"] = std::isinf(p99) ? json::value(nullptr) : json::value(p99 * 1000.0);
        o["errors"] = s.op_errors[i].load(std::memory_order_relaxed);
        lat[cache::to_string(static_cast<cache::Op>(i))] = std::move(o);
    }
    out["latency"] = std::move(lat);
    return out;
}

json::object status_json(const cache::BackendStatus& status) {
    return std::visit([](const auto& s) { return render(s); }, status);
}

json::object cluster_info_json(const std::optional<redis::ClusterInfo>& info) {
    if (!info) return {{"cluster_enabled", false}, {"message", "Cache is not running in cluster mode"}};
    json::object out;
    out["cluster_enabled"] = true;
    for (const auto* key : {"cluster_state", "cluster_size", "cluster_known_nodes", "cluster_slots_assigned",
                            "cluster_slots_ok", "cluster_slots_pfail", "cluster_slots_fail"})
        out[key] = info_value(info->info, key);
    json::array list;
    list.reserve(info->nodes.size());
    for (const auto& status : info->nodes) {
        const auto& node = status.node;
        json::object item;
        item["id"] = node.id;
        item["address"] = node.address;
        item["flags"] = strings(node.flags);
        if (node.master_id) item["master_id"] = *node.master_id;
        else item["master_id"] = nullptr;
        item["ping_sent"] = node.ping_sent;
        item["pong_recv"] = node.pong_recv;
        item["config_epoch"] = node.config_epoch;
        item["link_state"] = node.link_state;
        item["slots"] = strings(node.slots);
        // Additions after the Python system's fields; its readers ignore them.
        item["hostname"] = node.hostname;
        item["role"] = status.role ? *status.role : node.is_master ? "master" : node.is_replica ? "replica" : "unknown";
        item["slot_count"] = node.slot_count;
        item["migrating"] = strings(node.migrating);
        item["importing"] = strings(node.importing);
        if (status.keys) item["keys"] = *status.keys;
        if (status.used_memory_bytes) item["used_memory_bytes"] = *status.used_memory_bytes;
        if (status.ops_per_sec) item["ops_per_sec"] = *status.ops_per_sec;
        if (status.not_asked) item["not_asked"] = *status.not_asked;
        list.emplace_back(std::move(item));
    }
    out["nodes"] = std::move(list);
    // What an operator should know before the next failure.
    json::array warnings;
    std::vector<redis::ClusterNodeInfo> nodes;
    for (const auto& status : info->nodes) nodes.push_back(status.node);
    for (const auto& address : redis::masters_without_replica(nodes))
        warnings.emplace_back("master " + address + " has no replica: while it is down its slots (and, with "
                              "cluster-require-full-coverage yes, every key) are refused");
    for (const auto& status : info->nodes)
        if (status.not_asked && !status.node.is_fail)
            warnings.emplace_back("node " + status.node.address + " did not answer: " + *status.not_asked);
    out["warnings"] = std::move(warnings);
    return out;
}

}  // namespace yooni::http
