// Cache operations as the Redis client's typed calls: which commands they
// are, which slot each key has and how replies read is the client's business
// (redis/commands.cpp); here only errors are mapped to the cache's.
#include <yooni/cache/glob.hpp>
#include <yooni/cache/redis_backend.hpp>

namespace yooni::cache {

namespace {

redis::KeyValue key_value(Entry& e) { return redis::KeyValue{std::move(e.key), std::move(e.value), e.ttl}; }

}  // namespace

boost::system::error_code to_cache_error(const boost::system::error_code& ec) {
    using redis::errc;
    if (ec == redis::make_error_code(errc::timeout)) return make_error_code(cache::errc::timeout);
    if (ec == redis::make_error_code(errc::not_replicated)) return make_error_code(cache::errc::not_replicated);
    if (ec == redis::make_error_code(errc::connect_failed) || ec == redis::make_error_code(errc::closed) ||
        ec == redis::make_error_code(errc::backing_off) || ec == redis::make_error_code(errc::no_node) ||
        ec == redis::make_error_code(errc::queue_full) || ec == redis::make_error_code(errc::auth_failed) ||
        ec == redis::make_error_code(errc::cluster_down))
        return make_error_code(cache::errc::unavailable);
    return make_error_code(cache::errc::backend_error);
}

RedisBackend::RedisBackend(std::unique_ptr<redis::Client> client, RedisBackendOptions options)
    : client_(std::move(client)), options_(options) {}

RedisBackend::~RedisBackend() = default;

redis::WaitFor RedisBackend::wait_for() const { return {options_.wait_replicas, options_.wait_timeout}; }

awaitable<result<std::optional<std::string>>> RedisBackend::get(std::string key, Deadline deadline) {
    auto value = co_await client_->get(key, deadline);
    if (!value) co_return to_cache_error(value.error());
    co_return std::move(*value);
}

awaitable<result<Read>> RedisBackend::read(std::string key, Deadline deadline) {
    auto got = co_await client_->read(key, deadline);
    if (!got) co_return to_cache_error(got.error());
    co_return Read{std::move(got->value), got->stale_age};
}

awaitable<result<void>> RedisBackend::set(Entry entry, Deadline deadline) {
    // Named, not temporaries of the co_await expression: GCC 12 may destroy those twice.
    const auto item = key_value(entry);
    const auto wait = wait_for();
    auto done = co_await client_->set(item, wait, deadline);
    if (!done) co_return to_cache_error(done.error());
    co_return result<void>{};
}

namespace {

redis::Client::Condition condition_of(const Precondition& pre) {
    redis::Client::Condition c;
    switch (pre.kind) {
        case Precondition::Kind::tag: c.kind = redis::Client::Condition::Kind::tag; break;
        case Precondition::Kind::absent: c.kind = redis::Client::Condition::Kind::absent; break;
        case Precondition::Kind::none:
        case Precondition::Kind::exists: c.kind = redis::Client::Condition::Kind::exists; break;
    }
    c.sha1_hex = pre.tags;
    return c;
}

}  // namespace

awaitable<result<bool>> RedisBackend::set_if(Entry entry, Precondition pre, Deadline deadline) {
    if (pre.kind == Precondition::Kind::none) {
        auto done = co_await set(std::move(entry), deadline);
        if (!done) co_return result<bool>{boost::system::in_place_error, done.error()};
        co_return true;
    }
    const auto item = key_value(entry);
    const auto wait = wait_for();
    const auto when = condition_of(pre);
    auto done = co_await client_->set_if(item, when, wait, deadline);
    if (!done) co_return result<bool>{boost::system::in_place_error, to_cache_error(done.error())};
    co_return *done;
}

awaitable<result<bool>> RedisBackend::del_if(std::string key, Precondition pre, Deadline deadline) {
    if (pre.kind == Precondition::Kind::none) {
        auto done = co_await del(std::move(key), deadline);
        if (!done) co_return result<bool>{boost::system::in_place_error, done.error()};
        co_return *done;
    }
    const auto when = condition_of(pre);
    auto done = co_await client_->unlink_if(key, when, deadline);
    if (!done) co_return result<bool>{boost::system::in_place_error, to_cache_error(done.error())};
    co_return *done;
}

awaitable<result<bool>> RedisBackend::del(std::string key, Deadline deadline) {
    std::vector<std::string> keys;
    keys.push_back(std::move(key));
    auto n = co_await client_->unlink(keys, deadline);
    // result<bool> needs in_place_error: an error_code converts to bool.
    if (!n) co_return result<bool>{boost::system::in_place_error, to_cache_error(n.error())};
    co_return *n > 0;
}

awaitable<result<std::vector<std::optional<std::string>>>> RedisBackend::mget(std::vector<std::string> keys,
                                                                              Deadline deadline) {
    auto values = co_await client_->mget(keys, deadline);
    if (!values) co_return to_cache_error(values.error());
    co_return std::move(*values);
}

awaitable<result<void>> RedisBackend::mset(std::vector<Entry> entries, Deadline deadline) {
    std::vector<redis::KeyValue> items;
    items.reserve(entries.size());
    for (auto& e : entries) items.push_back(key_value(e));
    const auto wait = wait_for();
    auto done = co_await client_->mset(items, wait, deadline);
    if (!done) co_return to_cache_error(done.error());
    co_return result<void>{};
}

awaitable<result<std::size_t>> RedisBackend::mdel(std::vector<std::string> keys, Deadline deadline) {
    auto n = co_await client_->unlink(keys, deadline);
    if (!n) co_return to_cache_error(n.error());
    co_return *n;
}

awaitable<result<std::size_t>> RedisBackend::delete_pattern(std::string pattern, Deadline deadline) {
    if (pattern.size() > kMaxGlobPatternBytes) co_return make_error_code(errc::bad_pattern);
    auto n = co_await client_->delete_matching(std::move(pattern), deadline);
    if (!n) co_return to_cache_error(n.error());
    co_return *n;
}

awaitable<result<std::optional<redis::ClusterInfo>>> RedisBackend::cluster_info(Deadline deadline) {
    auto info = co_await client_->cluster_info(deadline);
    if (!info) co_return to_cache_error(info.error());
    co_return std::move(*info);
}

BackendStatus RedisBackend::status() const {
    return std::visit([](auto s) -> BackendStatus { return s; }, client_->status());
}

std::string last_error_of(const BackendStatus& status) {
    if (const auto* s = std::get_if<redis::StandaloneStatus>(&status)) return s->last_error;
    if (const auto* c = std::get_if<redis::ClusterStatus>(&status)) return c->last_error;
    if (const auto* s = std::get_if<redis::SentinelStatus>(&status)) return s->last_error;
    return {};
}

}  // namespace yooni::cache
