// Keyspace-wide and monitoring work of redis::Cluster: delete by pattern over
// every master, the cluster/info document, describe().
#include "redis/cluster_impl.hpp"

#include <yooni/redis/cluster_nodes.hpp>
#include <yooni/redis/key_slot.hpp>
#include <yooni/redis/server_info.hpp>
#include <yooni/resp/encoder.hpp>

#include <boost/asio/this_coro.hpp>

#include <map>
#include <set>

namespace yooni::redis {

namespace asio = boost::asio;

namespace {

// Waits for a usable map (asking for one) until the deadline.
awaitable<std::shared_ptr<const SlotMap>> usable_map(Cluster::Impl* impl, Deadline deadline) {
    for (;;) {
        if (auto map = impl->snapshot()) co_return map;
        impl->request_refresh();
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) co_return nullptr;
        co_await pause_until(std::min(deadline, now + std::chrono::milliseconds(50)));
    }
}

}  // namespace

awaitable<result<std::size_t>> Cluster::delete_matching(std::string pattern, Deadline deadline) {
    Impl* impl = impl_.get();
    auto map = co_await usable_map(impl, deadline);
    if (!map) co_return make_error_code(errc::no_node);
    auto ex = co_await asio::this_coro::executor;
    std::vector<NodeAddress> todo = map->masters();
    std::set<NodeAddress> done;
    std::size_t deleted = 0;
    const auto count = std::to_string(impl->options.scan_count);
    while (!todo.empty()) {
        const NodeAddress node = todo.back();
        todo.pop_back();
        if (done.contains(node)) continue;
        std::string cursor = "0";
        bool lost = false;
        do {
            auto conn = impl->link(ex, node, false);
            std::string scan;
            resp::append_command(scan, {"SCAN", cursor, "MATCH", pattern, "COUNT", count});
            auto reply = co_await conn->execute_one(std::move(scan), deadline);
            if (!reply && reply.error() == make_error_code(errc::timeout)) co_return reply.error();
            if (!reply || (*reply)->is_error()) {
                // The node failed mid-scan (failover, restart): take the new
                // topology and scan every master not finished yet, this one's
                // successor included. Keys already unlinked are not counted twice.
                lost = true;
                break;
            }
            const auto& r = (*reply).reply();
            auto next = r.as_string(1);
            if (!next) co_return make_error_code(errc::server_error);
            cursor = std::string{*next};
            std::map<std::uint16_t, std::vector<std::string_view>> by_slot;
            for (std::size_t i : r.children(2))
                if (auto key = r.as_string(i)) by_slot[key_slot(*key)].push_back(*key);
            std::vector<Command> unlinks;
            for (auto& [slot, keys] : by_slot) {
                for (std::size_t at = 0; at < keys.size(); at += impl->options.unlink_batch) {
                    std::vector<std::string_view> args{"UNLINK"};
                    const auto end = std::min(keys.size(), at + impl->options.unlink_batch);
                    args.insert(args.end(), keys.begin() + static_cast<std::ptrdiff_t>(at),
                                keys.begin() + static_cast<std::ptrdiff_t>(end));
                    unlinks.push_back(make_command(args, slot));
                }
            }
            if (!unlinks.empty()) {
                auto gone = co_await run(std::move(unlinks), deadline);
                if (!gone) co_return gone.error();
                for (const auto& g : *gone)
                    if (auto k = g->as_integer()) deleted += static_cast<std::size_t>(*k);
            }
        } while (cursor != "0");
        if (!lost) {
            done.insert(node);
            continue;
        }
        impl->request_refresh();
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) co_return make_error_code(errc::timeout);
        co_await pause_until(std::min(deadline, now + std::chrono::milliseconds(200)));
        auto fresh = impl->snapshot();
        for (const auto& m : fresh->masters())
            if (!done.contains(m)) todo.push_back(m);
    }
    co_return deleted;
}

awaitable<result<std::optional<ClusterInfo>>> Cluster::cluster_info(Deadline deadline) {
    Impl* impl = impl_.get();
    auto map = co_await usable_map(impl, deadline);
    std::vector<NodeAddress> candidates;
    if (map) candidates = map->masters();
    for (const auto& s : impl->options.seeds) candidates.push_back(s);
    auto ex = co_await asio::this_coro::executor;
    for (const auto& node : candidates) {
        auto conn = impl->link(ex, node, false);
        std::string payload;
        resp::append_command(payload, {"CLUSTER", "INFO"});
        resp::append_command(payload, {"CLUSTER", "NODES"});
        auto replies = co_await conn->execute(std::move(payload), 2, deadline);
        if (!replies || (*replies)[0]->is_error() || (*replies)[1]->is_error()) continue;
        auto info_text = (*replies)[0]->as_string();
        auto nodes_text = (*replies)[1]->as_string();
        if (!info_text || !nodes_text) continue;
        auto info = parse_cluster_info(*info_text);
        auto nodes = parse_cluster_nodes(*nodes_text);
        if (!info || !nodes) continue;
        ClusterInfo doc;
        doc.info = std::move(*info);
        for (auto& n : *nodes) doc.nodes.push_back(ClusterNodeStatus{std::move(n), {}, {}, {}, {}});

        // Per node: role, keys, used memory and ops/s from its own INFO.
        std::vector<std::pair<std::size_t, NodeAddress>> asks;
        for (std::size_t i = 0; i < doc.nodes.size(); ++i) {
            const auto& n = doc.nodes[i].node;
            if (n.is_fail || n.address.empty()) continue;
            if (auto addr = NodeAddress::parse(n.address); addr && addr->port != 0) asks.emplace_back(i, *addr);
        }
        for (const auto& [i, addr] : asks) {
            auto c = impl->link(ex, addr, false);
            std::string info_cmd;
            resp::append_command(info_cmd, {"INFO"});
            auto got = co_await c->execute_one(std::move(info_cmd), std::min(deadline, std::chrono::steady_clock::now() +
                                                                                            std::chrono::milliseconds(500)));
            if (!got || (*got)->is_error()) continue;
            auto text = (*got)->as_string();
            if (!text) continue;
            const auto parsed = ServerInfo::parse(*text);
            auto& o = doc.nodes[i];
            if (auto role = parsed.role()) o.role = std::string{*role};
            o.keys = static_cast<std::int64_t>(parsed.total_keys());
            o.used_memory_bytes = parsed.used_memory_bytes();
            o.ops_per_sec = parsed.instantaneous_ops_per_sec();
        }
        co_return std::optional<ClusterInfo>{std::move(doc)};
    }
    co_return make_error_code(errc::no_node);
}

ClientStatus Cluster::status() const {
    ClusterStatus o;
    for (const auto& seed : impl_->options.seeds) o.seeds.push_back(seed.to_string());
    auto map = impl_->snapshot();
    o.connected = map != nullptr;
    o.covers_all_slots = map && map->covers_all_slots();
    o.masters = map ? map->masters().size() : 0;
    o.nodes = map ? map->all_nodes().size() : 0;
    o.slot_map_version = map ? map->version() : 0;
    o.read_from_replicas = impl_->options.read_from_replicas;
    o.counters = stats();
    o.connections = impl_->pool.size();
    o.last_error = last_error();
    o.uncovered_slots = map ? map->uncovered_slot_count() : std::size_t{kSlotCount};
    Impl::Health health;
    {
        std::lock_guard lock{impl_->error_mutex};
        health = impl_->health;
    }
    if (health.known)
        o.health = ClusterHealth{health.state,        health.slots_assigned, health.slots_ok, health.slots_pfail,
                                 health.slots_fail,   health.known_nodes,    health.size};
    return o;
}

}  // namespace yooni::redis
