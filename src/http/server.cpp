// The Beast HTTP server. The only unit of the project that includes Beast.
//
// Threading: one io_context per worker thread, each with its own acceptor on
// the same address (SO_REUSEPORT: the kernel spreads connections), its own
// sessions, nothing shared on the hot path but the Api (stateless) and relaxed
// counters. Shutdown is cancellation posted to each worker.
#include <yooni/http/server.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <spdlog/spdlog.h>

#include <csignal>
#include <pthread.h>
#include <thread>
#include <unordered_set>
#include <vector>

namespace yooni::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);
using asio::awaitable;

namespace {

// One connection's state visible to the drain (owned by its coroutine frame;
// touched only on its worker's thread).
struct SessionState {
    beast::tcp_stream* stream = nullptr;
    bool idle = true;  // waiting for the first byte of a request
};

struct Worker {
    asio::io_context ioc{1};
    std::optional<tcp::acceptor> acceptor;
    std::unordered_set<SessionState*> sessions;
    std::thread thread;
};

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

struct Server::Impl {
    Api& api;
    ServerOptions options;
    std::vector<std::unique_ptr<Worker>> workers;
    std::atomic<bool> draining{false};
    std::uint16_t bound_port = 0;
    std::mutex shutdown_mutex;
    bool stopped = false;

    Impl(Api& a, ServerOptions o) : api(a), options(std::move(o)) {}
};

namespace {

bhttp::response<bhttp::string_body> plain_error(unsigned status, std::string_view detail) {
    Response r = detail_error(status, detail);
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), 11};
    res.set(bhttp::field::server, "yooni-cache");
    res.set(bhttp::field::content_type, r.content_type);
    res.keep_alive(false);
    res.body() = std::move(r.body);
    res.prepare_payload();
    return res;
}

// Request smuggling guard (Boost 1.81's parser accepts these): a
// Transfer-Encoding other than exactly "chunked", more than one, one next to
// a Content-Length, or one in an HTTP/1.0 request (RFC 9112 6.1: its framing
// is faulty) is refused; so is an HTTP/1.1 request without exactly one Host
// (RFC 9112 3.2).
std::optional<std::string_view> framing_problem(const bhttp::request_parser<bhttp::string_body>::value_type& h) {
    const auto hosts = h.count(bhttp::field::host);
    if (hosts > 1) return "More than one Host header";
    if (hosts == 0 && h.version() >= 11) return "Missing Host header";
    const auto te = h.count(bhttp::field::transfer_encoding);
    if (te == 0) return std::nullopt;
    if (h.version() < 11) return "Transfer-Encoding in an HTTP/1.0 request";
    if (te > 1) return "More than one Transfer-Encoding header";
    if (h.count(bhttp::field::content_length) != 0) return "Transfer-Encoding together with Content-Length";
    if (!iequals(trim(h[bhttp::field::transfer_encoding]), "chunked")) return "Transfer-Encoding other than chunked";
    return std::nullopt;
}

// The fields that decide who asks and how the request is read: they count
// only in the header. Beast merges a chunked body's trailer fields into the
// header, so the set is taken before the body and compared after it.
constexpr bhttp::field kHeaderOnlyFields[] = {bhttp::field::authorization, bhttp::field::connection,
                                              bhttp::field::content_type,  bhttp::field::content_length,
                                              bhttp::field::transfer_encoding, bhttp::field::host,
                                              bhttp::field::if_match,      bhttp::field::if_none_match,
                                              bhttp::field::expect};

std::vector<std::string> header_only_fields(const bhttp::request_parser<bhttp::string_body>::value_type& h) {
    std::vector<std::string> out;
    for (const auto& field : h)
        for (const auto name : kHeaderOnlyFields)
            if (field.name() == name) out.push_back(std::string{field.name_string()} + ":" + std::string{field.value()});
    return out;
}

awaitable<void> write_response(beast::tcp_stream& stream, bhttp::response<bhttp::string_body> res,
                               std::chrono::milliseconds timeout) {
    stream.expires_after(timeout);
    co_await bhttp::async_write(stream, res, use_nothrow);
}

// Runs on the worker's io_context for the whole life of one connection.
awaitable<void> run_session(tcp::socket socket, Server::Impl* impl, Worker* worker) {
    const auto& opt = impl->options;
    auto& stats = impl->api.http_stats();
    beast::tcp_stream stream{std::move(socket)};
    beast::flat_buffer buffer;
    SessionState state{&stream, true};
    worker->sessions.insert(&state);
    bool first = true;

    for (;;) {
        if (impl->draining.load(std::memory_order_relaxed) && buffer.size() == 0) break;
        // Wait for the first byte: the idle deadline (keep-alive), or the header
        // deadline for a connection's first request.
        if (buffer.size() == 0) {
            state.idle = true;
            stream.expires_after(first ? opt.header_timeout : opt.idle_timeout);
            auto [ec, n] = co_await stream.async_read_some(buffer.prepare(16 * 1024), use_nothrow);
            state.idle = false;
            if (ec) {
                if (ec == beast::error::timeout) stats.timed_out_connections.fetch_add(1, std::memory_order_relaxed);
                break;
            }
            buffer.commit(n);
        }
        first = false;

        bhttp::request_parser<bhttp::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(opt.max_header_bytes, UINT32_MAX)));
        parser.body_limit(opt.max_body_bytes);
        stream.expires_after(opt.header_timeout);
        if (auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, parser, use_nothrow); ec) {
            if (ec == bhttp::error::header_limit) {
                co_await write_response(stream, plain_error(431, "Request header fields too large"), opt.write_timeout);
            } else if (ec == bhttp::error::body_limit) {
                co_await write_response(stream, plain_error(413, "Request body too large"), opt.write_timeout);
            } else if (ec == beast::error::timeout) {
                stats.timed_out_connections.fetch_add(1, std::memory_order_relaxed);
            } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
                       ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
                co_await write_response(stream, plain_error(400, "Malformed HTTP request: " + ec.message()),
                                        opt.write_timeout);
            }
            break;
        }
        if (auto problem = framing_problem(parser.get())) {
            co_await write_response(stream, plain_error(400, *problem), opt.write_timeout);
            break;
        }
        const auto header_fields = header_only_fields(parser.get());
        if (iequals(trim(parser.get()[bhttp::field::expect]), "100-continue")) {
            bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
            stream.expires_after(opt.write_timeout);
            if (auto [ec, n] = co_await bhttp::async_write(stream, cont, use_nothrow); ec) break;
        }
        // A request without a body (most GETs) is complete with its header:
        // no body deadline to arm.
        if (!parser.is_done()) stream.expires_after(opt.body_timeout);
        if (auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, use_nothrow); ec) {
            if (ec == bhttp::error::body_limit) {
                co_await write_response(stream, plain_error(413, "Request body too large"), opt.write_timeout);
            } else if (ec == beast::error::timeout) {
                stats.timed_out_connections.fetch_add(1, std::memory_order_relaxed);
            } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
                       ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
                co_await write_response(stream, plain_error(400, "Malformed HTTP request: " + ec.message()),
                                        opt.write_timeout);
            }
            break;
        }

        if (header_only_fields(parser.get()) != header_fields) {
            co_await write_response(
                stream, plain_error(400, "A trailer may not carry Authorization, Connection, Content-Type, Host, "
                                         "Content-Length, Transfer-Encoding, Expect or conditional fields"),
                opt.write_timeout);
            break;
        }
        auto msg = parser.release();
        Request req;
        req.method = std::string{msg.method_string()};
        const std::string_view target = msg.target();
        const auto q = target.find('?');
        req.path = std::string{target.substr(0, q)};
        if (q != std::string_view::npos) req.query = std::string{target.substr(q + 1)};
        for (const auto& field : msg)
            if (field.name() == bhttp::field::authorization) req.authorization.emplace_back(field.value());
        req.content_type = std::string{msg[bhttp::field::content_type]};
        req.if_none_match = std::string{msg[bhttp::field::if_none_match]};
        req.body = std::move(msg.body());
        req.deadline = std::chrono::steady_clock::now() + opt.request_timeout;
        const bool keep_alive = msg.keep_alive();

        Response out = co_await impl->api.handle(std::move(req));

        bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(out.status), msg.version()};
        res.set(bhttp::field::server, "yooni-cache");
        res.set(bhttp::field::content_type, out.content_type);
        res.set(bhttp::field::cache_control, "no-store");
        for (auto& [name, value] : out.headers) res.set(name, value);
        const bool again = keep_alive && !impl->draining.load(std::memory_order_relaxed);
        res.keep_alive(again);
        res.body() = std::move(out.body);
        res.prepare_payload();
        stream.expires_after(opt.write_timeout);
        if (auto [ec, n] = co_await bhttp::async_write(stream, res, use_nothrow); ec) {
            if (ec == beast::error::timeout) stats.timed_out_connections.fetch_add(1, std::memory_order_relaxed);
            break;
        }
        if (!again) break;
    }
    worker->sessions.erase(&state);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.socket().close(ignored);
}

void session_done(Server::Impl* impl, std::exception_ptr e) {
    impl->api.http_stats().open_connections.fetch_sub(1, std::memory_order_relaxed);
    if (!e) return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        spdlog::error("http.session_failed error={}", ex.what());
    } catch (...) {
        spdlog::error("http.session_failed error=unknown");
    }
}

awaitable<void> accept_loop(Server::Impl* impl, Worker* worker) {
    auto& stats = impl->api.http_stats();
    for (;;) {
        auto [ec, socket] = co_await worker->acceptor->async_accept(use_nothrow);
        if (ec == asio::error::operation_aborted || !worker->acceptor->is_open()) break;
        if (ec) {
            // EMFILE and friends: back off a little instead of spinning.
            spdlog::warn("http.accept_failed error={}", ec.message());
            asio::steady_timer pause{worker->ioc, std::chrono::milliseconds(50)};
            co_await pause.async_wait(use_nothrow);
            continue;
        }
        if (static_cast<std::size_t>(stats.open_connections.load(std::memory_order_relaxed)) >=
            impl->options.max_connections) {
            stats.rejected_connections.fetch_add(1, std::memory_order_relaxed);
            beast::error_code ignored;
            socket.close(ignored);
            continue;
        }
        stats.accepted_connections.fetch_add(1, std::memory_order_relaxed);
        stats.open_connections.fetch_add(1, std::memory_order_relaxed);
        socket.set_option(tcp::no_delay(true), ec);
        asio::co_spawn(worker->ioc, run_session(std::move(socket), impl, worker),
                       [impl](std::exception_ptr e) { session_done(impl, e); });
    }
}

}  // namespace

Server::Server(Api& api, ServerOptions options) : impl_(std::make_unique<Impl>(api, std::move(options))) {}

Server::~Server() {
    shutdown();
}

std::uint16_t Server::port() const { return impl_->bound_port; }

void Server::block_shutdown_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void Server::start() {
    auto& opt = impl_->options;
    unsigned n = opt.threads ? opt.threads : std::max(1u, std::thread::hardware_concurrency());
    const auto address = asio::ip::make_address(opt.host == "localhost" ? "127.0.0.1" : opt.host);
    std::uint16_t port = opt.port;
    for (unsigned i = 0; i < n; ++i) {
        auto w = std::make_unique<Worker>();
        tcp::endpoint ep{address, port};
        w->acceptor.emplace(w->ioc);
        w->acceptor->open(ep.protocol());
        w->acceptor->set_option(asio::socket_base::reuse_address(true));
        int one = 1;
        ::setsockopt(w->acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
        w->acceptor->bind(ep);  // throws std::system_error naming the cause
        w->acceptor->listen(asio::socket_base::max_listen_connections);
        if (port == 0) port = w->acceptor->local_endpoint().port();  // the others share the first one's port
        impl_->workers.push_back(std::move(w));
    }
    impl_->bound_port = port;
    for (auto& w : impl_->workers) {
        Worker* worker = w.get();
        asio::co_spawn(worker->ioc, accept_loop(impl_.get(), worker), [](std::exception_ptr e) {
            if (e) spdlog::error("http.accept_loop_failed");
        });
        worker->thread = std::thread([worker] { worker->ioc.run(); });
    }
    spdlog::info("http.listening address={}:{} workers={}", opt.host, port, n);
}

void Server::run_until_signal() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    int sig = 0;
    sigwait(&set, &sig);
    spdlog::info("app.signal name={} draining_for_ms={}", sig == SIGTERM ? "SIGTERM" : "SIGINT",
                 impl_->options.shutdown_grace.count());
    shutdown();
}

void Server::shutdown() {
    std::lock_guard lock{impl_->shutdown_mutex};
    if (impl_->stopped || impl_->workers.empty()) return;
    impl_->stopped = true;
    impl_->draining.store(true);
    impl_->api.set_draining();
    // Stop accepting and close connections that wait for a request; sessions
    // in a request finish it and then close (they see `draining`).
    for (auto& w : impl_->workers) {
        Worker* worker = w.get();
        asio::post(worker->ioc, [worker] {
            beast::error_code ignored;
            worker->acceptor->close(ignored);
            for (auto* s : worker->sessions)
                if (s->idle) s->stream->cancel();
        });
    }
    auto& open = impl_->api.http_stats().open_connections;
    const auto deadline = std::chrono::steady_clock::now() + impl_->options.shutdown_grace;
    while (open.load() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (open.load() > 0) spdlog::warn("app.drain_timeout open_connections={}", open.load());
    for (auto& w : impl_->workers) w->ioc.stop();
    for (auto& w : impl_->workers)
        if (w->thread.joinable()) w->thread.join();
    spdlog::info("app.stopped");
}

}  // namespace yooni::http
