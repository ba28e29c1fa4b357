// The near cache in redis::Client (client.hpp, near_cache.hpp): the tracked
// links' hooks (invalidation pushes, a lost link, a refusal) and get()
// through the near cache.
#include <yooni/redis/client.hpp>
#include <yooni/redis/shared_outcome.hpp>
#include <yooni/resp/encoder.hpp>

#include <spdlog/spdlog.h>

#include <mutex>

namespace yooni::redis {

struct Client::NearState {
    std::mutex mutex;
    std::string refusal;
};

namespace {

// An `invalidate` push: [ "invalidate", [key, ...] ] or [ "invalidate", null ]
// (FLUSHALL, FLUSHDB: every key). Other pushes are not the near cache's.
void on_invalidation(NearCache& near, const resp::Reply& push) {
    if (push.empty() || !push.is_push()) return;
    auto children = push.children(0);
    auto it = children.begin();
    if (it == children.end()) return;
    const auto kind = push.as_string(*it);
    if (!kind || *kind != "invalidate") return;
    if (++it == children.end()) return;
    const std::size_t keys = *it;
    if (push.nodes[keys].type == resp::Type::null) {
        near.flush();
        return;
    }
    for (auto k : push.children(keys))
        if (auto key = push.as_string(k)) near.invalidate(*key);
}

}  // namespace

void Client::use_near_cache(NearCacheOptions options) {
    if (options.max_bytes == 0) return;
    near_ = std::make_shared<NearCache>(options);
    near_on_ = std::make_shared<std::atomic<bool>>(true);
    near_state_ = std::make_shared<NearState>();
    auto hooks = std::make_shared<ConnectionOptions::Tracking>();
    hooks->ping_interval = options.link_check;
    // The hooks hold the near cache and its state, not the client.
    hooks->on_push = [near = near_](const resp::Reply& push) { on_invalidation(*near, push); };
    // A lost link: what it tracked is not tracked any more (kept as orphans
    // for stale-if-error, when on). A lost link open again: orphans go, since
    // its node answers again. Masters changed: everything goes.
    hooks->on_reset = [near = near_] { near->orphan_all(); };
    hooks->on_open = [near = near_] { near->drop_orphans(); };
    hooks->on_moved = [near = near_] { near->flush(); };
    hooks->on_refused = [near = near_, on = near_on_, state = near_state_](std::string_view why) {
        if (!on->exchange(false)) return;
        near->flush();
        {
            std::lock_guard lock{state->mutex};
            state->refusal = std::string{why};
        }
        spdlog::warn("redis.near_cache_off reason=\"{}\" (the server refuses HELLO 3 or CLIENT TRACKING: Redis 6 "
                     "or later with tracking allowed is needed; reads go to Redis)",
                     why);
    };
    attach_tracking(std::move(hooks));
}

std::string Client::near_cache_refusal() const {
    if (!near_state_) return {};
    std::lock_guard lock{near_state_->mutex};
    return near_state_->refusal;
}

namespace {

// A tracked read of one key: GET, and PTTL for the entry's expiry.
void tracked_read(std::vector<Command>& cmds, std::string_view key) {
    cmds.push_back(make_command({"GET", key}));
    cmds.push_back(make_command({"PTTL", key}));
    cmds[cmds.size() - 2].tracked = cmds.back().tracked = true;
}

// The value a tracked read found, kept unless an invalidation crossed it.
result<std::optional<std::string>> settle(NearCache& near, const NearCache::Fill& fill, const OwnedReply& get,
                                          const OwnedReply& pttl_reply) {
    const auto& r = get.reply();
    if (r.is_null()) {
        near.abandon(fill);
        return std::optional<std::string>{};
    }
    if (r.type() != resp::Type::bulk_string) {
        near.abandon(fill);
        return make_error_code(errc::server_error);
    }
    std::string value{r.root().value};
    const auto now = NearCache::Clock::now();
    auto expires = now + near.options().max_age;
    const auto pttl = pttl_reply->as_integer();
    if (!pttl || *pttl == -2) {
        near.abandon(fill);  // gone between the two commands, or no answer: not kept
    } else {
        if (*pttl >= 0) expires = std::min(expires, now + std::chrono::milliseconds{*pttl});
        near.complete(fill, value, expires);
    }
    return std::optional<std::string>{std::move(value)};
}

}  // namespace

// One miss's fetch, waited for by the misses of the key that come while
// it is under way.
struct NearFlight : SharedOutcome<result<std::optional<std::string>>> {};

namespace {

// Whether a failed read says that the key's node could not answer, rather
// than answering an error: what stale-if-error covers. (The cluster client
// retries CLUSTERDOWN, TRYAGAIN, LOADING and MASTERDOWN until the deadline
// or until it knows no failover can end them: timeout, cluster_down.)
bool node_could_not_answer(const boost::system::error_code& ec) {
    if (ec.category() != category()) return false;
    switch (static_cast<errc>(ec.value())) {
        case errc::connect_failed:
        case errc::timeout:
        case errc::closed:
        case errc::backing_off:
        case errc::queue_full:
        case errc::no_node:
        case errc::redirect_loop:
        case errc::cluster_down: return true;
        default: return false;
    }
}

}  // namespace

awaitable<result<Client::Read>> Client::read_near(std::string_view key, Deadline deadline) {
    NearCache& near = *near_;
    if (auto kept = near.get(key)) co_return Read{std::move(*kept), std::nullopt};
    // With a stale copy to fall back on, the node gets stale_leash to answer:
    // the cluster client would otherwise retry a dead master until the
    // caller's deadline.
    const auto leash =
        near.has_stale(key) ? std::min(deadline, NearCache::Clock::now() + near.options().stale_leash) : deadline;
    auto got = co_await fetch_near(key, leash);
    if (got) co_return Read{std::move(*got), std::nullopt};
    if (node_could_not_answer(got.error()))
        if (auto old = near.stale(key)) co_return Read{std::move(old->value), old->age};
    co_return got.error();
}

// A miss: the fetch already under way for the key, or a tracked read on a
// link to the key's master (its waiters get what it got).
awaitable<result<std::optional<std::string>>> Client::fetch_near(std::string_view key, Deadline deadline) {
    NearCache& near = *near_;
    auto mine = std::make_shared<NearFlight>();
    NearCache::Fill fill;
    if (auto flight = near.join_or_lead(key, mine, fill)) {
        const result<std::optional<std::string>> late{make_error_code(errc::timeout)};
        auto got = co_await flight->wait(deadline, late);
        // The leader's own deadline came first: there is time to read for itself.
        if (got || got.error() != make_error_code(errc::timeout) || std::chrono::steady_clock::now() >= deadline)
            co_return got;
        fill = near.begin(key);
        mine.reset();
    }
    // However this ends (its coroutine destroyed at shutdown too), the flight
    // lands and its waiters hear.
    struct Landing {
        NearCache& near;
        std::string_view key;
        const std::shared_ptr<NearFlight>& flight;
        result<std::optional<std::string>> outcome{make_error_code(errc::closed)};
        ~Landing() {
            if (!flight) return;
            near.land(key, flight);
            flight->finish(outcome);
        }
    } landing{near, key, mine};
    std::vector<Command> cmds;
    tracked_read(cmds, key);
    auto replies = co_await run(std::move(cmds), deadline);
    if (!replies) {
        near.abandon(fill);
        // The server refused tracking on this very read: read plainly.
        if (!near_cache()) landing.outcome = co_await get_plain(key, deadline);
        else landing.outcome = replies.error();
    } else {
        landing.outcome = settle(near, fill, (*replies)[0], (*replies)[1]);
    }
    co_return landing.outcome;
}

// The keys the near cache holds from it, the others read as get_near reads
// one (pipelined per node, nodes in parallel).
awaitable<result<std::vector<std::optional<std::string>>>> Client::mget_near(const std::vector<std::string>& keys,
                                                                             Deadline deadline) {
    NearCache& near = *near_;
    std::vector<std::optional<std::string>> values(keys.size());
    std::vector<std::size_t> missing;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if (auto kept = near.get(keys[i])) values[i] = std::move(*kept);
        else missing.push_back(i);
    }
    if (missing.empty()) co_return values;
    std::vector<NearCache::Fill> fills;
    std::vector<Command> cmds;
    fills.reserve(missing.size());
    cmds.reserve(missing.size() * 2);
    for (auto i : missing) {
        fills.push_back(near.begin(keys[i]));
        tracked_read(cmds, keys[i]);
    }
    auto replies = co_await run(std::move(cmds), deadline);
    if (!replies) {
        for (const auto& f : fills) near.abandon(f);
        if (!near_cache()) co_return co_await mget_plain(keys, deadline);
        co_return replies.error();
    }
    std::optional<boost::system::error_code> failed;
    for (std::size_t j = 0; j < missing.size(); ++j) {
        auto v = settle(near, fills[j], (*replies)[2 * j], (*replies)[2 * j + 1]);
        if (!v) failed = v.error();  // (every fill is settled, kept or abandoned, before answering)
        else values[missing[j]] = std::move(*v);
    }
    if (failed) co_return *failed;
    co_return values;
}

}  // namespace yooni::redis
