// Connection: pipelined commands over one TCP or TLS stream (see the header).
//
// Three coroutines per open connection, all on the connection's executor:
// connect (then set-up), writer (drains the queue into one write), reader
// (parses replies and hands them to the oldest command in flight). A
// generation number ends the loops of a connection that was torn down.
#include <yooni/redis/connection.hpp>

#include <yooni/redis/multiplexer.hpp>
#include "redis/spawn.hpp"
#include <yooni/resp/encoder.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <spdlog/spdlog.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <random>
#include <span>
#include <unordered_map>
#include <variant>

namespace yooni::redis {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using namespace boost::asio::experimental::awaitable_operators;
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

namespace {

class ErrorCategory final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "yooni.redis"; }
    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
            case errc::connect_failed: return "cannot connect to the Redis node";
            case errc::timeout: return "Redis did not answer before the deadline";
            case errc::closed: return "connection to Redis lost with the command in flight";
            case errc::protocol_error: return "Redis sent bytes that are not RESP";
            case errc::auth_failed: return "Redis refused the connection set-up (AUTH, SELECT or READONLY)";
            case errc::queue_full: return "too many commands waiting for this Redis node";
            case errc::backing_off: return "Redis node unreachable; waiting before the next connect attempt";
            case errc::no_node: return "no reachable Redis node serves this slot";
            case errc::redirect_loop: return "too many cluster redirections for one command";
            case errc::server_error: return "Redis answered with an error";
            case errc::not_replicated: return "the write was not confirmed by enough replicas in time";
            case errc::cluster_down: return "the cluster refuses every key (CLUSTERDOWN) and a failed master has no replica";
        }
        return "unknown Redis error";
    }
};

using Handler = asio::any_completion_handler<void(error_code, std::vector<OwnedReply>)>;

// A caller waiting for its request's completion.
struct Waiter {
    // optional + emplace: Boost 1.81's any_completion_handler move-assignment
    // recurses forever (it copies from an lvalue through its template ctor).
    std::optional<Handler> handler;
    std::optional<asio::steady_timer> deadline;
};

using PlainStream = tcp::socket;
using TlsStream = ssl::stream<tcp::socket>;

}  // namespace

const boost::system::error_category& category() {
    static const ErrorCategory instance;
    return instance;
}
error_code make_error_code(errc e) { return {static_cast<int>(e), category()}; }

ConnectionStats ConnectionCounters::snapshot() const {
    constexpr auto r = std::memory_order_relaxed;
    return {connects.load(r), connect_attempts.load(r), writes.load(r), commands.load(r), abandoned.load(r)};
}

// The Asio side of a link: the socket, the timers and the waiting callers.
// Which reply belongs to which caller is the Multiplexer's business alone.
struct Connection::Impl {
    enum class State { idle, connecting, ready };

    asio::any_io_executor executor;
    Connection* owner;
    State state = State::idle;
    std::uint64_t generation = 0;
    std::variant<std::monostate, PlainStream, TlsStream> stream;
    std::unique_ptr<ssl::context> tls_context;
    Multiplexer mux;
    std::unordered_map<RequestId, Waiter> waiters;
    RequestId setup_id = 0;           // the set-up request of the link being opened, 0 = none
    std::size_t tracking_setup = SIZE_MAX;  // index of HELLO 3 in the set-up (CLIENT TRACKING follows)
    asio::steady_timer setup_deadline;
    asio::steady_timer wake;          // the writer sleeps on it while nothing may be written
    std::chrono::steady_clock::time_point next_attempt{};
    bool refused_setup = false;  // the last attempt was refused by the server (AUTH, SELECT ...), not unreachable
    bool opened_before = false;  // set up once already: the next set-up is a reconnect
    std::chrono::milliseconds backoff{0};
    std::minstd_rand rng{std::random_device{}()};
    std::string last_error;  // of the last failed connect attempt

    Impl(asio::any_io_executor ex, Connection* c) : executor(ex), owner(c), setup_deadline(ex), wake(ex) {}

    const ConnectionOptions& options() const { return owner->options_; }
    ConnectionCounters& counters() { return owner->counters_; }

    // Hands each completion to its caller (posted: a caller never runs inside
    // the connection's own bookkeeping).
    void deliver(std::vector<Completion>& completions) {
        for (auto& c : completions) {
            if (c.id == setup_id) {
                setup_done(c);
                continue;
            }
            auto it = waiters.find(c.id);
            if (it == waiters.end()) continue;
            Handler handler{std::move(*it->second.handler)};
            waiters.erase(it);  // its deadline timer with it
            asio::post(executor, [h = std::move(handler), ec = c.error, replies = std::move(c.replies)]() mutable {
                std::move(h)(ec, std::move(replies));
            });
        }
        completions.clear();
    }

    void deadline_passed(RequestId id) {
        std::vector<Completion> done;
        mux.cancel(id, make_error_code(errc::timeout), done);
        deliver(done);
        if (options().reset_when_late && mux.abandoned_in_flight() > 0) teardown(make_error_code(errc::closed), false);
    }

    void setup_done(const Completion& c);

    void close_stream() {
        error_code ignored;
        if (auto* s = std::get_if<PlainStream>(&stream)) {
            s->shutdown(tcp::socket::shutdown_both, ignored);
            s->close(ignored);
        } else if (auto* t = std::get_if<TlsStream>(&stream)) {
            t->lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
            t->lowest_layer().close(ignored);
        }
    }

    // Ends the current connection: loops of this generation stop, everything
    // pending fails with `ec`.
    void teardown(error_code ec, bool connect_failure) {
        const bool was_open = state == State::ready;
        ++generation;
        state = State::idle;
        setup_id = 0;
        close_stream();
        wake.cancel();
        setup_deadline.cancel();
        const auto& o = options();
        if (connect_failure) {
            backoff = backoff.count() == 0 ? o.backoff_min : std::min(backoff * 2, o.backoff_max);
            // Full jitter within [backoff/2, backoff]: many workers do not reconnect in step.
            std::uniform_int_distribution<long> dist(backoff.count() / 2, backoff.count());
            next_attempt = std::chrono::steady_clock::now() + std::chrono::milliseconds(dist(rng));
        } else {
            next_attempt = {};  // a broken established link may be reopened at once
        }
        std::vector<Completion> done;
        mux.reset(ec, done);
        // What the link tracked is tracked no more: forgotten before any
        // caller hears of the failure.
        if (was_open && o.tracking && o.tracking->on_reset) o.tracking->on_reset();
        deliver(done);
    }

    awaitable<std::tuple<error_code, std::size_t>> write_some(std::string_view bytes) {
        if (auto* s = std::get_if<PlainStream>(&stream))
            co_return co_await asio::async_write(*s, asio::buffer(bytes), use_nothrow);
        if (auto* t = std::get_if<TlsStream>(&stream))
            co_return co_await asio::async_write(*t, asio::buffer(bytes), use_nothrow);
        co_return std::tuple<error_code, std::size_t>{make_error_code(errc::closed), 0};
    }

    awaitable<std::tuple<error_code, std::size_t>> read_some(std::span<char> into) {
        auto buf = asio::buffer(into.data(), into.size());
        if (auto* s = std::get_if<PlainStream>(&stream)) co_return co_await s->async_read_some(buf, use_nothrow);
        if (auto* t = std::get_if<TlsStream>(&stream)) co_return co_await t->async_read_some(buf, use_nothrow);
        co_return std::tuple<error_code, std::size_t>{make_error_code(errc::closed), 0};
    }
};

namespace {

// Runs one of a link's loops detached; an exception that escapes it is
// logged and ends the link (its callers fail with errc::closed and the next
// call reconnects), never leaving the link half alive.
void spawn_loop(Connection::Impl* impl, std::uint64_t gen, const char* what, awaitable<void> loop) {
    const bool connecting = std::string_view{what} == "connect";
    const auto& o = impl->options();
    detail::spawn_logged(impl->executor, std::move(loop), "redis." + std::string{what},
                         [impl, gen, connecting] {
                             if (impl->generation != gen) return;
                             if (connecting) {  // (a credentials provider that threw, say): a failed attempt, with backoff
                                 impl->last_error = "the connection set-up failed with an exception";
                                 impl->teardown(make_error_code(errc::connect_failed), true);
                             } else {
                                 impl->teardown(make_error_code(errc::closed), false);
                             }
                         },
                         " node=" + o.host + ":" + std::to_string(o.port));
}

// The loops hold plain pointers, not shared ownership: a frame owning the
// Connection whose timer owns that frame is a cycle that io_context shutdown
// tears in an unsafe order. The owner keeps the Connection alive while its
// io_context runs (ConnectionPool closes connections only after the workers stop).
awaitable<void> writer_loop(Connection::Impl* impl, std::uint64_t gen) {
    std::string batch;
    while (impl->generation == gen) {
        if (!impl->mux.has_writable()) {
            impl->wake.expires_at(std::chrono::steady_clock::time_point::max());
            co_await impl->wake.async_wait(use_nothrow);
            continue;
        }
        batch.clear();
        const std::size_t commands = impl->mux.prepare_write(batch);
        if (batch.empty()) continue;
        if (impl->mux.is_open()) {  // (before that, only the set-up is written, which callers did not ask for)
            auto& counters = impl->counters();
            counters.writes.fetch_add(1, std::memory_order_relaxed);
            counters.commands.fetch_add(commands, std::memory_order_relaxed);
        }
        auto [ec, n] = co_await impl->write_some(batch);
        if (impl->generation != gen) co_return;
        if (ec) {
            spdlog::warn("redis.write_failed node={}:{} error={}", impl->options().host, impl->options().port,
                         ec.message());
            impl->teardown(make_error_code(errc::closed), false);
            co_return;
        }
        if (batch.capacity() > (1u << 20)) std::string{}.swap(batch);  // a large value's write is not kept
    }
}

awaitable<void> reader_loop(Connection::Impl* impl, std::uint64_t gen) {
    ReadOutcome outcome;
    while (impl->generation == gen) {
        // A read that completes after its link was torn down must not touch
        // the buffer: the next link may already be reading into it.
        auto [ec, n] = co_await impl->read_some(impl->mux.prepare_read(64 * 1024));
        if (impl->generation != gen) co_return;
        if (ec) {
            spdlog::warn("redis.read_failed node={}:{} error={}", impl->options().host, impl->options().port,
                         ec.message());
            impl->teardown(make_error_code(errc::closed), false);
            co_return;
        }
        const auto abandoned_before = impl->mux.abandoned_total();
        impl->mux.commit_read(n, outcome);
        impl->counters().abandoned.fetch_add(impl->mux.abandoned_total() - abandoned_before,
                                             std::memory_order_relaxed);
        // Invalidations before the replies read with them reach their callers
        // (deliver() posts them): a fill whose key was invalidated is void.
        if (const auto& t = impl->options().tracking; t && t->on_push)
            for (const auto& p : outcome.pushes) t->on_push(p.reply());
        outcome.pushes.clear();
        impl->deliver(outcome.completions);
        if (impl->generation != gen) co_return;  // a refused set-up ended the link
        if (outcome.protocol_error) {
            spdlog::error("redis.protocol_error node={}:{}", impl->options().host, impl->options().port);
            outcome.protocol_error = false;
            impl->teardown(make_error_code(errc::protocol_error), false);
            co_return;
        }
    }
}

// TCP_USER_TIMEOUT for sent bytes never acknowledged, keepalive probes for
// an idle link (after `timeout` idle, then every third of it); with
// TCP_USER_TIMEOUT set, Linux gives up an unanswered probe after it too.
void watch_for_a_dead_peer(tcp::socket& socket, std::chrono::milliseconds timeout) {
    if (timeout.count() <= 0) return;
    const int user_timeout_ms = static_cast<int>(timeout.count());
    const int idle_s = std::max(1, static_cast<int>(timeout.count() / 1000));
    const int interval_s = std::max(1, idle_s / 3);
    const int probes = 3;
    const int on = 1;
    const int fd = socket.native_handle();
    // Best effort: a kernel without one of these keeps its default.
    ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle_s, sizeof idle_s);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval_s, sizeof interval_s);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes);
    ::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof user_timeout_ms);
}

awaitable<error_code> open_stream(Connection::Impl* impl) {
    const auto& o = impl->options();
    auto ex = impl->executor;
    tcp::resolver resolver{ex};
    asio::steady_timer timer{ex, o.connect_timeout};
    auto resolved = co_await (resolver.async_resolve(o.host, std::to_string(o.port), use_nothrow) ||
                              timer.async_wait(use_nothrow));
    if (resolved.index() == 1) co_return make_error_code(errc::connect_failed);
    auto [rec, endpoints] = std::get<0>(resolved);
    if (rec) co_return rec;
    tcp::socket socket{ex};
    auto connected = co_await (asio::async_connect(socket, endpoints, use_nothrow) || timer.async_wait(use_nothrow));
    if (connected.index() == 1) co_return make_error_code(errc::connect_failed);
    if (auto [cec, ep] = std::get<0>(connected); cec) co_return cec;
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    watch_for_a_dead_peer(socket, o.dead_peer_timeout);
    if (!o.tls.enabled) {
        impl->stream.emplace<PlainStream>(std::move(socket));
        co_return error_code{};
    }
    if (!impl->tls_context) {
        impl->tls_context = std::make_unique<ssl::context>(ssl::context::tls_client);
        impl->tls_context->set_verify_mode(ssl::verify_peer);
        error_code ec;
        if (o.tls.ca_file.empty()) impl->tls_context->set_default_verify_paths(ec);
        else impl->tls_context->load_verify_file(o.tls.ca_file, ec);
        if (ec) co_return ec;
    }
    auto& tls = impl->stream.emplace<TlsStream>(std::move(socket), *impl->tls_context);
    const std::string& name = o.tls.server_name.empty() ? o.host : o.tls.server_name;
    // Host name check against the configured endpoint, and SNI.
    SSL_set1_host(tls.native_handle(), name.c_str());
    SSL_set_tlsext_host_name(tls.native_handle(), name.c_str());
    auto shaken = co_await (tls.async_handshake(ssl::stream_base::client, use_nothrow) || timer.async_wait(use_nothrow));
    if (shaken.index() == 1) co_return make_error_code(errc::connect_failed);
    if (auto [hec] = std::get<0>(shaken); hec) co_return hec;
    co_return error_code{};
}

}  // namespace

namespace {
awaitable<void> tracking_ping_loop(Connection::Impl* impl, std::uint64_t gen);
}  // namespace

// The link's set-up request came back: open the link to the callers, or end
// it when the server refused (a wrong password, a database that does not exist).
void Connection::Impl::setup_done(const Completion& c) {
    setup_id = 0;
    setup_deadline.cancel();
    const auto& o = options();
    if (c.error) {  // its deadline, or the link broke
        if (c.error == make_error_code(errc::timeout)) {
            last_error = "no answer to the connection set-up before REDIS_CONNECT_TIMEOUT";
            refused_setup = false;
            spdlog::warn("redis.setup_timeout node={}:{}", o.host, o.port);
            teardown(make_error_code(errc::connect_failed), true);
        }
        return;
    }
    for (std::size_t i = 0; i < c.replies.size(); ++i) {
        const auto& reply = c.replies[i];
        if (!reply->is_error()) continue;
        // CLIENT SETNAME (always last) may be renamed away on managed services: not fatal.
        const bool setname = !o.client_name.empty() && i + 1 == c.replies.size();
        if (setname) continue;
        // One line per new reason: a wrong password retried every second
        // would otherwise repeat it for as long as it stays wrong.
        const std::string why{reply->error_message().substr(0, 160)};
        if (o.tracking && (i == tracking_setup || i == tracking_setup + 1) && o.tracking->on_refused)
            o.tracking->on_refused(why);
        if (why != last_error || !refused_setup)
            spdlog::error("redis.setup_refused node={}:{} reply={}", o.host, o.port, why.substr(0, 120));
        last_error = why;
        refused_setup = true;
        teardown(make_error_code(errc::auth_failed), true);
        return;
    }
    mux.open();
    refused_setup = false;
    state = State::ready;
    backoff = std::chrono::milliseconds{0};
    last_error.clear();
    counters().connects.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("redis.connected node={}:{}", o.host, o.port);
    wake.cancel();  // the requests held during set-up may go out
    if (o.tracking && o.tracking->on_open && opened_before) o.tracking->on_open();
    opened_before = true;
    if (o.tracking && o.tracking->ping_interval.count() > 0)
        spawn_loop(this, generation, "tracking_ping", tracking_ping_loop(this, generation));
}

namespace {

// A tracking link proves it is alive once per interval (ConnectionOptions::
// Tracking::ping_interval); no answer in time resets it, which drops what
// it tracked (on_reset).
awaitable<void> tracking_ping_loop(Connection::Impl* impl, std::uint64_t gen) {
    const auto interval = impl->options().tracking->ping_interval;
    asio::steady_timer timer{impl->executor};
    for (;;) {
        timer.expires_after(interval);
        co_await timer.async_wait(use_nothrow);
        if (impl->generation != gen) co_return;
        std::string ping;
        resp::append_command(ping, {"PING"});
        auto pong = co_await impl->owner->execute_one(std::move(ping), std::chrono::steady_clock::now() + interval);
        if (impl->generation != gen) co_return;
        if (!pong && pong.error() == make_error_code(errc::timeout)) {
            spdlog::warn("redis.tracking_link_silent node={}:{} (no PONG within {} ms: reset, the near cache dropped)",
                         impl->options().host, impl->options().port, interval.count());
            impl->teardown(make_error_code(errc::closed), false);
            co_return;
        }
    }
}

}  // namespace

namespace {

awaitable<void> connect_and_run(Connection::Impl* impl, std::uint64_t gen) {
    const auto& o = impl->options();
    impl->counters().connect_attempts.fetch_add(1, std::memory_order_relaxed);
    auto ec = co_await open_stream(impl);
    if (impl->generation != gen) co_return;
    if (ec) {
        impl->last_error = ec.message();
        impl->refused_setup = false;
        spdlog::warn("redis.connect_failed node={}:{} error={}", o.host, o.port, ec.message());
        impl->teardown(make_error_code(errc::connect_failed), true);
        co_return;
    }
    // Set-up commands, pipelined, before any caller's command (the
    // multiplexer holds those back until the set-up's replies are checked).
    std::string setup;
    std::size_t count = 0;
    if (o.credentials) {
        auto creds = o.credentials();
        if (!creds.password.empty()) {
            if (creds.username.empty()) resp::append_command(setup, {"AUTH", creds.password});
            else resp::append_command(setup, {"AUTH", creds.username, creds.password});
            ++count;
        }
    }
    if (o.db != 0) {
        resp::append_command(setup, {"SELECT", std::to_string(o.db)});
        ++count;
    }
    if (o.readonly) {
        resp::append_command(setup, {"READONLY"});
        ++count;
    }
    impl->tracking_setup = SIZE_MAX;
    if (o.tracking) {
        impl->tracking_setup = count;
        resp::append_command(setup, {"HELLO", "3"});
        resp::append_command(setup, {"CLIENT", "TRACKING", "ON"});
        count += 2;
    }
    if (!o.client_name.empty()) {
        resp::append_command(setup, {"CLIENT", "SETNAME", o.client_name});
        ++count;
    }
    spawn_loop(impl, gen, "writer", writer_loop(impl, gen));
    spawn_loop(impl, gen, "reader", reader_loop(impl, gen));
    if (count == 0) {
        impl->setup_done(Completion{0, {}, {}});
        co_return;
    }
    impl->setup_id = impl->mux.submit_setup(std::move(setup), count);
    impl->setup_deadline.expires_after(o.connect_timeout);
    impl->setup_deadline.async_wait([impl, gen, id = impl->setup_id](error_code wait_ec) {
        if (wait_ec || impl->generation != gen) return;
        std::vector<Completion> done;
        impl->mux.cancel(id, make_error_code(errc::timeout), done);
        impl->deliver(done);
    });
    impl->wake.cancel();
}

}  // namespace

std::shared_ptr<Connection> Connection::create(asio::any_io_executor executor, ConnectionOptions options) {
    return std::shared_ptr<Connection>(new Connection(std::move(executor), std::move(options)));
}

Connection::Connection(asio::any_io_executor executor, ConnectionOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>(std::move(executor), this)) {}

Connection::~Connection() = default;

bool Connection::connected() const { return impl_->state == Impl::State::ready; }

const std::string& Connection::last_error() const { return impl_->last_error; }

void Connection::close() { impl_->teardown(make_error_code(errc::closed), false); }

std::size_t Connection::pending() const { return impl_->mux.pending(); }

namespace {

struct Initiate {
    Connection::Impl* impl;

    void operator()(Handler handler, std::string payload, std::vector<std::string_view> parts, std::size_t count,
                    Deadline deadline) const {
        const auto& o = impl->options();
        auto refuse = [&](errc why) {
            asio::post(impl->executor, [h = std::move(handler), why]() mutable {
                std::move(h)(make_error_code(why), std::vector<OwnedReply>{});
            });
        };
        if (count == 0) return refuse(errc::server_error);
        if (impl->mux.pending() >= o.max_pending) return refuse(errc::queue_full);
        if (impl->state == Connection::Impl::State::idle) {
            if (std::chrono::steady_clock::now() < impl->next_attempt)
                return refuse(impl->refused_setup ? errc::auth_failed : errc::backing_off);
            impl->state = Connection::Impl::State::connecting;
            spawn_loop(impl, impl->generation, "connect", connect_and_run(impl, impl->generation));
        }
        const RequestId id = impl->mux.submit(std::move(payload), std::move(parts), count);
        auto& waiter = impl->waiters[id];
        waiter.handler.emplace(std::move(handler));
        waiter.deadline.emplace(impl->executor, deadline);
        waiter.deadline->async_wait([impl = impl, id](error_code ec) {
            if (!ec) impl->deadline_passed(id);
        });
        if (impl->state == Connection::Impl::State::ready) impl->wake.cancel();
    }
};

}  // namespace

awaitable<result<std::vector<OwnedReply>>> Connection::execute(std::string payload, std::size_t count,
                                                               Deadline deadline) {
    // A named initiation object: GCC 12 destroys some temporaries of a
    // co_await full-expression twice.
    const Initiate initiate{impl_.get()};
    std::vector<std::string_view> no_parts;
    auto [ec, replies] = co_await asio::async_initiate<decltype(use_nothrow), void(error_code, std::vector<OwnedReply>)>(
        initiate, use_nothrow, std::move(payload), std::move(no_parts), count, deadline);
    if (ec) co_return ec;
    co_return std::move(replies);
}

awaitable<result<std::vector<OwnedReply>>> Connection::execute_parts(std::vector<std::string_view> parts,
                                                                     std::size_t count, Deadline deadline) {
    // (Named arguments only: see execute().)
    const Initiate initiate{impl_.get()};
    std::string no_payload;
    auto [ec, replies] = co_await asio::async_initiate<decltype(use_nothrow), void(error_code, std::vector<OwnedReply>)>(
        initiate, use_nothrow, std::move(no_payload), std::move(parts), count, deadline);
    if (ec) co_return ec;
    co_return std::move(replies);
}

awaitable<result<OwnedReply>> Connection::execute_one(std::string payload, Deadline deadline) {
    auto replies = co_await execute(std::move(payload), 1, deadline);
    if (!replies) co_return replies.error();
    co_return std::move(replies->front());
}

}  // namespace yooni::redis
