// Slot-map refresh and publication for redis::Cluster. Runs on the control
// thread; the workers only read snapshots and ask for refreshes.
#include "redis/cluster_impl.hpp"
#include "redis/spawn.hpp"

#include <yooni/redis/cluster_nodes.hpp>
#include <yooni/resp/encoder.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <map>

namespace yooni::redis {

namespace asio = boost::asio;
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

namespace {

std::atomic<std::uint64_t> g_instances{0};

struct CachedMap {
    std::uint64_t instance = 0;
    std::uint64_t version = 0;
    std::shared_ptr<const SlotMap> map;
};
thread_local std::vector<CachedMap> t_maps;

std::string describe_ranges(const std::vector<SlotRange>& ranges) {
    std::string out;
    for (std::size_t i = 0; i < ranges.size() && i < 8; ++i) {
        if (!out.empty()) out += ',';
        out += std::to_string(ranges[i].first);
        if (ranges[i].last != ranges[i].first) out += "-" + std::to_string(ranges[i].last);
    }
    if (ranges.size() > 8) out += ",...";
    return out;
}

}  // namespace

awaitable<void> pause_until(std::chrono::steady_clock::time_point t) {
    asio::steady_timer timer{co_await asio::this_coro::executor, t};
    co_await timer.async_wait(use_nothrow);
}

std::chrono::milliseconds jittered(std::chrono::milliseconds d) {
    thread_local std::minstd_rand rng{std::random_device{}()};
    if (d.count() <= 1) return d;
    std::uniform_int_distribution<long> dist(d.count() / 2, d.count());
    return std::chrono::milliseconds(dist(rng));
}

Cluster::Impl::Impl(ClusterOptions o) : options(std::move(o)), instance_id(++g_instances) {}

ConnectionOptions Cluster::Impl::options_for(const NodeAddress& node, bool readonly_link) const {
    ConnectionOptions c = options.connection;
    NodeAddress reachable = node;
    if (auto it = options.address_map.find(node); it != options.address_map.end()) reachable = it->second;
    c.host = reachable.host;
    c.port = reachable.port;
    c.db = 0;  // clusters have only database 0
    c.readonly = readonly_link;
    return c;
}

std::shared_ptr<const SlotMap> Cluster::Impl::snapshot() const {
    const auto version = map_version.load(std::memory_order_acquire);
    for (auto& c : t_maps) {
        if (c.instance != instance_id) continue;
        if (c.version != version) {
            std::lock_guard lock{map_mutex};
            c.map = map;
            c.version = map_version.load(std::memory_order_relaxed);
        }
        return c.map;
    }
    std::lock_guard lock{map_mutex};
    t_maps.push_back(CachedMap{instance_id, map_version.load(std::memory_order_relaxed), map});
    return map;
}

namespace {
// Whether every slot has the same master in both maps.
bool same_masters(const SlotMap* a, const SlotMap* b) {
    if (!a || !b) return a == b;
    for (std::uint16_t slot = 0; slot < 16384; ++slot) {
        const auto* x = a->master_for(slot);
        const auto* y = b->master_for(slot);
        if ((x == nullptr) != (y == nullptr) || (x && !(*x == *y))) return false;
    }
    return true;
}
}  // namespace

void Cluster::Impl::publish(std::shared_ptr<const SlotMap> next, bool covers_all) {
    bool moved = false;
    {
        std::lock_guard lock{map_mutex};
        moved = tracking && !same_masters(map.get(), next.get());
        map = std::move(next);
        map_version.fetch_add(1, std::memory_order_release);
    }
    coverage_ok.store(covers_all);
    if (moved && tracking->on_moved) tracking->on_moved();
}

void Cluster::Impl::patch_slot(std::uint16_t slot, const NodeAddress& master) {
    std::lock_guard lock{map_mutex};
    if (!map) return;
    if (const auto* now = map->master_for(slot); now && *now == master) return;  // already patched
    map = map->with_slot_moved(slot, master);
    map_version.fetch_add(1, std::memory_order_release);
    if (tracking && tracking->on_moved) tracking->on_moved();  // (it takes the near cache's locks, never this one)
}

namespace {

awaitable<void> refresh_task(Cluster::Impl* impl);

void start_refresh(Cluster::Impl* impl) {
    impl->refreshing = true;
    // A refresh that throws must not leave `refreshing` set: every later
    // refresh would wait for it forever. It is logged, and another is asked
    // for (after the cool-down).
    detail::spawn_logged(impl->control.get_executor(), refresh_task(impl), "cluster.refresh", [impl] {
        impl->refreshing = false;
        impl->refresh_again = false;
        impl->request_refresh();
    });
}

awaitable<void> refresh_later(Cluster::Impl* impl, std::chrono::steady_clock::time_point when) {
    co_await pause_until(when);
    impl->refresh_scheduled = false;
    if (impl->stopping.load()) co_return;
    if (impl->refreshing) impl->refresh_again = true;
    else start_refresh(impl);
}

// One candidate's CLUSTER SLOTS, parsed; `why` says what went wrong.
awaitable<result<std::shared_ptr<const SlotMap>>> ask_slots(Cluster::Impl* impl, NodeAddress node, std::string* why) {
    auto conn = impl->control_link(node);
    std::string payload;
    resp::append_command(payload, {"CLUSTER", "SLOTS"});
    auto reply = co_await conn->execute_one(std::move(payload),
                                            std::chrono::steady_clock::now() + impl->options.connection.connect_timeout);
    if (!reply) {
        *why = reply.error().message();
        if (!conn->last_error().empty()) *why += " (" + conn->last_error() + ")";
        co_return reply.error();
    }
    if ((*reply)->is_error()) {  // e.g. a node not in cluster mode, or NOAUTH
        *why = std::string{(*reply)->error_message().substr(0, 160)};
        co_return make_error_code(errc::server_error);
    }
    auto map = SlotMap::from_cluster_slots((*reply).reply(), node, impl->next_version.fetch_add(1));
    if (!map) *why = "unreadable CLUSTER SLOTS answer: " + map.error().message();
    co_return map;
}

// An integer field of CLUSTER INFO; 0 when missing or not a number (a
// monitoring figure: a strange answer must not stop the refresh).
std::int64_t info_number(const std::map<std::string, std::string>& info, const char* key) {
    const auto it = info.find(key);
    if (it == info.end()) return 0;
    std::int64_t value = 0;
    const auto* end = it->second.data() + it->second.size();
    const auto [ptr, ec] = std::from_chars(it->second.data(), end, value);
    return ec == std::errc{} && ptr == end ? value : 0;
}

std::string join_addresses(const std::vector<std::string>& list) {
    std::string out;
    for (const auto& a : list) out += (out.empty() ? "" : ",") + a;
    return out;
}

// CLUSTER INFO of the node the map came from, for /metrics (cluster_state,
// slots ok/pfail/fail). At most once a second: a MOVED storm asks for many
// refreshes and this is only for monitoring. A short deadline: the map is
// already published, so a slow node only delays the next refresh a little.
awaitable<void> read_health(Cluster::Impl* impl, NodeAddress node) {
    const auto now = std::chrono::steady_clock::now();
    // health is written only on this (the control) thread, so reading it here needs no lock.
    if (impl->health.known && now - impl->last_health < std::chrono::seconds(1)) co_return;
    impl->last_health = now;
    auto conn = impl->control_link(node);
    std::string payload;
    resp::append_command(payload, {"CLUSTER", "INFO"});
    resp::append_command(payload, {"CLUSTER", "NODES"});
    const auto budget = std::min<std::chrono::milliseconds>(impl->options.connection.connect_timeout,
                                                            std::chrono::milliseconds(1000));
    auto replies = co_await conn->execute(std::move(payload), 2, now + budget);
    Cluster::Impl::Health health;
    std::vector<std::string> without_replica;
    std::string hopeless;  // why no failover can end a cluster_state:fail
    if (replies && !(*replies)[0]->is_error()) {
        if (auto text = (*replies)[0]->as_string()) {
            if (auto info = parse_cluster_info(*text); info && info->contains("cluster_state")) {
                health.known = true;
                health.state = info->at("cluster_state").substr(0, 16);
                health.slots_assigned = info_number(*info, "cluster_slots_assigned");
                health.slots_ok = info_number(*info, "cluster_slots_ok");
                health.slots_pfail = info_number(*info, "cluster_slots_pfail");
                health.slots_fail = info_number(*info, "cluster_slots_fail");
                health.known_nodes = info_number(*info, "cluster_known_nodes");
                health.size = info_number(*info, "cluster_size");
            }
        }
    }
    if (replies && !(*replies)[1]->is_error())
        if (auto text = (*replies)[1]->as_string())
            if (auto nodes = parse_cluster_nodes(*text)) {
                without_replica = masters_without_replica(*nodes);
                if (health.known && health.state != "ok")
                    for (const auto& n : *nodes)
                        if (n.is_master && n.is_fail && n.slot_count > 0 &&
                            std::find(without_replica.begin(), without_replica.end(), n.address) != without_replica.end())
                            hopeless += (hopeless.empty() ? "" : ", ") + n.address;
            }
    if (without_replica != impl->without_replica) {
        if (!without_replica.empty())
            spdlog::warn("cluster.masters_without_replica masters={} (while one of them is down, the cluster refuses "
                         "every key until it returns)",
                         join_addresses(without_replica));
        impl->without_replica = without_replica;
    }
    impl->state_fail.store(health.known && health.state != "ok");
    impl->hopeless.store(!hopeless.empty());
    std::lock_guard lock{impl->error_mutex};
    impl->health_problem = !health.known || health.state == "ok"
                               ? std::string{}
                               : "cluster_state:" + health.state + " reported by " + node.to_string() +
                                     (hopeless.empty() ? std::string{" (a failover may be under way)"}
                                                       : "; failed master without a replica: " + hopeless);
    impl->without_replica_shared = std::move(without_replica);
    impl->health = std::move(health);
}

bool share_a_master(const SlotMap& a, const SlotMap& b) {
    for (const auto& m : a.masters())
        if (std::find(b.masters().begin(), b.masters().end(), m) != b.masters().end()) return true;
    return false;
}

// Once, with several seeds: they must all belong to one cluster. Seeds of two
// clusters would split keys between them silently; refuse instead.
awaitable<void> check_seeds(Cluster::Impl* impl) {
    if (impl->options.seeds.size() < 2) {
        impl->seeds_checked = true;
        co_return;
    }
    std::vector<std::pair<NodeAddress, std::shared_ptr<const SlotMap>>> answers;
    for (const auto& seed : impl->options.seeds) {
        std::string why;
        auto got = co_await ask_slots(impl, seed, &why);
        if (got && (*got)->covers_all_slots()) answers.emplace_back(seed, *got);
    }
    impl->seeds_checked = answers.size() == impl->options.seeds.size();  // else again next time
    for (std::size_t i = 1; i < answers.size(); ++i) {
        if (share_a_master(*answers[0].second, *answers[i].second)) continue;
        impl->mixed_clusters.store(true);
        impl->coverage_ok.store(false);
        std::lock_guard lock{impl->error_mutex};
        impl->last_error = "REDIS_CLUSTER_NODES names nodes of different clusters: " + answers[0].first.to_string() +
                           " and " + answers[i].first.to_string() + " share no master";
        spdlog::error("cluster.mixed_seeds {}", impl->last_error);
        co_return;
    }
}

awaitable<void> refresh_task(Cluster::Impl* impl) {
    if (!impl->seeds_checked) co_await check_seeds(impl);
    if (impl->mixed_clusters.load()) {
        impl->refreshes_done.fetch_add(1);
        impl->refreshing = false;
        co_return;
    }
    for (;;) {
        std::vector<NodeAddress> candidates;
        auto add = [&candidates](const NodeAddress& a) {
            if (std::find(candidates.begin(), candidates.end(), a) == candidates.end()) candidates.push_back(a);
        };
        if (impl->preferred) add(*impl->preferred);
        impl->preferred.reset();
        if (auto current = impl->snapshot()) {
            for (const auto& m : current->masters()) add(m);
            for (const auto& n : current->all_nodes()) add(n);
        }
        for (const auto& s : impl->options.seeds) add(s);  // last: re-resolved, so DNS is asked again

        std::shared_ptr<const SlotMap> best;
        NodeAddress best_from;
        std::string failures;
        for (const auto& node : candidates) {
            if (impl->stopping.load()) co_return;
            std::string why;
            auto got = co_await ask_slots(impl, node, &why);
            if (!got) {
                if (!failures.empty()) failures += "; ";
                failures += node.to_string() + ": " + why;
                continue;
            }
            if (!best || (*got)->uncovered_slot_count() < best->uncovered_slot_count()) {
                best = *got;
                best_from = node;
            }
            if (best->covers_all_slots()) break;
        }
        impl->last_refresh = std::chrono::steady_clock::now();
        if (best) {
            auto current = impl->snapshot();
            const bool changed = !current || !current->same_layout(*best);
            const bool covers = best->covers_all_slots();
            if (!covers)
                spdlog::warn("cluster.slots_uncovered from={} count={} ranges={}", best_from.to_string(),
                             best->uncovered_slot_count(), describe_ranges(best->uncovered_ranges()));
            {
                std::lock_guard lock{impl->error_mutex};
                impl->last_error = covers ? std::string{}
                                          : std::to_string(best->uncovered_slot_count()) + " slots served by no node";
            }
            if (changed) {
                spdlog::info("cluster.topology from={} masters={} nodes={} covers_all={}", best_from.to_string(),
                             best->masters().size(), best->all_nodes().size(), covers);
                impl->publish(best, covers);
            } else {
                impl->coverage_ok.store(covers);
            }
        } else {
            impl->refresh_failures.fetch_add(1);
            impl->coverage_ok.store(false);  // not ready: no node answers
            {
                std::lock_guard lock{impl->error_mutex};
                impl->last_error = "no cluster node answered CLUSTER SLOTS (" + failures + ")";
            }
            spdlog::warn("cluster.refresh_failed tried={}", failures);
        }
        impl->refreshes_done.fetch_add(1);  // after publishing: refresh_now() then sees the new map
        if (best) {
            co_await read_health(impl, best_from);
        } else {
            std::lock_guard lock{impl->error_mutex};
            impl->health = {};  // no node answered: the cluster's state is unknown, not the last one seen
            impl->health_problem.clear();
            impl->state_fail.store(false);
            impl->hopeless.store(false);
        }
        if (!impl->refresh_again || impl->stopping.load()) break;
        impl->refresh_again = false;
        co_await pause_until(impl->last_refresh + impl->options.refresh_cooldown);
    }
    impl->refreshing = false;
}

awaitable<void> periodic_refresh(Cluster::Impl* impl) {
    while (!impl->stopping.load()) {
        // Without a usable map, look again soon; with one, at the configured pace.
        const auto wait = impl->coverage_ok.load() && !impl->state_fail.load() ? impl->options.refresh_interval
                                                   : std::min(impl->options.refresh_interval, std::chrono::milliseconds(1000));
        co_await pause_until(std::chrono::steady_clock::now() + wait);
        if (impl->stopping.load()) co_return;
        if (impl->refreshing) impl->refresh_again = true;
        else start_refresh(impl);
    }
}

// The periodic refresh runs for the client's life: should it throw, it is
// logged and started again.
void start_periodic_refresh(Cluster::Impl* impl) {
    detail::spawn_logged(impl->control.get_executor(), periodic_refresh(impl), "cluster.periodic_refresh", [impl] {
        if (!impl->stopping.load()) start_periodic_refresh(impl);
    });
}

}  // namespace

void Cluster::Impl::request_refresh(std::optional<NodeAddress> first) {
    if (stopping.load()) return;
    asio::post(control, [this, first = std::move(first)] {
        if (first && !preferred) preferred = first;
        if (refreshing) {
            refresh_again = true;
            return;
        }
        const auto now = std::chrono::steady_clock::now();
        if (now - last_refresh >= options.refresh_cooldown) {
            start_refresh(this);
        } else if (!refresh_scheduled) {
            refresh_scheduled = true;
            detail::spawn_logged(control.get_executor(), refresh_later(this, last_refresh + options.refresh_cooldown),
                                 "cluster.refresh_later", [this] { refresh_scheduled = false; });
        }
    });
}

Cluster::Cluster(ClusterOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Cluster::~Cluster() { stop(); }

void Cluster::start() {
    start_periodic_refresh(impl_.get());
    impl_->control_thread = detail::start_control_thread(impl_->control);
    impl_->request_refresh();
}

void Cluster::attach_tracking(std::shared_ptr<const ConnectionOptions::Tracking> hooks) {
    impl_->tracking = hooks;
    impl_->pool.set_tracking(std::move(hooks));
}

void Cluster::stop() {
    if (impl_->stopping.exchange(true)) return;
    impl_->control.stop();
    if (impl_->control_thread.joinable()) impl_->control_thread.join();
    impl_->control_pool.close_all();
    impl_->pool.close_all();
}

bool Cluster::refresh_now(std::chrono::milliseconds timeout) {
    const auto before = impl_->refreshes_done.load();
    impl_->request_refresh();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (impl_->refreshes_done.load() > before) return impl_->snapshot() != nullptr;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
}

std::shared_ptr<const SlotMap> Cluster::slot_map() const { return impl_->snapshot(); }

// Ready when every slot has a master and the cluster itself says it serves
// (cluster_state:ok): in cluster_state:fail every node refuses every key.
bool Cluster::ready() const {
    return impl_->coverage_ok.load() && !impl_->state_fail.load() && impl_->snapshot() != nullptr;
}

std::string Cluster::last_error() const {
    std::lock_guard lock{impl_->error_mutex};
    return impl_->last_error.empty() ? impl_->health_problem : impl_->last_error;
}

ClusterStats Cluster::stats() const {
    ClusterStats s;
    s.moved = impl_->moved.load();
    s.ask = impl_->ask.load();
    s.tryagain = impl_->tryagain.load();
    s.clusterdown = impl_->clusterdown.load();
    s.loading = impl_->loading.load();
    s.readonly = impl_->readonly.load();
    s.retries = impl_->retries.load();
    s.refreshes = impl_->refreshes_done.load();
    s.refresh_failures = impl_->refresh_failures.load();
    const auto t = impl_->pool.totals();
    s.connects = t.connects;
    s.connect_attempts = t.connect_attempts;
    return s;
}

}  // namespace yooni::redis
