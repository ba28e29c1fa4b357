// Keyspace-wide and monitoring work of redis::Cluster: delete by pattern over
// every master, the cluster/info document, describe().
#include "redis/cluster_impl.hpp"

#include <yooni/redis/cluster_nodes.hpp>
#include <yooni/redis/key_slot.hpp>
#include <yooni/redis/server_info.hpp>
#include <yooni/resp/encoder.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
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

awaitable<result<std::size_t>> Cluster::unlink_matching(std::string pattern, Deadline deadline) {
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

namespace {

using Answer = result<std::vector<OwnedReply>>;

// Answers of several nodes asked at once; completed on the caller's executor.
struct Gather {
    std::vector<std::optional<Answer>> answers;
    std::size_t outstanding = 0;
    bool succeeded = false;  // one answer without an error reply arrived
    asio::steady_timer wake;
    Gather(asio::any_io_executor ex, std::size_t n) : answers(n), outstanding(n), wake(ex) {
        wake.expires_at(std::chrono::steady_clock::time_point::max());
    }
};

bool good(const Answer& a) {
    if (!a) return false;
    for (const auto& r : *a)
        if (r->is_error()) return false;
    return true;
}

awaitable<Answer> ask_one(std::shared_ptr<Connection> conn, std::string payload, std::size_t count, Deadline deadline) {
    co_return co_await conn->execute(std::move(payload), count, deadline);
}

// Sends `payload` (`count` commands) to every node at once, each with its own
// deadline, so a node that hangs costs only its own share. Returns when all
// have answered or, with `first_good`, as soon as one answered without an error
// (the others finish in the background, by their deadline).
awaitable<std::shared_ptr<Gather>> ask_nodes(Cluster::Impl* impl, const std::vector<NodeAddress>& nodes,
                                             const std::string& payload, std::size_t count, Deadline deadline,
                                             bool first_good) {
    auto ex = co_await asio::this_coro::executor;
    auto gather = std::make_shared<Gather>(ex, nodes.size());
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        auto conn = impl->link(ex, nodes[i], false);
        asio::co_spawn(ex, ask_one(std::move(conn), payload, count, deadline),
                       [gather, i](std::exception_ptr e, Answer a) {
                           gather->answers[i] = e ? Answer{make_error_code(errc::closed)} : std::move(a);
                           gather->succeeded = gather->succeeded || good(*gather->answers[i]);
                           --gather->outstanding;
                           gather->wake.cancel();
                       });
    }
    while (gather->outstanding > 0 && !(first_good && gather->succeeded)) {
        auto [ec] = co_await gather->wake.async_wait(asio::as_tuple(asio::use_awaitable));
        (void)ec;
    }
    co_return gather;
}

std::string why_not(const std::optional<Answer>& a) {
    if (!a) return "no answer before the deadline";
    if (!*a) return a->error() == make_error_code(errc::timeout) ? "no answer before the deadline" : a->error().message();
    for (const auto& r : **a)
        if (r->is_error()) return "answered an error: " + std::string{r->error_message().substr(0, 120)};
    return {};
}

}  // namespace

awaitable<result<std::optional<ClusterInfo>>> Cluster::cluster_info(Deadline deadline) {
    Impl* impl = impl_.get();
    auto map = co_await usable_map(impl, deadline);
    std::vector<NodeAddress> candidates;
    auto add = [&candidates](const NodeAddress& a) {
        if (std::find(candidates.begin(), candidates.end(), a) == candidates.end()) candidates.push_back(a);
    };
    if (map)
        for (const auto& m : map->masters()) add(m);
    for (const auto& s : impl->options.seeds) add(s);

    // The cluster's own view from whichever node answers first: one master
    // that hangs must not take the whole deadline (operators open this page
    // exactly then).
    std::string both;
    resp::append_command(both, {"CLUSTER", "INFO"});
    resp::append_command(both, {"CLUSTER", "NODES"});
    auto asked = co_await ask_nodes(impl, candidates, both, 2, deadline, true);
    std::optional<ClusterInfo> doc;
    for (auto& a : asked->answers) {
        if (!a || !good(*a)) continue;
        auto info_text = (**a)[0]->as_string();
        auto nodes_text = (**a)[1]->as_string();
        if (!info_text || !nodes_text) continue;
        auto info = parse_cluster_info(*info_text);
        auto nodes = parse_cluster_nodes(*nodes_text);
        if (!info || !nodes) continue;
        doc.emplace();
        doc->info = std::move(*info);
        for (auto& n : *nodes) {
            // "myself" only says which node happened to answer: dropped, so the
            // same cluster reads the same whichever node was asked.
            std::erase(n.flags, std::string_view{"myself"});
            n.is_myself = false;
            doc->nodes.push_back(ClusterNodeStatus{std::move(n), {}, {}, {}, {}, {}});
        }
        break;
    }
    if (!doc) co_return make_error_code(std::chrono::steady_clock::now() >= deadline ? errc::timeout : errc::no_node);

    // Every node at once: its role, keys, memory and ops/s from its own INFO,
    // and the slots it is moving from its own CLUSTER NODES line (a node shows
    // the MIGRATING/IMPORTING markers only in its own line). Half a second each.
    std::vector<std::size_t> which;
    std::vector<NodeAddress> addresses;
    for (std::size_t i = 0; i < doc->nodes.size(); ++i) {
        const auto& n = doc->nodes[i].node;
        if (n.is_fail || n.address.empty()) {
            doc->nodes[i].not_asked = n.is_fail ? "flagged fail by the cluster" : "no address known";
            continue;
        }
        if (auto addr = NodeAddress::parse(n.address); addr && addr->port != 0) {
            which.push_back(i);
            addresses.push_back(*addr);
        }
    }
    std::string per_node;
    resp::append_command(per_node, {"INFO"});
    resp::append_command(per_node, {"CLUSTER", "NODES"});
    const auto each = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(500));
    auto details = co_await ask_nodes(impl, addresses, per_node, 2, each, false);
    for (std::size_t k = 0; k < which.size(); ++k) {
        auto& o = doc->nodes[which[k]];
        const auto& a = details->answers[k];
        if (!a || !good(*a)) {
            o.not_asked = why_not(a);
            continue;
        }
        if (auto text = (**a)[0]->as_string()) {
            const auto parsed = ServerInfo::parse(*text);
            if (auto role = parsed.role()) o.role = std::string{*role};
            o.keys = static_cast<std::int64_t>(parsed.total_keys());
            o.used_memory_bytes = parsed.used_memory_bytes();
            o.ops_per_sec = parsed.instantaneous_ops_per_sec();
        }
        if (auto text = (**a)[1]->as_string())
            if (auto own = parse_cluster_nodes(*text))
                for (auto& line : *own)
                    if (line.is_myself && line.id == o.node.id) {
                        o.node.migrating = std::move(line.migrating);
                        o.node.importing = std::move(line.importing);
                    }
    }
    co_return doc;
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
        o.masters_without_replica = impl_->without_replica_shared;
    }
    if (health.known)
        o.health = ClusterHealth{health.state,        health.slots_assigned, health.slots_ok, health.slots_pfail,
                                 health.slots_fail,   health.known_nodes,    health.size};
    return o;
}

}  // namespace yooni::redis
