// The Redis backends (standalone and cluster) behind the cache's Backend
// interface: the cache above does not know which one it talks to.
#pragma once

#include <yooni/cache/backend.hpp>
#include <yooni/redis/client.hpp>

#include <memory>

namespace yooni::cache {

struct RedisBackendOptions {
    // Writes wait until this many replicas have them (WAIT) before they are
    // acknowledged; a write that fewer replicas confirm in time is an error.
    // Redis replicates asynchronously: without this, a failover may lose
    // acknowledged writes.
    int wait_replicas = 0;
    std::chrono::milliseconds wait_timeout{1000};
};

class RedisBackend final : public Backend {
public:
    // Takes the client over; start() it before use.
    explicit RedisBackend(std::unique_ptr<redis::Client> client, RedisBackendOptions options = {});
    ~RedisBackend() override;

    std::string_view kind() const override { return client_->kind(); }
    bool ready() const override { return client_->ready(); }
    awaitable<result<std::optional<std::string>>> get(std::string key, Deadline deadline) override;
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
    std::optional<redis::NearCacheStats> near_cache() const override {
        if (const auto* near = client_->near_cache()) return near->stats();
        return std::nullopt;
    }

    redis::Client& client() { return *client_; }

private:
    redis::WaitFor wait_for() const;

    std::unique_ptr<redis::Client> client_;
    RedisBackendOptions options_;
};

// Maps the Redis layer's errors onto the cache's (unavailable, timeout, backend_error).
boost::system::error_code to_cache_error(const boost::system::error_code& ec);

}  // namespace yooni::cache
