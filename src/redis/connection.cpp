// Connection: pipelined commands over one TCP or TLS stream (see the header).
//
// Three coroutines per open connection, all on the connection's executor:
// connect (then set-up), writer (drains the queue into one write), reader
// (parses replies and hands them to the oldest command in flight). A
// generation number ends the loops of a connection that was torn down.
#include <yooni/redis/connection.hpp>

#include <yooni/resp/encoder.hpp>
#include <yooni/resp/parser.hpp>

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
#include <deque>
#include <random>
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
        }
        return "unknown Redis error";
    }
};

using Handler = asio::any_completion_handler<void(error_code, std::vector<OwnedReply>)>;

struct Pending {
    std::string payload;
    std::vector<std::string_view> parts;  // instead of payload: the caller's bytes, valid until done
    std::size_t expected = 1;
    std::vector<OwnedReply> replies;
    // optional + emplace: Boost 1.81's any_completion_handler move-assignment
    // recurses forever (it copies from an lvalue through its template ctor).
    std::optional<Handler> handler;
    std::optional<asio::steady_timer> timer;
    bool done = false;
};
using PendingPtr = std::shared_ptr<Pending>;

using PlainStream = tcp::socket;
using TlsStream = ssl::stream<tcp::socket>;

}  // namespace

const boost::system::error_category& category() {
    static const ErrorCategory instance;
    return instance;
}
error_code make_error_code(errc e) { return {static_cast<int>(e), category()}; }

struct Connection::Impl {
    enum class State { idle, connecting, ready };

    asio::any_io_executor executor;
    Connection* owner;
    State state = State::idle;
    std::uint64_t generation = 0;
    std::variant<std::monostate, PlainStream, TlsStream> stream;
    std::unique_ptr<ssl::context> tls_context;
    std::deque<PendingPtr> queued;    // not written yet
    std::deque<PendingPtr> inflight;  // written, replies outstanding, in order
    asio::steady_timer wake;          // the writer sleeps on it while the queue is empty
    std::string read_buffer;
    std::size_t read_pos = 0;         // bytes of read_buffer already consumed
    resp::Parser parser;
    std::chrono::steady_clock::time_point next_attempt{};
    std::chrono::milliseconds backoff{0};
    std::minstd_rand rng{std::random_device{}()};
    std::string last_error;  // of the last failed connect attempt

    Impl(asio::any_io_executor ex, Connection* c) : executor(ex), owner(c), wake(ex) {}

    void complete(const PendingPtr& p, error_code ec) {
        if (p->done) return;
        p->done = true;
        if (p->timer) p->timer->cancel();
        asio::post(executor, [h = Handler(std::move(*p->handler)), ec, replies = std::move(p->replies)]() mutable {
            std::move(h)(ec, std::move(replies));
        });
    }

    void fail_all(error_code ec) {
        for (auto& p : inflight) complete(p, ec);
        for (auto& p : queued) complete(p, ec);
        inflight.clear();
        queued.clear();
    }

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
        ++generation;
        state = State::idle;
        close_stream();
        wake.cancel();
        read_buffer.clear();
        read_pos = 0;
        parser.reset();
        const auto& o = owner->options_;
        if (connect_failure) {
            backoff = backoff.count() == 0 ? o.backoff_min : std::min(backoff * 2, o.backoff_max);
            // Full jitter within [backoff/2, backoff]: many workers do not reconnect in step.
            std::uniform_int_distribution<long> dist(backoff.count() / 2, backoff.count());
            next_attempt = std::chrono::steady_clock::now() + std::chrono::milliseconds(dist(rng));
        } else {
            next_attempt = {};  // a broken established link may be reopened at once
        }
        fail_all(ec);
    }

    awaitable<std::tuple<error_code, std::size_t>> write_some(std::string_view bytes) {
        if (auto* s = std::get_if<PlainStream>(&stream))
            co_return co_await asio::async_write(*s, asio::buffer(bytes), use_nothrow);
        if (auto* t = std::get_if<TlsStream>(&stream))
            co_return co_await asio::async_write(*t, asio::buffer(bytes), use_nothrow);
        co_return std::tuple<error_code, std::size_t>{make_error_code(errc::closed), 0};
    }

    // `gen`: the connection this read belongs to. A read that completes after
    // its connection was torn down must not touch the buffer: the next
    // connection may already be reading into it.
    awaitable<std::tuple<error_code, std::size_t>> read_some(std::uint64_t gen) {
        if (read_pos > 0 && read_pos * 2 >= read_buffer.size()) {  // compact: keep the buffer from growing
            read_buffer.erase(0, read_pos);
            read_pos = 0;
        }
        const std::size_t old = read_buffer.size();
        read_buffer.resize(old + 64 * 1024);
        auto buf = asio::buffer(read_buffer.data() + old, 64 * 1024);
        std::tuple<error_code, std::size_t> r{make_error_code(errc::closed), 0};
        if (auto* s = std::get_if<PlainStream>(&stream)) r = co_await s->async_read_some(buf, use_nothrow);
        else if (auto* t = std::get_if<TlsStream>(&stream)) r = co_await t->async_read_some(buf, use_nothrow);
        if (generation != gen) co_return std::tuple<error_code, std::size_t>{make_error_code(errc::closed), 0};
        read_buffer.resize(old + std::get<1>(r));
        co_return r;
    }

    // One complete reply from the buffer, or nullopt when more bytes are needed.
    result<std::optional<OwnedReply>> next_reply() {
        resp::Reply reply;
        std::string_view input{read_buffer.data() + read_pos, read_buffer.size() - read_pos};
        auto parsed = parser.parse(input, reply);
        if (!parsed) return make_error_code(errc::protocol_error);
        if (!*parsed) return std::optional<OwnedReply>{};
        const std::size_t n = **parsed;
        OwnedReply owned{reply};
        read_pos += n;
        return std::optional<OwnedReply>{std::move(owned)};
    }
};

namespace {

// Reads until one reply is complete (set-up phase, before the reader loop runs).
awaitable<result<OwnedReply>> read_one(Connection::Impl* impl, std::uint64_t gen) {
    for (;;) {
        auto next = impl->next_reply();
        if (!next) co_return next.error();
        if (*next) co_return std::move(**next);
        auto [ec, n] = co_await impl->read_some(gen);
        if (ec) co_return make_error_code(errc::closed);
    }
}

// The loops hold plain pointers, not shared ownership: a frame owning the
// Connection whose timer owns that frame is a cycle that io_context shutdown
// tears in an unsafe order. The owner keeps the Connection alive while its
// io_context runs (ConnectionPool closes connections only after the workers stop).
awaitable<void> writer_loop(Connection* self, Connection::Impl* impl, std::uint64_t gen) {
    std::string batch;
    while (impl->generation == gen) {
        if (impl->queued.empty()) {
            impl->wake.expires_at(std::chrono::steady_clock::time_point::max());
            co_await impl->wake.async_wait(use_nothrow);
            continue;
        }
        batch.clear();
        std::size_t commands = 0;
        while (!impl->queued.empty()) {
            auto p = std::move(impl->queued.front());
            impl->queued.pop_front();
            if (p->done) continue;  // timed out before it was written: never sent
            batch += p->payload;
            for (const auto part : p->parts) batch += part;
            commands += p->expected;
            std::string{}.swap(p->payload);
            p->parts = {};  // the caller's bytes are not touched again
            impl->inflight.push_back(std::move(p));
        }
        if (batch.empty()) continue;
        auto& stats = const_cast<ConnectionStats&>(self->stats());
        stats.writes += 1;
        stats.commands += commands;
        auto [ec, n] = co_await impl->write_some(batch);
        if (impl->generation != gen) co_return;
        if (ec) {
            spdlog::warn("redis.write_failed node={}:{} error={}", self->options().host, self->options().port, ec.message());
            impl->teardown(make_error_code(errc::closed), false);
            co_return;
        }
    }
}

awaitable<void> reader_loop(Connection* self, Connection::Impl* impl, std::uint64_t gen) {
    while (impl->generation == gen) {
        auto next = impl->next_reply();
        if (!next) {
            spdlog::error("redis.protocol_error node={}:{}", self->options().host, self->options().port);
            impl->teardown(make_error_code(errc::protocol_error), false);
            co_return;
        }
        if (*next) {
            OwnedReply reply = std::move(**next);
            if (reply->nodes.empty() || reply->nodes.front().type == resp::Type::push) continue;  // out-of-band
            if (impl->inflight.empty()) {
                spdlog::error("redis.unexpected_reply node={}:{}", self->options().host, self->options().port);
                impl->teardown(make_error_code(errc::protocol_error), false);
                co_return;
            }
            auto& front = impl->inflight.front();
            front->replies.push_back(std::move(reply));
            if (front->replies.size() == front->expected) {
                auto p = std::move(front);
                impl->inflight.pop_front();
                if (p->done) const_cast<ConnectionStats&>(self->stats()).abandoned += 1;
                impl->complete(p, {});
            }
            continue;
        }
        auto [ec, n] = co_await impl->read_some(gen);
        if (impl->generation != gen) co_return;
        if (ec) {
            spdlog::warn("redis.read_failed node={}:{} error={}", self->options().host, self->options().port, ec.message());
            impl->teardown(make_error_code(errc::closed), false);
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

awaitable<error_code> open_stream(Connection* self, Connection::Impl* impl) {
    const auto& o = self->options();
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

awaitable<void> connect_and_run(Connection* self, Connection::Impl* impl, std::uint64_t gen) {
    const auto& o = self->options();
    auto& stats = const_cast<ConnectionStats&>(self->stats());
    stats.connect_attempts += 1;
    auto ec = co_await open_stream(self, impl);
    if (impl->generation != gen) co_return;
    if (ec) {
        impl->last_error = ec.message();
        spdlog::warn("redis.connect_failed node={}:{} error={}", o.host, o.port, ec.message());
        impl->teardown(make_error_code(errc::connect_failed), true);
        co_return;
    }
    // Set-up commands, pipelined, before any caller's command.
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
    if (!o.client_name.empty()) {
        resp::append_command(setup, {"CLIENT", "SETNAME", o.client_name});
        ++count;
    }
    if (count > 0) {
        asio::steady_timer timer{impl->executor, o.connect_timeout};
        auto written = co_await (impl->write_some(setup) || timer.async_wait(use_nothrow));
        if (impl->generation != gen) co_return;
        if (written.index() == 1 || std::get<0>(std::get<0>(written))) {
            impl->teardown(make_error_code(errc::connect_failed), true);
            co_return;
        }
        for (std::size_t i = 0; i < count; ++i) {
            timer.expires_after(o.connect_timeout);
            auto got = co_await (read_one(impl, gen) || timer.async_wait(use_nothrow));
            if (impl->generation != gen) co_return;
            if (got.index() == 1 || !std::get<0>(got)) {
                impl->teardown(make_error_code(errc::connect_failed), true);
                co_return;
            }
            const auto& reply = std::get<0>(got).value();
            if (reply->is_error()) {
                // CLIENT SETNAME may be renamed away on managed services: not fatal.
                const bool setname = !o.client_name.empty() && i == count - 1;
                if (!setname) {
                    impl->last_error = std::string{reply->error_message().substr(0, 160)};
                    spdlog::error("redis.setup_refused node={}:{} reply={}", o.host, o.port,
                                  std::string{reply->error_message().substr(0, 120)});
                    impl->teardown(make_error_code(errc::auth_failed), true);
                    co_return;
                }
            }
        }
    }
    impl->state = Connection::Impl::State::ready;
    impl->backoff = std::chrono::milliseconds{0};
    impl->last_error.clear();
    stats.connects += 1;
    spdlog::debug("redis.connected node={}:{}", o.host, o.port);
    asio::co_spawn(impl->executor, writer_loop(self, impl, gen), asio::detached);
    asio::co_spawn(impl->executor, reader_loop(self, impl, gen), asio::detached);
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

namespace {

struct Initiate {
    Connection* self;
    Connection::Impl* impl;

    void operator()(Handler handler, std::string payload, std::vector<std::string_view> parts, std::size_t count,
                    Deadline deadline) const {
        auto p = std::make_shared<Pending>();
        p->payload = std::move(payload);
        p->parts = std::move(parts);
        p->expected = count;
        p->handler.emplace(std::move(handler));
        const auto& o = self->options();
        if (impl->queued.size() + impl->inflight.size() >= o.max_pending) {
            impl->complete(p, make_error_code(errc::queue_full));
            return;
        }
        if (impl->state == Connection::Impl::State::idle) {
            if (std::chrono::steady_clock::now() < impl->next_attempt) {
                impl->complete(p, make_error_code(errc::backing_off));
                return;
            }
            impl->state = Connection::Impl::State::connecting;
            asio::co_spawn(impl->executor, connect_and_run(self, impl, impl->generation), asio::detached);
        }
        p->timer.emplace(impl->executor, deadline);
        std::weak_ptr<Pending> weak = p;
        Connection::Impl* impl_ptr = impl;
        p->timer->async_wait([weak, impl_ptr](error_code ec) {
            auto locked = weak.lock();
            if (!ec && locked && !locked->done) impl_ptr->complete(locked, make_error_code(errc::timeout));
        });
        impl->queued.push_back(std::move(p));
        if (impl->state == Connection::Impl::State::ready) impl->wake.cancel();
    }
};

}  // namespace

awaitable<result<std::vector<OwnedReply>>> Connection::execute(std::string payload, std::size_t count,
                                                               Deadline deadline) {
    // A named initiation object: GCC 12 destroys some temporaries of a
    // co_await full-expression twice.
    const Initiate initiate{this, impl_.get()};
    std::vector<std::string_view> no_parts;
    auto [ec, replies] = co_await asio::async_initiate<decltype(use_nothrow), void(error_code, std::vector<OwnedReply>)>(
        initiate, use_nothrow, std::move(payload), std::move(no_parts), count, deadline);
    if (ec) co_return ec;
    co_return std::move(replies);
}

awaitable<result<std::vector<OwnedReply>>> Connection::execute_parts(std::vector<std::string_view> parts,
                                                                     std::size_t count, Deadline deadline) {
    // (Named arguments only: see execute().)
    const Initiate initiate{this, impl_.get()};
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
