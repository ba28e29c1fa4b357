// Rendering of cache::BackendStatus (see the header). Field names are the
// service's contract with the dashboard and operators' scripts.
#include <yooni/http/status_json.hpp>

#include <boost/json/array.hpp>

namespace yooni::http {

namespace {

namespace json = boost::json;

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

}  // namespace

json::object status_json(const cache::BackendStatus& status) {
    return std::visit([](const auto& s) { return render(s); }, status);
}

}  // namespace yooni::http
