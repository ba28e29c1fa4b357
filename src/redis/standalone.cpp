// The standalone client: all commands of a call go to the one node, pipelined
// in a single write on the worker's connection.
#include <yooni/redis/standalone.hpp>

#include "redis/node_path.hpp"
#include "redis/pool.hpp"
#include "redis/spawn.hpp"

#include <yooni/resp/encoder.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/this_coro.hpp>

#include <spdlog/spdlog.h>

#include <atomic>
#include <mutex>
#include <thread>

namespace yooni::redis {

namespace asio = boost::asio;
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

struct Standalone::Impl {
    StandaloneOptions options;
    detail::ConnectionPool pool;
    std::atomic<bool> healthy{false};
    mutable std::mutex error_mutex;
    std::string last_error;
    std::atomic<bool> stopping{false};
    asio::io_context control{1};  // health pings
    std::thread control_thread;
    std::shared_ptr<Connection> control_connection;

    explicit Impl(StandaloneOptions o) : options(std::move(o)) {}
};

namespace {

bool retryable(const boost::system::error_code& ec) {
    return ec == make_error_code(errc::closed) || ec == make_error_code(errc::connect_failed) ||
           ec == make_error_code(errc::backing_off);
}

awaitable<void> pause_until(std::chrono::steady_clock::time_point t) {
    asio::steady_timer timer{co_await asio::this_coro::executor, t};
    co_await timer.async_wait(use_nothrow);
}

awaitable<void> health_loop(Standalone::Impl* impl) {
    std::string ping;
    resp::append_command(ping, {"PING"});
    while (!impl->stopping.load()) {
        const auto now = std::chrono::steady_clock::now();
        auto reply = co_await impl->control_connection->execute_one(ping, now + impl->options.connection.connect_timeout);
        const bool ok = reply && !(*reply)->is_error();
        {
            std::lock_guard lock{impl->error_mutex};
            const auto& c = impl->options.connection;
            impl->last_error = ok ? std::string{}
                               : c.host + ":" + std::to_string(c.port) + ": " +
                                     (reply ? std::string{(*reply)->error_message().substr(0, 160)}
                                            : reply.error().message() +
                                                  (impl->control_connection->last_error().empty()
                                                       ? std::string{}
                                                       : " (" + impl->control_connection->last_error() + ")"));
        }
        if (ok != impl->healthy.load()) spdlog::info("redis.health node={}:{} ok={}", impl->options.connection.host,
                                                     impl->options.connection.port, ok);
        impl->healthy.store(ok);
        co_await pause_until(std::chrono::steady_clock::now() + impl->options.health_interval);
    }
}

// The health loop runs for the client's life: should it throw, it is logged
// and started again after one interval.
awaitable<void> health_loop_after(Standalone::Impl* impl, std::chrono::milliseconds pause) {
    co_await pause_until(std::chrono::steady_clock::now() + pause);
    co_await health_loop(impl);
}

void start_health_loop(Standalone::Impl* impl, std::chrono::milliseconds pause) {
    detail::spawn_logged(impl->control.get_executor(), health_loop_after(impl, pause), "redis.health", [impl] {
        if (!impl->stopping.load()) start_health_loop(impl, impl->options.health_interval);
    });
}

}  // namespace

Standalone::Standalone(StandaloneOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Standalone::~Standalone() { stop(); }

void Standalone::start() {
    impl_->control_connection = Connection::create(impl_->control.get_executor(), impl_->options.connection);
    start_health_loop(impl_.get(), std::chrono::milliseconds{0});
    impl_->control_thread = detail::start_control_thread(impl_->control);
}

void Standalone::attach_tracking(std::shared_ptr<const ConnectionOptions::Tracking> hooks) {
    impl_->pool.set_tracking(std::move(hooks));
}

void Standalone::stop() {
    if (impl_->stopping.exchange(true)) return;
    impl_->control.stop();
    if (impl_->control_thread.joinable()) impl_->control_thread.join();
    if (impl_->control_connection) impl_->control_connection->close();
    impl_->pool.close_all();
}

bool Standalone::ready() const { return impl_->healthy.load(); }

std::string Standalone::last_error() const {
    std::lock_guard lock{impl_->error_mutex};
    return impl_->last_error;
}

awaitable<result<std::vector<OwnedReply>>> Standalone::run(std::vector<Command> commands, Deadline deadline) {
    auto conn = impl_->pool.get(co_await asio::this_coro::executor, impl_->options.connection,
                                detail::lane_for(commands));
    bool idempotent = true;
    for (const auto& c : commands) idempotent = idempotent && c.idempotent;
    for (;;) {
        auto replies = co_await detail::run_on(*conn, commands, deadline);
        if (replies || !idempotent || !retryable(replies.error())) co_return replies;
        // A lost link or a node restarting: try again until the deadline.
        const auto next = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
        if (next >= deadline) co_return replies;
        co_await pause_until(next);
    }
}

awaitable<result<std::size_t>> Standalone::unlink_matching(std::string pattern, Deadline deadline) {
    co_return co_await detail::scan_and_unlink(*this, std::move(pattern), deadline, impl_->options.scan_count,
                                               impl_->options.unlink_batch);
}

awaitable<result<std::optional<ClusterInfo>>> Standalone::cluster_info(Deadline) {
    co_return std::optional<ClusterInfo>{};
}

ClientStatus Standalone::status() const {
    StandaloneStatus s;
    s.address = impl_->options.connection.host + ":" + std::to_string(impl_->options.connection.port);
    s.db = impl_->options.connection.db;
    s.tls = impl_->options.connection.tls.enabled;
    s.connected = impl_->healthy.load();
    const auto t = impl_->pool.totals();
    s.connections = impl_->pool.size();
    s.connects = t.connects;
    s.commands = t.commands;
    s.writes = t.writes;
    s.abandoned = t.abandoned;
    s.last_error = last_error();
    return s;
}

}  // namespace yooni::redis
