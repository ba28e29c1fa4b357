#include <yooni/cache/glob.hpp>
#include <yooni/cache/memory_backend.hpp>

namespace yooni::cache {

MemoryBackend::MemoryBackend(std::size_t max_bytes) : store_(max_bytes) {}

awaitable<result<std::optional<std::string>>> MemoryBackend::get(std::string key, Deadline) {
    co_return store_.get(key);
}

awaitable<result<Read>> MemoryBackend::read(std::string key, Deadline) {
    auto found = store_.find(key);
    if (!found) co_return Read{};
    co_return Read{std::move(found->value), std::nullopt, found->sha1};
}

awaitable<result<void>> MemoryBackend::set(Entry entry, Deadline) {
    if (!store_.set(entry.key, std::move(entry.value), entry.ttl)) co_return make_error_code(errc::too_large);
    co_return result<void>{};
}

awaitable<result<bool>> MemoryBackend::del(std::string key, Deadline) { co_return store_.del(key); }

awaitable<result<std::vector<std::optional<std::string>>>> MemoryBackend::mget(std::vector<std::string> keys,
                                                                               Deadline) {
    std::vector<std::optional<std::string>> values;
    values.reserve(keys.size());
    for (const auto& k : keys) values.push_back(store_.get(k));
    co_return values;
}

awaitable<result<void>> MemoryBackend::mset(std::vector<Entry> entries, Deadline) {
    // Not atomic, like MSET across cluster slots: entries before a refused one stay stored.
    for (auto& e : entries)
        if (!store_.set(e.key, std::move(e.value), e.ttl)) co_return make_error_code(errc::too_large);
    co_return result<void>{};
}

awaitable<result<std::size_t>> MemoryBackend::mdel(std::vector<std::string> keys, Deadline) {
    std::size_t n = 0;
    for (const auto& k : keys) n += store_.del(k) ? 1 : 0;
    co_return n;
}

awaitable<result<std::size_t>> MemoryBackend::delete_pattern(std::string pattern, Deadline) {
    if (pattern.size() > kMaxGlobPatternBytes) co_return make_error_code(errc::bad_pattern);
    co_return store_.delete_matching(pattern);
}

awaitable<result<std::optional<redis::ClusterInfo>>> MemoryBackend::cluster_info(Deadline) {
    co_return std::optional<redis::ClusterInfo>{};
}

BackendStatus MemoryBackend::status() const {
    const auto s = store_.stats();
    return MemoryStatus{s.entries, s.bytes, s.max_bytes, s.evictions, s.expirations};
}

awaitable<result<bool>> MemoryBackend::set_if(Entry entry, Precondition pre, Deadline) {
    const MemoryStore::Check check = [&pre](std::optional<std::string_view> current, const Sha1* kept) {
        return pre.holds(current, kept);
    };
    auto done = store_.set_if(entry.key, std::move(entry.value), entry.ttl, &check);
    if (!done) co_return false;
    if (!*done) co_return result<bool>{boost::system::in_place_error, make_error_code(errc::too_large)};
    co_return true;
}

awaitable<result<bool>> MemoryBackend::del_if(std::string key, Precondition pre, Deadline) {
    const MemoryStore::Check check = [&pre](std::optional<std::string_view> current, const Sha1* kept) {
        return pre.holds(current, kept);
    };
    auto done = store_.del_if(key, check);
    co_return done.has_value() && *done;
}

}  // namespace yooni::cache
