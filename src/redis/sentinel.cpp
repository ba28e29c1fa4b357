// The Sentinel client (see the header): a control thread resolves and
// watches the master; the workers run their calls on it through the same
// links and data path as the standalone client (node_path.hpp, pool.hpp).
#include <yooni/redis/sentinel.hpp>

#include "redis/node_path.hpp"
#include "redis/pool.hpp"
#include "redis/spawn.hpp"

#include <yooni/resp/encoder.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

namespace yooni::redis {

namespace asio = boost::asio;
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);
using namespace std::chrono_literals;

namespace {

// What the workers read: the confirmed master and, when reads go to
// replicas, the healthy replicas. Replaced whole, never changed in place.
struct Target {
    NodeAddress master;
    std::vector<NodeAddress> replicas;
};

// A value every call reads and the control thread replaces. A mutex rather
// than std::atomic<std::shared_ptr>: GCC 12's implementation guards the
// pointer with a lock bit that ThreadSanitizer does not see, so TSan reports
// its loads and stores as a race.
template <class T>
class Published {
public:
    std::shared_ptr<T> load() const {
        std::lock_guard lock{mutex_};
        return value_;
    }
    void store(std::shared_ptr<T> next) {
        {
            std::lock_guard lock{mutex_};
            value_.swap(next);
        }
        // (the one replaced is released here, outside the lock)
    }

private:
    mutable std::mutex mutex_;
    std::shared_ptr<T> value_;
};

}  // namespace

struct Sentinel::Impl {
    SentinelOptions options;
    detail::ConnectionPool pool;  // the workers' links to data nodes
    std::shared_ptr<const ConnectionOptions::Tracking> tracking;  // the near cache's hooks, or null
    Published<const Target> target;
    std::atomic<bool> healthy{false};
    std::atomic<bool> stopping{false};
    std::atomic<bool> lookup_posted{false};
    std::atomic<std::uint64_t> failovers{0}, switch_events{0}, lookups{0}, lookup_failures{0}, retries{0};
    std::atomic<std::uint64_t> replica_turn{0};

    // Control thread: resolution, health, the subscription.
    asio::io_context control{1};
    std::thread control_thread;
    asio::steady_timer wake{control};  // the monitor sleeps on it; cancelled when a resolution is wanted
    // The pause after a failed resolution: ended early only by a
    // +switch-master event, not by callers asking again (no busy loop).
    asio::steady_timer backoff{control};
    bool lookup_wanted = true;
    std::optional<NodeAddress> suspect;  // the address that failed or was refused: other answers first
    std::size_t first_sentinel = 0;      // the last Sentinel that answered is asked first
    std::vector<std::shared_ptr<Connection>> sentinel_links;
    std::vector<bool> sentinel_refused;  // its set-up (AUTH) was refused
    std::map<NodeAddress, std::shared_ptr<Connection>> node_links;  // ROLE checks
    std::vector<std::shared_ptr<Connection>> subscription_links;  // one per Sentinel, reused

    // Read by status() from any thread.
    mutable std::mutex mutex;
    std::vector<SentinelNodeStatus> sentinel_status;
    std::string subscribed;
    std::string last_error;
    std::string logged_error;  // the last failure logged: each cause is logged once
    int unlogged_failures = 0;

    explicit Impl(SentinelOptions o) : options(std::move(o)) {
        for (const auto& s : options.sentinels) sentinel_status.push_back({s.to_string(), false, {}});
        sentinel_refused.assign(options.sentinels.size(), false);
        sentinel_links.resize(options.sentinels.size());
        subscription_links.resize(options.sentinels.size());
    }

    ConnectionOptions node_options(const NodeAddress& node) const {
        auto o = options.connection;
        o.host = node.host;
        o.port = node.port;
        return o;
    }
    ConnectionOptions sentinel_options(std::size_t i) const {
        auto o = options.sentinel_connection;
        o.host = options.sentinels[i].host;
        o.port = options.sentinels[i].port;
        o.db = 0;
        o.readonly = false;
        return o;
    }

    // Any thread: start a resolution soon (once, however many callers ask).
    void request_lookup(std::optional<NodeAddress> failed) {
        if (stopping.load() || lookup_posted.exchange(true)) return;
        asio::post(control, [this, failed = std::move(failed)] {
            lookup_posted.store(false);
            lookup_wanted = true;
            if (failed && !suspect) suspect = failed;
            wake.cancel();
        });
    }

    // The status has every failure at once; the log has a cause once it
    // holds (the same twice in a row, or failures going on three times
    // without one), and not again while it stays: a first attempt that ran
    // out of time while the links were still opening is not logged as the
    // cause when the next one says what it is.
    void set_error(std::string error) {
        std::lock_guard lock{mutex};
        if (error.empty()) {
            logged_error.clear();
            unlogged_failures = 0;
        } else if (error != logged_error) {
            ++unlogged_failures;
            if (error == last_error || unlogged_failures >= 3) {
                spdlog::error("redis.sentinel_lookup_failed master_name={} error={}", options.master_name, error);
                logged_error = error;
                unlogged_failures = 0;
            }
        }
        last_error = std::move(error);
    }
};

namespace {

awaitable<void> pause_until(std::chrono::steady_clock::time_point t) {
    asio::steady_timer timer{co_await asio::this_coro::executor, t};
    co_await timer.async_wait(use_nothrow);
}

// Why a link failed, the same words while the cause stays (the link's last
// connect error outlives the backoff that follows it): logged once per cause.
std::string describe(const boost::system::error_code& ec, const Connection& conn) {
    if (!conn.last_error().empty()) return conn.last_error();
    return ec.message();
}

// A reply that says the node refused the command (it did not run): from a
// master, a new master is to be found; from a replica, the master is asked.
bool refusal(const OwnedReply& reply) {
    if (!reply->is_error()) return false;
    const auto m = reply->error_message();
    return m.starts_with("READONLY") || m.starts_with("NOREPLICAS") || m.starts_with("MASTERDOWN") ||
           m.starts_with("LOADING");
}

// One command on a Sentinel (control thread).
awaitable<result<OwnedReply>> ask_sentinel(Sentinel::Impl* impl, std::size_t i, std::string payload, Deadline deadline) {
    auto& link = impl->sentinel_links[i];
    if (!link) link = Connection::create(impl->control.get_executor(), impl->sentinel_options(i));
    auto reply = co_await link->execute_one(std::move(payload), deadline);
    std::string error;
    if (!reply) {
        if (reply.error() == make_error_code(errc::auth_failed)) impl->sentinel_refused[i] = true;
        else if (reply.error() != make_error_code(errc::backing_off)) impl->sentinel_refused[i] = false;
        error = describe(reply.error(), *link);
        if (impl->sentinel_refused[i])
            error = "refused the credentials (" + error + "): check REDIS_SENTINEL_PASSWORD and REDIS_SENTINEL_USERNAME";
    } else {
        impl->sentinel_refused[i] = false;
        if ((*reply)->is_error()) error = std::string{(*reply)->error_message().substr(0, 160)};
    }
    {
        std::lock_guard lock{impl->mutex};
        impl->sentinel_status[i].answered = reply.has_value();
        impl->sentinel_status[i].last_error = error;
    }
    co_return reply;
}

// ROLE on a data node: its first element ("master", "slave") or an error text.
awaitable<std::string> role_of(Sentinel::Impl* impl, const NodeAddress& node, Deadline deadline) {
    auto& link = impl->node_links[node];
    if (!link) link = Connection::create(impl->control.get_executor(), impl->node_options(node));
    std::string role_cmd;
    resp::append_command(role_cmd, {"ROLE"});
    auto reply = co_await link->execute_one(std::move(role_cmd), deadline);
    if (!reply) co_return "error: " + describe(reply.error(), *link);
    if ((*reply)->is_error()) co_return "error: " + std::string{(*reply)->error_message().substr(0, 160)};
    if ((*reply)->type() != resp::Type::array) co_return std::string{"error: ROLE answered no array"};
    auto role = (*reply)->as_string(1);
    co_return role ? std::string{*role} : std::string{"error: ROLE answered no role"};
}

// SENTINEL replicas <name>: the replicas not flagged down or disconnected
// and whose link to the master is up.
awaitable<std::vector<NodeAddress>> healthy_replicas(Sentinel::Impl* impl, std::size_t i, Deadline deadline) {
    std::string cmd;
    resp::append_command(cmd, {"SENTINEL", "replicas", impl->options.master_name});
    auto reply = co_await ask_sentinel(impl, i, std::move(cmd), deadline);
    std::vector<NodeAddress> out;
    if (!reply || (*reply)->is_error() || (*reply)->type() != resp::Type::array) co_return out;
    const auto& r = reply->reply();
    for (std::size_t entry : r.children(0)) {
        std::map<std::string_view, std::string_view> fields;
        std::optional<std::string_view> name;
        for (std::size_t f : r.children(entry)) {
            auto text = r.as_string(f);
            if (!text) continue;
            if (!name) {
                name = *text;
            } else {
                fields[*name] = *text;
                name.reset();
            }
        }
        const auto flags = fields["flags"];
        if (flags.find("s_down") != std::string_view::npos || flags.find("o_down") != std::string_view::npos ||
            flags.find("disconnected") != std::string_view::npos)
            continue;
        if (auto link = fields.find("master-link-status"); link != fields.end() && link->second != "ok") continue;
        auto port = fields["port"];
        auto address = NodeAddress::parse(std::string{fields["ip"]} + ":" + std::string{port});
        if (address) out.push_back(*address);
    }
    co_return out;
}

// Each Sentinel's share of the time allowed for one resolution.
std::chrono::milliseconds share(const Sentinel::Impl* impl) {
    const auto n = std::max<std::size_t>(impl->options.sentinels.size(), 1);
    return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(impl->options.sentinel_connection.connect_timeout / n),
                    std::chrono::milliseconds{100});
}

void install(Sentinel::Impl* impl, const NodeAddress& master, std::vector<NodeAddress> replicas) {
    auto before = impl->target.load();
    if (!before || before->master != master) {
        if (before) {
            impl->failovers.fetch_add(1);
            spdlog::warn("redis.sentinel_master_changed master_name={} from={} to={}", impl->options.master_name,
                         before->master.to_string(), master.to_string());
        } else {
            spdlog::info("redis.sentinel_master master_name={} address={}", impl->options.master_name,
                         master.to_string());
        }
    }
    impl->target.store(std::make_shared<const Target>(Target{master, std::move(replicas)}));
    impl->healthy.store(true);
    impl->set_error({});
    // A new master: what the near cache read from the old one is dropped.
    if (before && before->master != master && impl->tracking && impl->tracking->on_moved) impl->tracking->on_moved();
}

// One resolution: true when a master was found and confirmed by ROLE.
awaitable<bool> lookup(Sentinel::Impl* impl, std::optional<NodeAddress> suspect) {
    impl->lookups.fetch_add(1);
    const auto n = impl->options.sentinels.size();
    std::vector<std::string> problems;
    std::vector<std::pair<std::string, std::string>> unanswered;  // (why, which Sentinel)
    std::vector<std::pair<NodeAddress, std::size_t>> held_back;  // the suspect, tried last
    auto confirm = [&](const NodeAddress& address, std::size_t i) -> awaitable<bool> {
        const auto role = co_await role_of(impl, address, std::chrono::steady_clock::now() + share(impl));
        if (role == "master") {
            std::vector<NodeAddress> replicas;
            if (impl->options.read_from_replicas)
                replicas = co_await healthy_replicas(impl, i, std::chrono::steady_clock::now() + share(impl));
            impl->first_sentinel = i;
            install(impl, address, std::move(replicas));
            co_return true;
        }
        problems.push_back(address.to_string() + " (named by Sentinel " + impl->options.sentinels[i].to_string() +
                           ") is not a master: ROLE says " + role);
        co_return false;
    };
    for (std::size_t k = 0; k < n; ++k) {
        const std::size_t i = (impl->first_sentinel + k) % n;
        std::string cmd;
        resp::append_command(cmd, {"SENTINEL", "get-master-addr-by-name", impl->options.master_name});
        auto reply = co_await ask_sentinel(impl, i, std::move(cmd), std::chrono::steady_clock::now() + share(impl));
        const auto who = impl->options.sentinels[i].to_string();
        if (!reply) {
            std::lock_guard lock{impl->mutex};
            unanswered.emplace_back(impl->sentinel_status[i].last_error, who);
            continue;
        }
        const auto& r = reply->reply();
        if (r.is_error()) {
            unanswered.emplace_back(std::string{r.error_message().substr(0, 160)}, who);
            continue;
        }
        if (r.is_null()) {
            problems.push_back("Sentinel " + who + " does not monitor a master named \"" +
                               impl->options.master_name + "\" (REDIS_SENTINEL_MASTER)");
            continue;
        }
        auto host = r.as_string(1), port = r.as_string(2);
        std::optional<NodeAddress> address;
        if (host && port) address = NodeAddress::parse(std::string{*host} + ":" + std::string{*port});
        if (!address) {
            problems.push_back("Sentinel " + who + " answered no host and port");
            continue;
        }
        if (suspect && *address == *suspect) {
            held_back.emplace_back(*address, i);
            continue;
        }
        if (co_await confirm(*address, i)) co_return true;
    }
    // Only the address that just failed was named: it may be fine again (a
    // broken link, not a failover).
    if (!held_back.empty() && co_await confirm(held_back.front().first, held_back.front().second)) co_return true;
    impl->lookup_failures.fetch_add(1);
    std::string error = "no master confirmed for \"" + impl->options.master_name + "\"";
    // Sentinels failing for the same reason are named together: one cause, said once.
    std::stable_sort(unanswered.begin(), unanswered.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t k = 0; k < unanswered.size();) {
        std::string who = unanswered[k].second;
        std::size_t same = k + 1;
        for (; same < unanswered.size() && unanswered[same].first == unanswered[k].first; ++same)
            who += ", " + unanswered[same].second;
        error += "; Sentinel" + std::string{same - k > 1 ? "s " : " "} + who + ": " + unanswered[k].first;
        k = same;
    }
    for (const auto& p : problems) error += "; " + p;
    if (held_back.empty() && problems.empty() && unanswered.empty()) error += "; no Sentinel configured";
    impl->set_error(std::move(error));
    co_return false;
}

// Resolution and health, for the client's life (control thread).
awaitable<void> monitor_loop(Sentinel::Impl* impl) {
    constexpr unsigned kTicksPerLookup = 10;  // health checks between two lookups asked by nothing
    unsigned ticks = 0;
    auto backoff = std::chrono::milliseconds{0};
    while (!impl->stopping.load()) {
        if (impl->lookup_wanted) {
            impl->lookup_wanted = false;
            auto suspect = std::exchange(impl->suspect, std::nullopt);
            if (!co_await lookup(impl, suspect)) {
                // The last master stays in use while it still says master
                // (every Sentinel down, say); otherwise no master is known.
                auto current = impl->target.load();
                bool still_master = false;
                if (current) {
                    const auto role =
                        co_await role_of(impl, current->master, std::chrono::steady_clock::now() + share(impl));
                    still_master = role == "master";
                }
                impl->healthy.store(still_master);
                if (!still_master) {
                    impl->lookup_wanted = true;
                    if (!impl->suspect) impl->suspect = suspect;
                }
                backoff = std::min(std::max(backoff * 2, std::chrono::milliseconds{100}),
                                   impl->options.lookup_backoff_max);
                impl->backoff.expires_after(backoff);
                co_await impl->backoff.async_wait(use_nothrow);
                continue;
            }
            backoff = std::chrono::milliseconds{0};
        }
        if (!impl->lookup_wanted) {
            impl->wake.expires_after(impl->options.health_interval);
            co_await impl->wake.async_wait(use_nothrow);
        }
        if (impl->lookup_wanted || impl->stopping.load()) continue;
        auto current = impl->target.load();
        if (!current) {
            impl->lookup_wanted = true;
            continue;
        }
        const auto role = co_await role_of(impl, current->master, std::chrono::steady_clock::now() + share(impl));
        if (role != "master") {
            spdlog::warn("redis.sentinel_master_check master={} role={}", current->master.to_string(), role);
            impl->healthy.store(false);
            impl->set_error(current->master.to_string() + ": " + role);
            impl->lookup_wanted = true;
            if (!impl->suspect) impl->suspect = current->master;
            continue;
        }
        impl->healthy.store(true);
        // Now and then the Sentinels are asked again even when nothing
        // happened: a switch missed while no Sentinel was followed is
        // caught, and their status is current.
        if (++ticks % kTicksPerLookup == 0) {
            impl->lookup_wanted = true;
            continue;
        }
        if (impl->options.read_from_replicas) {
            auto replicas = co_await healthy_replicas(impl, impl->first_sentinel,
                                                      std::chrono::steady_clock::now() + share(impl));
            auto now = impl->target.load();
            if (now && now->master == current->master && now->replicas != replicas)
                impl->target.store(std::make_shared<const Target>(Target{now->master, std::move(replicas)}));
        }
    }
}

// +switch-master on one Sentinel at a time; another one when its link drops.
awaitable<void> subscription_loop(Sentinel::Impl* impl) {
    const auto n = impl->options.sentinels.size();
    std::size_t next = 0, failed_in_a_row = 0;
    bool first = true;
    while (!impl->stopping.load() && n > 0) {
        const std::size_t i = next++ % n;
        auto& slot = impl->subscription_links[i];
        if (!slot) slot = Connection::create(impl->control.get_executor(), impl->sentinel_options(i));
        auto link = slot;
        std::string cmd;
        resp::append_command(cmd, {"SUBSCRIBE", "+switch-master"});
        auto confirmed =
            co_await link->execute_one(std::move(cmd), std::chrono::steady_clock::now() + share(impl) * 2);
        if (!confirmed || (*confirmed)->is_error()) {
            {
                std::lock_guard lock{impl->mutex};
                impl->sentinel_status[i].answered = false;
                impl->sentinel_status[i].last_error =
                    confirmed ? std::string{(*confirmed)->error_message().substr(0, 160)}
                              : describe(confirmed.error(), *link);
            }
            link->close();
            if (++failed_in_a_row >= n) {
                failed_in_a_row = 0;
                co_await pause_until(std::chrono::steady_clock::now() + impl->options.lookup_backoff_max);
            }
            continue;
        }
        failed_in_a_row = 0;
        {
            std::lock_guard lock{impl->mutex};
            impl->subscribed = impl->options.sentinels[i].to_string();
        }
        spdlog::info("redis.sentinel_subscribed sentinel={}", impl->options.sentinels[i].to_string());
        // A switch may have happened while no Sentinel was followed.
        if (!first) {
            impl->lookup_wanted = true;
            impl->wake.cancel();
        }
        first = false;
        for (;;) {
            // No command: the request only waits for the next message the
            // Sentinel pushes on the subscribed link.
            std::string nothing;
            auto message = co_await link->execute(std::move(nothing), 1,
                                                  std::chrono::steady_clock::now() + std::chrono::hours{24 * 365});
            if (!message || impl->stopping.load()) break;
            const auto& r = message->front().reply();
            if (r.type() != resp::Type::array) continue;
            auto kind = r.as_string(1), channel = r.as_string(2), payload = r.as_string(3);
            if (!kind || *kind != "message" || !channel || *channel != "+switch-master" || !payload) continue;
            // "<name> <old ip> <old port> <new ip> <new port>"
            std::vector<std::string_view> words;
            std::string_view rest = *payload;
            while (!rest.empty()) {
                const auto space = rest.find(' ');
                words.push_back(rest.substr(0, space));
                rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
            }
            if (words.size() != 5 || words[0] != impl->options.master_name) continue;
            impl->switch_events.fetch_add(1);
            spdlog::warn("redis.sentinel_switch_master master_name={} from={}:{} to={}:{}", words[0], words[1],
                         words[2], words[3], words[4]);
            impl->lookup_wanted = true;
            impl->suspect = NodeAddress::parse(std::string{words[1]} + ":" + std::string{words[2]});
            impl->wake.cancel();
            impl->backoff.cancel();
        }
        link->close();
        {
            std::lock_guard lock{impl->mutex};
            impl->subscribed.clear();
        }
        if (!impl->stopping.load())
            spdlog::warn("redis.sentinel_subscription_lost sentinel={}", impl->options.sentinels[i].to_string());
    }
}

void start_loop(Sentinel::Impl* impl, const char* what, awaitable<void> (*loop)(Sentinel::Impl*)) {
    detail::spawn_logged(impl->control.get_executor(), loop(impl), what, [impl, what, loop] {
        if (!impl->stopping.load()) start_loop(impl, what, loop);
    });
}

}  // namespace

Sentinel::Sentinel(SentinelOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Sentinel::~Sentinel() { stop(); }

void Sentinel::start() {
    start_loop(impl_.get(), "redis.sentinel_monitor", &monitor_loop);
    start_loop(impl_.get(), "redis.sentinel_subscription", &subscription_loop);
    impl_->control_thread = detail::start_control_thread(impl_->control);
}

void Sentinel::attach_tracking(std::shared_ptr<const ConnectionOptions::Tracking> hooks) {
    impl_->tracking = hooks;
    impl_->pool.set_tracking(std::move(hooks));
}

void Sentinel::stop() {
    if (impl_->stopping.exchange(true)) return;
    impl_->control.stop();
    if (impl_->control_thread.joinable()) impl_->control_thread.join();
    for (auto& link : impl_->sentinel_links)
        if (link) link->close();
    for (auto& [address, link] : impl_->node_links) link->close();
    for (auto& link : impl_->subscription_links)
        if (link) link->close();
    impl_->pool.close_all();
}

bool Sentinel::ready() const { return impl_->healthy.load() && impl_->target.load() != nullptr; }

std::string Sentinel::last_error() const {
    std::lock_guard lock{impl_->mutex};
    return impl_->last_error;
}

awaitable<result<std::vector<OwnedReply>>> Sentinel::run(std::vector<Command> commands, Deadline deadline) {
    auto executor = co_await asio::this_coro::executor;
    bool reads = true;
    for (const auto& c : commands) reads = reads && c.read_only;
    const auto lane = detail::lane_for(commands);  // the near cache's reads: the master's tracked link
    bool use_replica = reads && lane != detail::Lane::tracked_reads && impl_->options.read_from_replicas;
    auto pause = std::chrono::milliseconds{10};
    // Why the master could not be used by the last attempts: what the call
    // answers when its deadline passes while it waits for one (unavailable,
    // not a slow answer).
    std::optional<boost::system::error_code> unavailable;
    for (;;) {
        auto target = impl_->target.load();
        result<std::vector<OwnedReply>> replies = make_error_code(errc::no_node);
        bool again = true;
        if (!target) {
            impl_->request_lookup(std::nullopt);
        } else {
            const bool replica = use_replica && !target->replicas.empty();
            const NodeAddress& node =
                replica ? target->replicas[impl_->replica_turn.fetch_add(1, std::memory_order_relaxed) %
                                           target->replicas.size()]
                        : target->master;
            auto conn = impl_->pool.get(executor, node.host, node.port, lane,
                                        [&] { return impl_->node_options(node); });
            replies = co_await detail::run_on(*conn, commands, deadline);
            if (replies) {
                bool refused = false;
                for (const auto& r : *replies) refused = refused || refusal(r);
                if (!refused) co_return replies;
                if (!replica) impl_->request_lookup(node);
                // Again only when nothing of the call ran: every write refused.
                for (std::size_t i = 0; i < commands.size(); ++i)
                    again = again && (commands[i].read_only || refusal((*replies)[i]));
            } else {
                const auto ec = replies.error();
                if (ec == make_error_code(errc::timeout) && unavailable) co_return *unavailable;
                // A tracked link refused (HELLO 3, CLIENT TRACKING): the near cache is off, the caller reads plainly.
                if (lane == detail::Lane::tracked_reads && ec == make_error_code(errc::auth_failed)) co_return replies;
                const bool sent_maybe = detail::link_lost(ec);
                if (!replica && (detail::never_sent(ec) || sent_maybe)) impl_->request_lookup(node);
                again = detail::never_sent(ec) || (sent_maybe && reads);
            }
            // A replica that fails or refuses: the master answers the reads from now on.
            if (replica) use_replica = false;
        }
        if (!again) co_return replies;
        if (!replies) unavailable = replies.error();
        const auto next = std::chrono::steady_clock::now() + pause;
        if (next >= deadline) co_return replies;
        impl_->retries.fetch_add(1, std::memory_order_relaxed);
        co_await pause_until(next);
        pause = std::min(pause * 2, std::chrono::milliseconds{100});
    }
}

awaitable<result<std::size_t>> Sentinel::unlink_matching(std::string pattern, Deadline deadline) {
    co_return co_await detail::scan_and_unlink(*this, std::move(pattern), deadline, impl_->options.scan_count,
                                               impl_->options.unlink_batch);
}

awaitable<result<std::optional<ClusterInfo>>> Sentinel::cluster_info(Deadline) {
    co_return std::optional<ClusterInfo>{};
}

ClientStatus Sentinel::status() const {
    SentinelStatus s;
    s.master_name = impl_->options.master_name;
    s.read_from_replicas = impl_->options.read_from_replicas;
    s.db = impl_->options.connection.db;
    s.tls = impl_->options.connection.tls.enabled;
    if (auto target = impl_->target.load()) {
        s.master = target->master.to_string();
        for (const auto& r : target->replicas) s.replicas.push_back(r.to_string());
    }
    s.connected = ready();
    s.failovers = impl_->failovers.load();
    s.switch_events = impl_->switch_events.load();
    s.lookups = impl_->lookups.load();
    s.lookup_failures = impl_->lookup_failures.load();
    s.retries = impl_->retries.load();
    const auto t = impl_->pool.totals();
    s.connections = impl_->pool.size();
    s.connects = t.connects;
    s.commands = t.commands;
    s.writes = t.writes;
    s.abandoned = t.abandoned;
    {
        std::lock_guard lock{impl_->mutex};
        s.sentinels = impl_->sentinel_status;
        s.subscribed = impl_->subscribed;
        s.last_error = impl_->last_error;
    }
    return s;
}

}  // namespace yooni::redis
