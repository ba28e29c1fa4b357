// Cache operations as Redis commands. Keys of one multi-key call are grouped
// by hash slot (one MGET/UNLINK per slot), so the call works across slots in a
// cluster; the client sends the groups to their nodes in parallel.
#include <yooni/cache/glob.hpp>
#include <yooni/cache/redis_backend.hpp>
#include <yooni/redis/key_slot.hpp>
#include <yooni/resp/encoder.hpp>

#include <map>

namespace yooni::cache {

namespace {

redis::Command command(std::initializer_list<std::string_view> args, std::uint16_t slot, bool read_only) {
    redis::Command c;
    resp::append_command(c.payload, args);
    c.slot = slot;
    c.read_only = read_only;
    return c;
}

redis::Command set_command(const Entry& e) {
    const auto slot = redis::key_slot(e.key);
    if (e.ttl.count() > 0) return command({"SET", e.key, e.value, "EX", std::to_string(e.ttl.count())}, slot, false);
    return command({"SET", e.key, e.value}, slot, false);
}

// Keys grouped by slot, remembering each key's place in the caller's order.
std::map<std::uint16_t, std::vector<std::size_t>> by_slot(const std::vector<std::string>& keys) {
    std::map<std::uint16_t, std::vector<std::size_t>> groups;
    for (std::size_t i = 0; i < keys.size(); ++i) groups[redis::key_slot(keys[i])].push_back(i);
    return groups;
}

}  // namespace

boost::system::error_code to_cache_error(const boost::system::error_code& ec) {
    using redis::errc;
    if (ec == redis::make_error_code(errc::timeout)) return make_error_code(cache::errc::timeout);
    if (ec == redis::make_error_code(errc::connect_failed) || ec == redis::make_error_code(errc::closed) ||
        ec == redis::make_error_code(errc::backing_off) || ec == redis::make_error_code(errc::no_node) ||
        ec == redis::make_error_code(errc::queue_full) || ec == redis::make_error_code(errc::auth_failed))
        return make_error_code(cache::errc::unavailable);
    return make_error_code(cache::errc::backend_error);
}

RedisBackend::RedisBackend(std::unique_ptr<redis::Client> client, RedisBackendOptions options)
    : client_(std::move(client)), options_(options) {}

redis::Command RedisBackend::write_command(const Entry& e) const {
    auto c = set_command(e);
    if (options_.wait_replicas > 0) {
        // WAIT on the same node, right after the write, in the same pipeline.
        resp::append_command(c.payload, {"WAIT", std::to_string(options_.wait_replicas),
                                         std::to_string(options_.wait_timeout.count())});
        c.replies = 2;
    }
    return c;
}

boost::system::error_code RedisBackend::check_write(const redis::OwnedReply& reply) const {
    if (reply->is_error()) return make_error_code(errc::backend_error);
    if (options_.wait_replicas > 0) {
        auto acked = reply->as_integer();
        if (!acked || *acked < options_.wait_replicas) return make_error_code(errc::not_replicated);
    }
    return {};
}

RedisBackend::~RedisBackend() = default;

awaitable<result<std::optional<std::string>>> RedisBackend::get(std::string key, Deadline deadline) {
    std::vector<redis::Command> cmds;
    cmds.push_back(command({"GET", key}, redis::key_slot(key), true));
    auto replies = co_await client_->run(std::move(cmds), deadline);
    if (!replies) co_return to_cache_error(replies.error());
    const auto& r = (*replies)[0].reply();
    if (r.is_error()) co_return make_error_code(errc::backend_error);
    if (r.is_null()) co_return std::optional<std::string>{};
    auto s = r.as_string();
    if (!s) co_return make_error_code(errc::backend_error);
    co_return std::optional<std::string>{std::string{*s}};
}

awaitable<result<void>> RedisBackend::set(Entry entry, Deadline deadline) {
    std::vector<redis::Command> cmds;
    cmds.push_back(write_command(entry));
    auto replies = co_await client_->run(std::move(cmds), deadline);
    if (!replies) co_return to_cache_error(replies.error());
    if (auto ec = check_write((*replies)[0])) co_return ec;
    co_return result<void>{};
}

awaitable<result<bool>> RedisBackend::del(std::string key, Deadline deadline) {
    std::vector<redis::Command> cmds;
    cmds.push_back(command({"UNLINK", key}, redis::key_slot(key), false));
    auto replies = co_await client_->run(std::move(cmds), deadline);
    // result<bool> needs in_place_error: an error_code converts to bool.
    if (!replies) co_return result<bool>{boost::system::in_place_error, to_cache_error(replies.error())};
    auto n = (*replies)[0]->as_integer();
    if (!n) co_return result<bool>{boost::system::in_place_error, make_error_code(errc::backend_error)};
    co_return *n > 0;
}

awaitable<result<std::vector<std::optional<std::string>>>> RedisBackend::mget(std::vector<std::string> keys,
                                                                              Deadline deadline) {
    std::vector<std::optional<std::string>> values(keys.size());
    if (keys.empty()) co_return values;
    auto groups = by_slot(keys);
    std::vector<redis::Command> cmds;
    std::vector<const std::vector<std::size_t>*> order;
    for (const auto& [slot, idx] : groups) {
        std::vector<std::string_view> args{"MGET"};
        for (auto i : idx) args.push_back(keys[i]);
        auto c = redis::make_command(args, slot);
        c.read_only = true;
        cmds.push_back(std::move(c));
        order.push_back(&idx);
    }
    auto replies = co_await client_->run(std::move(cmds), deadline);
    if (!replies) co_return to_cache_error(replies.error());
    for (std::size_t g = 0; g < order.size(); ++g) {
        const auto& r = (*replies)[g].reply();
        if (r.is_error()) co_return make_error_code(errc::backend_error);
        const auto& idx = *order[g];
        std::size_t k = 0;
        for (std::size_t node : r.children(0)) {
            if (k >= idx.size()) break;
            if (auto s = r.as_string(node)) values[idx[k]] = std::string{*s};
            ++k;
        }
        if (k != idx.size()) co_return make_error_code(errc::backend_error);
    }
    co_return values;
}

awaitable<result<void>> RedisBackend::mset(std::vector<Entry> entries, Deadline deadline) {
    // One SET per entry (each may have its own TTL), pipelined per node.
    std::vector<redis::Command> cmds;
    cmds.reserve(entries.size());
    for (const auto& e : entries) cmds.push_back(write_command(e));
    auto replies = co_await client_->run(std::move(cmds), deadline);
    if (!replies) co_return to_cache_error(replies.error());
    for (const auto& r : *replies)
        if (auto ec = check_write(r)) co_return ec;
    co_return result<void>{};
}

awaitable<result<std::size_t>> RedisBackend::mdel(std::vector<std::string> keys, Deadline deadline) {
    if (keys.empty()) co_return std::size_t{0};
    auto groups = by_slot(keys);
    std::vector<redis::Command> cmds;
    for (const auto& [slot, idx] : groups) {
        std::vector<std::string_view> args{"UNLINK"};
        for (auto i : idx) args.push_back(keys[i]);
        cmds.push_back(redis::make_command(args, slot));
    }
    auto replies = co_await client_->run(std::move(cmds), deadline);
    if (!replies) co_return to_cache_error(replies.error());
    std::size_t n = 0;
    for (const auto& r : *replies) {
        auto k = r->as_integer();
        if (!k) co_return make_error_code(errc::backend_error);
        n += static_cast<std::size_t>(*k);
    }
    co_return n;
}

awaitable<result<std::size_t>> RedisBackend::delete_pattern(std::string pattern, Deadline deadline) {
    if (pattern.size() > kMaxGlobPatternBytes) co_return make_error_code(errc::bad_pattern);
    auto n = co_await client_->delete_matching(std::move(pattern), deadline);
    if (!n) co_return to_cache_error(n.error());
    co_return *n;
}

awaitable<result<boost::json::object>> RedisBackend::cluster_info(Deadline deadline) {
    auto info = co_await client_->cluster_info(deadline);
    if (!info) co_return to_cache_error(info.error());
    co_return std::move(*info);
}

boost::json::object RedisBackend::describe() const { return client_->describe(); }

}  // namespace yooni::cache
