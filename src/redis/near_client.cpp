// The near cache in redis::Client (client.hpp, near_cache.hpp): the tracked
// links' hooks (invalidation pushes, a lost link, a refusal) and get()
// through the near cache.
#include <yooni/redis/client.hpp>
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
    // The hooks hold the near cache and its state, not the client.
    hooks->on_push = [near = near_](const resp::Reply& push) { on_invalidation(*near, push); };
    hooks->on_reset = [near = near_] { near->flush(); };
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

// On a tracked link to the key's master.
awaitable<result<std::optional<std::string>>> Client::get_near(std::string_view key, Deadline deadline) {
    NearCache& near = *near_;
    if (auto kept = near.get(key)) co_return std::optional<std::string>{std::move(*kept)};
    auto fill = near.begin(key);
    std::vector<Command> cmds;
    tracked_read(cmds, key);
    auto replies = co_await run(std::move(cmds), deadline);
    if (!replies) {
        near.abandon(fill);
        // The server refused tracking on this very read: read plainly.
        if (!near_cache()) co_return co_await get_plain(key, deadline);
        co_return replies.error();
    }
    co_return settle(near, fill, (*replies)[0], (*replies)[1]);
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
