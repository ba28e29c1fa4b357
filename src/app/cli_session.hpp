// Private to the Redis commands (cli_cluster.cpp, cli_stats.cpp,
// cli_cache.cpp): the client the service builds (backend_factory.hpp) on a
// local io_context, for one command. It runs one cache or client call until
// the deadline (HTTP_REQUEST_TIMEOUT_MS or --timeout), then stops the client
// before the io_context goes.
//
// No coroutine of our own: the library's awaitables are spawned as they are,
// so none of GCC 12's coroutine pitfalls (temporaries in co_await
// expressions) can occur here.
#pragma once

#include "app/cli_internal.hpp"

#include <yooni/cache/cache.hpp>
#include <yooni/cache/redis_backend.hpp>
#include <yooni/redis/cluster.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace yooni::app::cli {

// The memory store lives inside the service process: a separate process
// would only see an empty store of its own. Exit 2 with the reason, or nullopt
// when Redis is configured.
std::optional<int> refuse_memory(const Context& ctx);

// The configured client on a local io_context, for one command.
class Session {
public:
    explicit Session(const Context& ctx);
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    // The connections belong to io_: close them while it exists (it is not
    // running now: run_for() returned).
    ~Session();

    redis::Client& client() { return *client_; }
    redis::Cluster* cluster() { return cluster_; }
    cache::Backend& backend() { return *backend_; }
    cache::Cache& cache() { return *cache_; }
    Deadline deadline() const { return ctx_.deadline; }

    // "Redis Cluster (seeds a, b)" or "Redis at host:port": names the nodes tried.
    std::string target() const;

    // Starts the client and waits (until the deadline) for a usable
    // connection: a slot map (even partial: the cluster commands show why)
    // or an answered PING. False with `why` naming every node tried.
    bool connect(std::string& why);

    // Why a call failed: the error, what the client knows about the nodes, and which.
    std::string failure(const boost::system::error_code& ec) const;

    // Runs one awaitable on the local io_context until it completes; nullopt
    // when it has not completed shortly after the deadline. `tick` runs
    // about every 10 ms meanwhile (progress lines).
    template <class T>
    std::optional<T> run(boost::asio::awaitable<T> task, const std::function<void()>& tick = {}) {
        using namespace std::chrono_literals;
        auto future = boost::asio::co_spawn(io_, std::move(task), boost::asio::use_future);
        const auto give_up = ctx_.deadline + 2s;
        while (future.wait_for(0s) != std::future_status::ready) {
            if (Clock::now() > give_up) return std::nullopt;
            if (io_.stopped()) io_.restart();
            // The client's connections keep io_ busy: never wait for run() to return.
            io_.run_for(10ms);
            if (tick) tick();
        }
        return future.get();
    }

    std::string timed_out() const;

private:
    const Context& ctx_;
    boost::asio::io_context io_{1};  // first: destroyed after the client
    redis::Client* client_ = nullptr;
    redis::Cluster* cluster_ = nullptr;
    std::vector<std::string> nodes_;
    std::string sentinel_master_;  // set for Redis behind Sentinel
    std::unique_ptr<cache::RedisBackend> backend_;
    std::unique_ptr<cache::Cache> cache_;
    bool started_ = false;
};

}  // namespace yooni::app::cli
