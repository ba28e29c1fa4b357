// The Redis backends (standalone and cluster) behind the cache's Backend
// interface: the cache above does not know which one it talks to.
#pragma once

#include <yooni/cache/backend.hpp>
#include <yooni/redis/client.hpp>

#include <memory>

namespace yooni::cache {

class RedisBackend final : public Backend {
public:
    // Takes the client over; start() it before use.
    explicit RedisBackend(std::unique_ptr<redis::Client> client);
    ~RedisBackend() override;

    std::string_view kind() const override { return client_->kind(); }
    bool ready() const override { return client_->ready(); }
    awaitable<result<std::optional<std::string>>> get(std::string key, Deadline deadline) override;
    awaitable<result<void>> set(Entry entry, Deadline deadline) override;
    awaitable<result<bool>> del(std::string key, Deadline deadline) override;
    awaitable<result<std::vector<std::optional<std::string>>>> mget(std::vector<std::string> keys,
                                                                    Deadline deadline) override;
    awaitable<result<void>> mset(std::vector<Entry> entries, Deadline deadline) override;
    awaitable<result<std::size_t>> mdel(std::vector<std::string> keys, Deadline deadline) override;
    awaitable<result<std::size_t>> delete_pattern(std::string pattern, Deadline deadline) override;
    awaitable<result<boost::json::object>> cluster_info(Deadline deadline) override;
    boost::json::object describe() const override;

    redis::Client& client() { return *client_; }

private:
    std::unique_ptr<redis::Client> client_;
};

// Maps the Redis layer's errors onto the cache's (unavailable, timeout, backend_error).
boost::system::error_code to_cache_error(const boost::system::error_code& ec);

}  // namespace yooni::cache
