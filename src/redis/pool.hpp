// Connections of one client, one per (worker io_context, node): each worker
// pipelines over its own link to each node (ARCHITECTURE.md: shared nothing
// on the hot path). Looked up under a shared lock; created on first use on
// the caller's executor.
#pragma once

#include <yooni/redis/connection.hpp>

#include <boost/asio/execution/context.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/query.hpp>

#include <map>
#include <shared_mutex>

namespace yooni::redis::detail {

class ConnectionPool {
public:
    std::shared_ptr<Connection> get(const boost::asio::any_io_executor& executor, const ConnectionOptions& options) {
        auto* context = &boost::asio::query(executor, boost::asio::execution::context);
        Key key{context, options.host, options.port, options.readonly};
        {
            std::shared_lock lock{mutex_};
            if (auto it = map_.find(key); it != map_.end()) return it->second;
        }
        std::unique_lock lock{mutex_};
        auto& slot = map_[key];
        if (!slot) slot = Connection::create(executor, options);
        return slot;
    }

    // Sum of the counters of every connection (for tests and metrics).
    ConnectionStats totals() const {
        std::shared_lock lock{mutex_};
        ConnectionStats t;
        for (const auto& [k, c] : map_) {
            const auto& s = c->stats();
            t.connects += s.connects;
            t.connect_attempts += s.connect_attempts;
            t.writes += s.writes;
            t.commands += s.commands;
            t.abandoned += s.abandoned;
        }
        return t;
    }

    std::size_t size() const {
        std::shared_lock lock{mutex_};
        return map_.size();
    }

    // Only once the io_contexts no longer run (their threads are joined).
    void close_all() {
        std::unique_lock lock{mutex_};
        for (auto& [k, c] : map_) c->close();
        map_.clear();
    }

private:
    struct Key {
        boost::asio::execution_context* context;
        std::string host;
        std::uint16_t port;
        bool readonly;
        auto operator<=>(const Key&) const = default;
    };
    mutable std::shared_mutex mutex_;
    std::map<Key, std::shared_ptr<Connection>> map_;
};

}  // namespace yooni::redis::detail
