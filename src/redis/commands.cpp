// The typed calls of redis::Client (client.hpp): the commands they send,
// the slot of their keys, and how their replies are read. The only place
// where the cache's operations become RESP.
#include <yooni/redis/client.hpp>
#include <yooni/redis/key_slot.hpp>
#include <yooni/resp/encoder.hpp>

#include <map>

namespace yooni::redis {

namespace {

Command write_command(const KeyValue& item, WaitFor wait) {
    Command c;
    if (item.ttl.count() > 0)
        resp::append_command(c.payload, {"SET", item.key, item.value, "EX", std::to_string(item.ttl.count())});
    else
        resp::append_command(c.payload, {"SET", item.key, item.value});
    c.slot = key_slot(item.key);
    if (wait.replicas > 0) {
        resp::append_command(c.payload, {"WAIT", std::to_string(wait.replicas), std::to_string(wait.timeout.count())});
        c.replies = 2;  // the call returns SET's reply when it is an error, else WAIT's
    }
    return c;
}

// The reply of a write (and its WAIT).
boost::system::error_code check_write(const OwnedReply& reply, WaitFor wait) {
    if (reply->is_error()) return make_error_code(errc::server_error);
    if (wait.replicas > 0) {
        auto acked = reply->as_integer();
        if (!acked) return make_error_code(errc::server_error);
        if (*acked < wait.replicas) return make_error_code(errc::not_replicated);
    }
    return {};
}

// Keys grouped by slot, remembering each key's place in the caller's order.
std::map<std::uint16_t, std::vector<std::size_t>> by_slot(const std::vector<std::string>& keys) {
    std::map<std::uint16_t, std::vector<std::size_t>> groups;
    for (std::size_t i = 0; i < keys.size(); ++i) groups[key_slot(keys[i])].push_back(i);
    return groups;
}

Command keys_command(std::string_view verb, const std::vector<std::string>& keys, const std::vector<std::size_t>& idx,
                     std::uint16_t slot) {
    std::vector<std::string_view> args;
    args.reserve(idx.size() + 1);
    args.push_back(verb);
    for (auto i : idx) args.push_back(keys[i]);
    return make_command(args, slot);
}

// KEYS[1]; ARGV: condition (tag|exists|absent), comma-separated tags, op
// (set|del), value, ttl in seconds (0 = none). A condition that fails is an
// error reply starting with PRECONDITION, so that a WAIT pipelined behind the
// script keeps its meaning (the call returns an error reply, else WAIT's).
constexpr std::string_view kConditionalScript = R"LUA(
local cur = redis.call('GET', KEYS[1])
local mode = ARGV[1]
local ok = false
if mode == 'absent' then ok = not cur
elseif mode == 'exists' then ok = cur and true or false
elseif cur then
  local h = redis.sha1hex(cur)
  for t in string.gmatch(ARGV[2], '[^,]+') do if t == h then ok = true end end
end
if not ok then return redis.error_reply('PRECONDITION the value is not the one expected') end
if ARGV[3] == 'del' then return redis.call('UNLINK', KEYS[1]) end
if tonumber(ARGV[5]) > 0 then return redis.call('SET', KEYS[1], ARGV[4], 'EX', ARGV[5]) end
return redis.call('SET', KEYS[1], ARGV[4])
)LUA";

std::string_view mode_of(const Client::Condition& when) {
    switch (when.kind) {
        case Client::Condition::Kind::tag: return "tag";
        case Client::Condition::Kind::exists: return "exists";
        case Client::Condition::Kind::absent: return "absent";
    }
    return "exists";
}

std::string tags_of(const Client::Condition& when) {
    std::string out;
    for (const auto& t : when.sha1_hex) out += (out.empty() ? "" : ",") + t;
    return out;
}

bool precondition_failed(const OwnedReply& reply) {
    return reply->is_error() && reply->error_message().starts_with("PRECONDITION");
}

}  // namespace

awaitable<result<bool>> Client::set_if(const KeyValue& item, const Condition& when, WaitFor wait, Deadline deadline) {
    Command c;
    const auto tags = tags_of(when);
    const auto ttl = std::to_string(item.ttl.count());
    resp::append_command(c.payload, {"EVAL", kConditionalScript, "1", item.key, mode_of(when), tags, "set", item.value, ttl});
    c.slot = key_slot(item.key);
    if (wait.replicas > 0) {
        resp::append_command(c.payload, {"WAIT", std::to_string(wait.replicas), std::to_string(wait.timeout.count())});
        c.replies = 2;
    }
    std::vector<Command> cmds;
    cmds.push_back(std::move(c));
    // Before it is sent (a read's reply under way is then not kept: it may
    // have been read before this write) and after its reply, before the
    // caller hears of it, whatever it says (a failed write may have run; a
    // read sent after the first invalidation may have been run before it).
    near_invalidate(item.key);
    auto replies = co_await run(std::move(cmds), deadline);
    near_invalidate(item.key);
    if (!replies) co_return result<bool>{boost::system::in_place_error, replies.error()};
    if (precondition_failed((*replies)[0])) co_return false;
    if (auto ec = check_write((*replies)[0], wait)) co_return result<bool>{boost::system::in_place_error, ec};
    co_return true;
}

awaitable<result<bool>> Client::unlink_if(std::string_view key, const Condition& when, Deadline deadline) {
    Command c;
    const auto tags = tags_of(when);
    resp::append_command(c.payload, {"EVAL", kConditionalScript, "1", key, mode_of(when), tags, "del", "", "0"});
    c.slot = key_slot(key);
    std::vector<Command> cmds;
    cmds.push_back(std::move(c));
    near_invalidate(key);
    auto replies = co_await run(std::move(cmds), deadline);
    near_invalidate(key);
    if (!replies) co_return result<bool>{boost::system::in_place_error, replies.error()};
    if (precondition_failed((*replies)[0])) co_return false;
    const auto n = (*replies)[0]->as_integer();
    if (!n) co_return result<bool>{boost::system::in_place_error, make_error_code(errc::server_error)};
    co_return *n > 0;
}

awaitable<result<std::size_t>> Client::delete_matching(std::string pattern, Deadline deadline) {
    // However it ends (an error half way, its coroutine destroyed), what the
    // near cache holds may have been deleted: dropped.
    struct FlushOnExit {
        NearCache* near;
        ~FlushOnExit() {
            if (near) near->flush();
        }
    } flush_after{near_.get()};
    co_return co_await unlink_matching(std::move(pattern), deadline);
}

awaitable<result<std::optional<std::string>>> Client::get(std::string_view key, Deadline deadline) {
    if (!near_cache()) co_return co_await get_plain(key, deadline);
    auto got = co_await read_near(key, deadline);
    if (!got) co_return got.error();
    co_return std::move(got->value);
}

awaitable<result<Client::Read>> Client::read(std::string_view key, Deadline deadline) {
    if (near_cache()) co_return co_await read_near(key, deadline);
    auto got = co_await get_plain(key, deadline);
    if (!got) co_return got.error();
    co_return Read{std::move(*got), std::nullopt};
}

awaitable<result<std::optional<std::string>>> Client::get_plain(std::string_view key, Deadline deadline) {
    std::vector<Command> cmds;
    cmds.push_back(make_command({"GET", key}));
    cmds.back().read_only = true;
    auto replies = co_await run(std::move(cmds), deadline);
    if (!replies) co_return replies.error();
    const auto& r = (*replies)[0].reply();
    if (r.is_null()) co_return std::optional<std::string>{};
    // A value is a bulk string: anything else (+OK, an integer) answers some other command.
    if (r.type() != resp::Type::bulk_string) co_return make_error_code(errc::server_error);
    co_return std::optional<std::string>{std::string{r.root().value}};
}

awaitable<result<void>> Client::set(const KeyValue& item, WaitFor wait, Deadline deadline) {
    std::vector<Command> cmds;
    cmds.push_back(write_command(item, wait));
    near_invalidate(item.key);
    auto replies = co_await run(std::move(cmds), deadline);
    near_invalidate(item.key);
    if (!replies) co_return replies.error();
    if (auto ec = check_write((*replies)[0], wait)) co_return ec;
    co_return result<void>{};
}

awaitable<result<std::vector<std::optional<std::string>>>> Client::mget(const std::vector<std::string>& keys,
                                                                        Deadline deadline) {
    if (near_cache() && !keys.empty()) co_return co_await mget_near(keys, deadline);
    co_return co_await mget_plain(keys, deadline);
}

awaitable<result<std::vector<std::optional<std::string>>>> Client::mget_plain(const std::vector<std::string>& keys,
                                                                              Deadline deadline) {
    std::vector<std::optional<std::string>> values(keys.size());
    if (keys.empty()) co_return values;
    const auto groups = by_slot(keys);
    std::vector<Command> cmds;
    std::vector<const std::vector<std::size_t>*> order;
    for (const auto& [slot, idx] : groups) {
        cmds.push_back(keys_command("MGET", keys, idx, slot));
        cmds.back().read_only = true;
        order.push_back(&idx);
    }
    auto replies = co_await run(std::move(cmds), deadline);
    if (!replies) co_return replies.error();
    for (std::size_t g = 0; g < order.size(); ++g) {
        const auto& r = (*replies)[g].reply();
        const auto& idx = *order[g];
        if (r.is_error() || r.type() != resp::Type::array || r.root().size != idx.size())
            co_return make_error_code(errc::server_error);
        std::size_t k = 0;
        for (std::size_t node : r.children(0)) {
            if (r.nodes[node].type == resp::Type::bulk_string) values[idx[k]] = std::string{r.nodes[node].value};
            else if (r.nodes[node].type != resp::Type::null) co_return make_error_code(errc::server_error);
            ++k;
        }
    }
    co_return values;
}

awaitable<result<void>> Client::mset(const std::vector<KeyValue>& items, WaitFor wait, Deadline deadline) {
    if (items.empty()) co_return result<void>{};
    std::vector<Command> cmds;
    cmds.reserve(items.size());
    for (const auto& item : items) cmds.push_back(write_command(item, wait));
    for (const auto& item : items) near_invalidate(item.key);
    auto replies = co_await run(std::move(cmds), deadline);
    for (const auto& item : items) near_invalidate(item.key);
    if (!replies) co_return replies.error();
    for (const auto& r : *replies)
        if (auto ec = check_write(r, wait)) co_return ec;
    co_return result<void>{};
}

awaitable<result<std::size_t>> Client::unlink(const std::vector<std::string>& keys, Deadline deadline) {
    if (keys.empty()) co_return std::size_t{0};
    std::vector<Command> cmds;
    for (const auto& [slot, idx] : by_slot(keys)) cmds.push_back(keys_command("UNLINK", keys, idx, slot));
    for (const auto& k : keys) near_invalidate(k);
    auto replies = co_await run(std::move(cmds), deadline);
    for (const auto& k : keys) near_invalidate(k);
    if (!replies) co_return replies.error();
    std::size_t n = 0;
    for (const auto& r : *replies) {
        auto k = r->as_integer();
        if (!k || *k < 0) co_return make_error_code(errc::server_error);
        n += static_cast<std::size_t>(*k);
    }
    co_return n;
}

}  // namespace yooni::redis
