// The embedded default backend: a MemoryStore behind the Backend interface.
// Calls complete immediately on the caller's executor (no I/O).
#pragma once

#include <yooni/cache/backend.hpp>
#include <yooni/cache/memory_store.hpp>

namespace yooni::cache {

class MemoryBackend final : public Backend {
public:
    explicit MemoryBackend(std::size_t max_bytes);

    std::string_view kind() const override { return "memory"; }
    bool ready() const override { return true; }
    awaitable<result<std::optional<std::string>>> get(std::string key, Deadline deadline) override;
    // get(), with the value's SHA-1 where the store keeps it (large values).
    awaitable<result<Read>> read(std::string key, Deadline deadline) override;
    awaitable<result<void>> set(Entry entry, Deadline deadline) override;
    awaitable<result<bool>> del(std::string key, Deadline deadline) override;
    awaitable<result<std::vector<std::optional<std::string>>>> mget(std::vector<std::string> keys,
                                                                    Deadline deadline) override;
    awaitable<result<void>> mset(std::vector<Entry> entries, Deadline deadline) override;
    awaitable<result<std::size_t>> mdel(std::vector<std::string> keys, Deadline deadline) override;
    awaitable<result<std::size_t>> delete_pattern(std::string pattern, Deadline deadline) override;
    awaitable<result<bool>> set_if(Entry entry, Precondition pre, Deadline deadline) override;
    awaitable<result<bool>> del_if(std::string key, Precondition pre, Deadline deadline) override;
    awaitable<result<std::optional<redis::ClusterInfo>>> cluster_info(Deadline deadline) override;
    BackendStatus status() const override;

    MemoryStore& store() { return store_; }

private:
    MemoryStore store_;
};

}  // namespace yooni::cache
