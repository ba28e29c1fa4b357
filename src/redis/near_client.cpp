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

// GET (and PTTL, for the entry's expiry) on a tracked link to the key's
// master; the reply is kept unless an invalidation crossed it.
awaitable<result<std::optional<std::string>>> Client::get_near(std::string_view key, Deadline deadline) {
    NearCache& near = *near_;
    if (auto kept = near.get(key)) co_return std::optional<std::string>{std::move(*kept)};
    auto fill = near.begin(key);
    std::vector<Command> cmds;
    cmds.push_back(make_command({"GET", key}));
    cmds.push_back(make_command({"PTTL", key}));
    for (auto& c : cmds) c.tracked = true;
    auto replies = co_await run(std::move(cmds), deadline);
    if (!replies) {
        near.abandon(fill);
        // The server refused tracking on this very read: read plainly.
        if (!near_cache()) co_return co_await get_plain(key, deadline);
        co_return replies.error();
    }
    const auto& r = (*replies)[0].reply();
    if (r.is_null()) {
        near.abandon(fill);
        co_return std::optional<std::string>{};
    }
    if (r.type() != resp::Type::bulk_string) {
        near.abandon(fill);
        co_return make_error_code(errc::server_error);
    }
    std::string value{r.root().value};
    const auto now = NearCache::Clock::now();
    auto expires = now + near.options().max_age;
    const auto pttl = (*replies)[1]->as_integer();
    if (!pttl || *pttl == -2) {
        near.abandon(fill);  // gone between the two commands, or no answer: not kept
    } else {
        if (*pttl >= 0) expires = std::min(expires, now + std::chrono::milliseconds{*pttl});
        near.complete(fill, value, expires);
    }
    co_return std::optional<std::string>{std::move(value)};
}

}  // namespace yooni::redis
