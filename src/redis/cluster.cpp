// Routing of commands in redis::Cluster: group by node, pipeline, ask the
// nodes in parallel, and handle every redirection and transient error inside
// the caller's deadline (see cluster.hpp).
#include "redis/cluster_impl.hpp"

#include <yooni/redis/redirect.hpp>
#include <yooni/resp/encoder.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

namespace yooni::redis {

namespace asio = boost::asio;
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

namespace {

using GroupResult = result<std::vector<OwnedReply>>;

struct Group {
    NodeAddress node;
    bool replica = false;
    bool waits = false;                 // a write followed by WAIT is among them (its own lane)
    bool tracked = false;               // the near cache's reads (a tracked link)
    std::vector<std::size_t> commands;  // caller's indices, in pipeline order
    std::vector<bool> asking;           // ASKING precedes that command
    std::vector<std::string_view> parts;  // the commands' bytes, owned by run(), which outlives the send
    std::size_t count = 0;              // replies expected
};

// Shared by the parallel sends of one call; completed on the caller's executor.
struct Join {
    std::vector<std::optional<GroupResult>> results;
    std::size_t outstanding = 0;
    asio::steady_timer done;
    explicit Join(asio::any_io_executor ex, std::size_t n) : results(n), outstanding(n), done(ex) {}
};

awaitable<GroupResult> send_group(std::shared_ptr<Connection> conn, std::vector<std::string_view> parts,
                                  std::size_t count, Deadline deadline) {
    co_return co_await conn->execute_parts(std::move(parts), count, deadline);
}

// Sends every group, nodes in parallel; results in group order.
awaitable<std::vector<GroupResult>> send_all(Cluster::Impl* impl, std::vector<Group>& groups, Deadline deadline) {
    auto ex = co_await asio::this_coro::executor;
    std::vector<GroupResult> out;
    if (groups.size() == 1) {  // the common case: no fan-out machinery
        auto conn = impl->link(ex, groups[0].node, groups[0].replica, groups[0].waits, groups[0].tracked);
        out.push_back(co_await conn->execute_parts(std::move(groups[0].parts), groups[0].count, deadline));
        co_return out;
    }
    auto join = std::make_shared<Join>(ex, groups.size());
    join->done.expires_at(std::chrono::steady_clock::time_point::max());
    for (std::size_t g = 0; g < groups.size(); ++g) {
        auto conn = impl->link(ex, groups[g].node, groups[g].replica, groups[g].waits, groups[g].tracked);
        asio::co_spawn(ex, send_group(std::move(conn), std::move(groups[g].parts), groups[g].count, deadline),
                       [join, g](std::exception_ptr e, GroupResult r) {
                           join->results[g] = e ? GroupResult{make_error_code(errc::closed)} : std::move(r);
                           if (--join->outstanding == 0) join->done.cancel();
                       });
    }
    while (join->outstanding > 0) co_await join->done.async_wait(use_nothrow);
    for (auto& r : join->results) out.push_back(std::move(*r));
    co_return out;
}

bool transport_retryable(const boost::system::error_code& ec) {
    return ec == make_error_code(errc::closed) || ec == make_error_code(errc::connect_failed) ||
           ec == make_error_code(errc::backing_off) || ec == make_error_code(errc::queue_full);
}

}  // namespace

awaitable<result<std::vector<OwnedReply>>> Cluster::run(std::vector<Command> commands, Deadline deadline) {
    Impl* impl = impl_.get();
    const auto& opt = impl->options;
    const std::size_t n = commands.size();
    std::vector<std::optional<OwnedReply>> results(n);
    struct State {
        int redirects = 0;
        std::optional<NodeAddress> ask;  // next send goes to this node with ASKING
        bool master_only = false;        // a replica failed this read: use the master
    };
    std::vector<State> state(n);
    std::vector<std::size_t> pending(n);
    for (std::size_t i = 0; i < n; ++i) pending[i] = i;
    auto backoff = opt.retry_backoff_min;
    // At the deadline, a call that kept meeting refused or lost links says so
    // (unavailable), not merely that time ran out.
    std::optional<boost::system::error_code> last_transport_error;
    std::string asking;
    resp::append_command(asking, {"ASKING"});

    for (;;) {
        auto map = impl->snapshot();
        std::vector<std::size_t> next;
        bool wait = false;
        if (!map) {
            impl->request_refresh();
            last_transport_error = make_error_code(errc::no_node);
            next = pending;
            wait = true;
        } else {
            std::vector<Group> groups;
            auto group_for = [&groups](const NodeAddress& node, bool replica) -> Group& {
                for (auto& g : groups)
                    if (g.node == node && g.replica == replica) return g;
                groups.push_back(Group{node, replica, false, false, {}, {}, {}, 0});
                return groups.back();
            };
            for (std::size_t i : pending) {
                const auto& cmd = commands[i];
                if (state[i].ask) {
                    auto& g = group_for(*state[i].ask, false);
                    g.commands.push_back(i);
                    g.asking.push_back(true);
                    g.parts.push_back(asking);
                    g.parts.push_back(cmd.payload);
                    g.count += 1 + cmd.replies;
                    g.waits = g.waits || cmd.replies > 1;
                    g.tracked = g.tracked || cmd.tracked;
                    continue;
                }
                const NodeAddress* master = map->master_for(cmd.slot);
                if (!master) {  // a slot no node serves: refresh, retry within the deadline
                    impl->request_refresh();
                    next.push_back(i);
                    wait = true;
                    continue;
                }
                const NodeAddress* target = master;
                bool replica = false;
                if (opt.read_from_replicas && cmd.read_only && !cmd.tracked && !state[i].master_only) {
                    auto replicas = map->replicas_for(cmd.slot);
                    if (!replicas.empty()) {
                        target = &replicas[impl->replica_rr.fetch_add(1, std::memory_order_relaxed) % replicas.size()];
                        replica = true;
                    }
                }
                auto& g = group_for(*target, replica);
                g.commands.push_back(i);
                g.asking.push_back(false);
                g.parts.push_back(cmd.payload);
                g.count += cmd.replies;
                g.waits = g.waits || cmd.replies > 1;
                g.tracked = g.tracked || cmd.tracked;
            }
            auto sent = co_await send_all(impl, groups, deadline);
            for (std::size_t gi = 0; gi < groups.size(); ++gi) {
                const auto& g = groups[gi];
                auto& r = sent[gi];
                if (!r) {
                    if (r.error() == make_error_code(errc::timeout)) co_return r.error();
                    if (!transport_retryable(r.error())) co_return r.error();
                    // A lost or refused link: maybe a master that just died (no MOVED
                    // will come). Refresh and retry idempotent commands.
                    impl->request_refresh();
                    last_transport_error = r.error();
                    for (std::size_t k = 0; k < g.commands.size(); ++k) {
                        const auto i = g.commands[k];
                        if (!commands[i].idempotent) co_return r.error();
                        if (g.replica) state[i].master_only = true;
                        state[i].ask.reset();
                        next.push_back(i);
                    }
                    impl->retries.fetch_add(1, std::memory_order_relaxed);
                    wait = true;
                    continue;
                }
                std::size_t pos = 0;
                for (std::size_t k = 0; k < g.commands.size(); ++k) {
                    const auto i = g.commands[k];
                    if (g.asking[k]) ++pos;  // ASKING's own +OK
                    OwnedReply& reply = (*r)[pos];
                    OwnedReply& last = (*r)[pos + commands[i].replies - 1];
                    pos += commands[i].replies;
                    state[i].ask.reset();
                    if (!reply->is_error()) {
                        results[i] = std::move(last);
                        continue;
                    }
                    const auto text = reply->error_message();
                    switch (classify_error(text)) {
                        case ErrorKind::moved:
                        case ErrorKind::ask: {
                            auto redirect = parse_redirect(text);
                            if (!redirect) {
                                results[i] = std::move(reply);
                                break;
                            }
                            // No host ("MOVED 3999 :6380") means the node that sent it.
                            NodeAddress to{redirect->host.empty() ? g.node.host : redirect->host, redirect->port};
                            if (++state[i].redirects > opt.max_redirects) co_return make_error_code(errc::redirect_loop);
                            if (redirect->kind == Redirect::Kind::moved) {
                                impl->moved.fetch_add(1, std::memory_order_relaxed);
                                impl->patch_slot(redirect->slot, to);
                                impl->request_refresh(g.node);
                            } else {
                                impl->ask.fetch_add(1, std::memory_order_relaxed);
                                state[i].ask = to;
                            }
                            next.push_back(i);
                            break;
                        }
                        case ErrorKind::tryagain:
                            impl->tryagain.fetch_add(1, std::memory_order_relaxed);
                            next.push_back(i);
                            wait = true;
                            break;
                        case ErrorKind::clusterdown:
                            impl->clusterdown.fetch_add(1, std::memory_order_relaxed);
                            impl->request_refresh();
                            // A failover ends a CLUSTERDOWN within a second or
                            // two; a failed master without a replica does not:
                            // say so now rather than at the deadline.
                            if (impl->hopeless.load()) co_return make_error_code(errc::cluster_down);
                            next.push_back(i);
                            wait = true;
                            break;
                        case ErrorKind::loading:
                        case ErrorKind::masterdown:
                            impl->loading.fetch_add(1, std::memory_order_relaxed);
                            if (g.replica) state[i].master_only = true;  // route elsewhere
                            next.push_back(i);
                            wait = true;
                            break;
                        case ErrorKind::readonly:  // a demoted master: the map is stale
                            impl->readonly.fetch_add(1, std::memory_order_relaxed);
                            impl->request_refresh();
                            next.push_back(i);
                            wait = true;
                            break;
                        case ErrorKind::auth:
                        case ErrorKind::other:
                            results[i] = std::move(reply);
                            break;
                    }
                }
            }
        }
        if (next.empty()) break;
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) co_return last_transport_error.value_or(make_error_code(errc::timeout));
        if (wait) {
            impl->retries.fetch_add(1, std::memory_order_relaxed);
            co_await pause_until(std::min(deadline, now + jittered(backoff)));
            backoff = std::min(backoff * 2, opt.retry_backoff_max);
        }
        pending = std::move(next);
    }
    std::vector<OwnedReply> out;
    out.reserve(n);
    for (auto& r : results) out.push_back(std::move(*r));
    co_return out;
}

}  // namespace yooni::redis
