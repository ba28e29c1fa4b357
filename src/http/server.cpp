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
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <spdlog/spdlog.h>

#include <array>
#include <charconv>
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
    bool idle = true;        // waiting for the first byte of a request
    bool served = false;     // has answered a request (so an idle wait is keep-alive)
    bool evicted = false;    // closed to make room (evict_idle)
    std::chrono::steady_clock::time_point idle_since{};
};

struct Worker {
    asio::io_context ioc{1};
    std::optional<tcp::acceptor> acceptor;
    std::unordered_set<SessionState*> sessions;
    std::thread thread;
};

// ASCII case folding (field names and tokens), not the locale's.
bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// A request body as a std::string that grows with the bytes that arrive:
// Beast's string_body reserves the declared Content-Length up front, so a
// header alone could make the server hold HTTP_MAX_BODY_BYTES per connection.
struct GrowingStringBody {
    using value_type = std::string;
    static constexpr std::size_t kInitialReserve = 16 * 1024;

    class reader {
    public:
        template <bool isRequest, class Fields>
        reader(bhttp::header<isRequest, Fields>&, value_type& body) : body_(body) {}
        void init(const boost::optional<std::uint64_t>& length, beast::error_code& ec) {
            if (length && *length > body_.max_size()) {
                ec = bhttp::error::buffer_overflow;
                return;
            }
            if (length) body_.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*length, kInitialReserve)));
            ec = {};
        }
        template <class ConstBufferSequence>
        std::size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
            const auto n = asio::buffer_size(buffers);
            const auto old = body_.size();
            body_.resize(old + n);  // amortised growth, never past what arrived
            ec = {};
            return asio::buffer_copy(asio::buffer(body_.data() + old, n), buffers);
        }
        void finish(beast::error_code& ec) { ec = {}; }

    private:
        value_type& body_;
    };
};

using RequestParser = bhttp::request_parser<GrowingStringBody>;

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

// Request smuggling guard (Boost 1.81's parser accepts these): a
// Transfer-Encoding other than exactly "chunked", more than one, one next to
// a Content-Length, or one in an HTTP/1.0 request (RFC 9112 6.1: its framing
// is faulty) is refused; so is an HTTP/1.1 request without exactly one Host
// (RFC 9112 3.2).
std::optional<std::string_view> framing_problem(const RequestParser::value_type& h) {
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

std::vector<std::string> header_only_fields(const RequestParser::value_type& h) {
    std::vector<std::string> out;
    for (const auto& field : h)
        for (const auto name : kHeaderOnlyFields)
            if (field.name() == name) out.push_back(std::string{field.name_string()} + ":" + std::string{field.value()});
    return out;
}

// Where the header block that starts the buffer ends (the offset just past its
// blank line), or npos while it is incomplete. Empty lines before the request
// line are skipped (RFC 9112 2.2).
std::size_t header_end(const beast::flat_buffer& buffer) {
    const std::string_view data{static_cast<const char*>(buffer.data().data()), buffer.size()};
    std::size_t start = 0;
    while (data.substr(start, 2) == "\r\n") start += 2;
    const auto end = data.find("\r\n\r\n", start);
    return end == std::string_view::npos ? end : end + 4;
}

// obs-fold (a line of the header that starts with a space or a tab) is
// refused (RFC 9112 5.2): Beast would unfold it, and a proxy in front of us
// might have read the folded line otherwise.
bool has_obs_fold(const beast::flat_buffer& buffer, std::size_t end) {
    const std::string_view head{static_cast<const char*>(buffer.data().data()), end};
    for (auto at = head.find('\n'); at != std::string_view::npos && at + 1 < head.size(); at = head.find('\n', at + 1))
        if (head[at + 1] == ' ' || head[at + 1] == '\t') return true;
    return false;
}

// A field is sent only when its name is a token and its value holds only
// visible characters, spaces, tabs and obs-text (RFC 9110 5.1, 5.5): a CR or
// LF in a value would split the answer in two.
bool sendable_field(std::string_view name, std::string_view value) {
    auto token_char = [](unsigned char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               std::string_view{"!#$%&'*+-.^_`|~"}.find(static_cast<char>(c)) != std::string_view::npos;
    };
    auto value_char = [](unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); };
    if (name.empty()) return false;
    for (const char c : name)
        if (!token_char(static_cast<unsigned char>(c))) return false;
    for (const char c : value)
        if (!value_char(static_cast<unsigned char>(c))) return false;
    return true;
}

bool bodiless_status(unsigned status) { return status / 100 == 1 || status == 204 || status == 304; }

void append_number(std::string& out, std::size_t n) {
    char digits[24];
    const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
    out.append(digits, end);
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(value).append("\r\n");
}

// The status line and header block of an answer, written into `head` (one
// buffer per connection, reused): Beast's serializer walks its field list a
// buffer at a time, a tenth of a small GET's CPU here, and each field it
// holds is an allocation. Fields: Server, Content-Type (not on 1xx, 204 and
// 304, which have no content), the answer's own (a name given twice: the
// last that can be sent), Cache-Control (no-store unless the answer has its
// own), Connection where the version's default differs, Content-Length (none
// on 1xx, 204 and 304; HEAD: GET's length).
void write_head(const Response& out, unsigned version, bool keep_alive, std::string& head) {
    head.clear();
    head.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
    append_number(head, out.status);
    head.push_back(' ');
    head.append(bhttp::obsolete_reason(static_cast<bhttp::status>(out.status)));
    head.append("\r\n");
    auto own = [&out](std::string_view name) {
        for (const auto& field : out.headers)
            if (iequals(field.first, name)) return true;
        return false;
    };
    const bool bodiless = bodiless_status(out.status);
    if (!own("Server")) append_field(head, "Server", "yooni-cache");
    if (!bodiless && !own("Content-Type") && !out.content_type.empty() &&
        sendable_field("Content-Type", out.content_type))
        append_field(head, "Content-Type", out.content_type);
    for (std::size_t i = 0; i < out.headers.size(); ++i) {
        const auto& [name, value] = out.headers[i];
        bool later = false;
        for (std::size_t j = i + 1; j < out.headers.size() && !later; ++j)
            later = iequals(out.headers[j].first, name) && sendable_field(out.headers[j].first, out.headers[j].second);
        if (later || iequals(name, "Content-Length") || iequals(name, "Connection") ||
            iequals(name, "Transfer-Encoding"))
            continue;  // framing is this function's to write
        if (!sendable_field(name, value)) {
            spdlog::error("http.unsendable_field name_bytes={} status={}", name.size(), out.status);
            continue;
        }
        append_field(head, name, value);
    }
    if (!own("Cache-Control")) append_field(head, "Cache-Control", "no-store");
    if (version == 10 && keep_alive) append_field(head, "Connection", "keep-alive");
    if (version != 10 && !keep_alive) append_field(head, "Connection", "close");
    if (!bodiless) {
        head.append("Content-Length: ");
        append_number(head, out.body.size());
        head.append("\r\n");
    }
    head.append("\r\n");
}

// Writes an answer: its head and (unless HEAD, or a status without a body)
// its body in one gather write.
awaitable<beast::error_code> send_answer(beast::tcp_stream& stream, const Response& out, unsigned version,
                                         bool keep_alive, std::string& head, std::chrono::milliseconds timeout) {
    write_head(out, version, keep_alive, head);
    const bool body = !out.omit_body && !bodiless_status(out.status);
    const std::array<asio::const_buffer, 2> parts{asio::buffer(head),
                                                  body ? asio::buffer(out.body) : asio::const_buffer{}};
    stream.expires_after(timeout);
    auto [ec, n] = co_await asio::async_write(stream, parts, use_nothrow);
    co_return ec;
}

// An answer after which the connection closes: a request that could not be
// read, or one refused before its body.
awaitable<void> send_closing(beast::tcp_stream& stream, const Response& out, std::string& head,
                             std::chrono::milliseconds timeout) {
    co_await send_answer(stream, out, 11, false, head, timeout);
}

// The request as the API sees it, from the header fields alone.
Request request_from_header(const RequestParser::value_type& h) {
    Request req;
    req.method = std::string{h.method_string()};
    const std::string_view target = h.target();
    const auto q = target.find('?');
    req.path = std::string{target.substr(0, q)};
    if (q != std::string_view::npos) req.query = std::string{target.substr(q + 1)};
    for (const auto& field : h)
        if (field.name() == bhttp::field::authorization) req.authorization.emplace_back(field.value());
    req.content_type = std::string{h[bhttp::field::content_type]};
    // A list field may come in several lines: one comma-separated value.
    auto joined = [&h](bhttp::field name) {
        std::string out;
        for (const auto& field : h)
            if (field.name() == name) out += (out.empty() ? "" : ", ") + std::string{field.value()};
        return out;
    };
    req.if_none_match = joined(bhttp::field::if_none_match);
    req.if_match = joined(bhttp::field::if_match);
    req.accept_encoding = std::string{h[bhttp::field::accept_encoding]};
    return req;
}

// Whether a read error deserves an answer before the connection closes.
std::optional<Response> answer_to_read_error(const beast::error_code& ec, HttpStats& stats) {
    if (ec == bhttp::error::header_limit) return detail_error(431, "Request header fields too large");
    if (ec == bhttp::error::body_limit) return detail_error(413, "Request body too large");
    if (ec == beast::error::timeout) {
        stats.timed_out_connections.fetch_add(1, std::memory_order_relaxed);
        return std::nullopt;
    }
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
        ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message)
        return detail_error(400, "Malformed HTTP request: " + ec.message());
    return std::nullopt;
}

// Runs on the worker's io_context for the whole life of one connection.
awaitable<void> run_session(tcp::socket socket, Server::Impl* impl, Worker* worker) {
    const auto& opt = impl->options;
    auto& stats = impl->api.http_stats();
    beast::tcp_stream stream{std::move(socket)};
    beast::flat_buffer buffer;
    std::string head;  // the answers' header blocks (send_answer)
    SessionState state{&stream};
    worker->sessions.insert(&state);
    bool first = true;

    for (;;) {
        if (impl->draining.load(std::memory_order_relaxed) && buffer.size() == 0) break;
        // Wait for the first byte: the idle deadline (keep-alive), or the header
        // deadline for a connection's first request.
        if (buffer.size() == 0) {
            state.idle = true;
            state.idle_since = std::chrono::steady_clock::now();
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

        // The whole header block is read before Beast parses it, so that its
        // raw lines can be checked; past the header limit the parser answers 431.
        stream.expires_after(opt.header_timeout);
        std::size_t end = header_end(buffer);
        bool lost = false;
        while (end == std::string_view::npos && buffer.size() <= opt.max_header_bytes) {
            auto [ec, n] = co_await stream.async_read_some(buffer.prepare(16 * 1024), use_nothrow);
            if (ec) {
                if (ec == beast::error::timeout) stats.timed_out_connections.fetch_add(1, std::memory_order_relaxed);
                lost = true;
                break;
            }
            buffer.commit(n);
            end = header_end(buffer);
        }
        if (lost) break;
        if (end != std::string_view::npos && has_obs_fold(buffer, end)) {
            const Response refused = detail_error(400, "Obsolete line folding (obs-fold) in the header");
            co_await send_closing(stream, refused, head, opt.write_timeout);
            break;
        }

        RequestParser parser;
        parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(opt.max_header_bytes, UINT32_MAX)));
        parser.body_limit(opt.max_body_bytes);
        if (auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, parser, use_nothrow); ec) {
            if (auto answer = answer_to_read_error(ec, stats)) co_await send_closing(stream, *answer, head, opt.write_timeout);
            break;
        }
        if (auto problem = framing_problem(parser.get())) {
            const Response refused = detail_error(400, *problem);
            co_await send_closing(stream, refused, head, opt.write_timeout);
            break;
        }
        // Trailer fields come only with a body still to be read (chunked):
        // a request complete with its header has none to check.
        std::optional<std::vector<std::string>> header_fields;
        if (!parser.is_done()) header_fields = header_only_fields(parser.get());

        // Who asks is decided from the header: a refused request gets its
        // answer before any of its body is read (and no 100 Continue), and
        // the connection closes when a body would follow.
        Request req = request_from_header(parser.get());
        Admission admission = impl->api.admit(req);
        if (admission.refusal) {
            if (req.method == "HEAD") admission.refusal->omit_body = true;
            const bool again = parser.is_done() && parser.get().keep_alive() &&
                               !impl->draining.load(std::memory_order_relaxed);
            const auto ec = co_await send_answer(stream, *admission.refusal, parser.get().version(), again, head,
                                                 opt.write_timeout);
            if (ec || !again) break;
            state.served = true;
            continue;
        }

        // A body declared on a route that reads none (e.g. GET /livez with a
        // large Content-Length): answered before any of it is read.
        if (!parser.is_done() && !takes_body(admission.route)) {
            Response refused = detail_error(413, "this route takes no request body");
            refused.omit_body = req.method == "HEAD";
            co_await send_closing(stream, refused, head, opt.write_timeout);
            break;
        }

        // 100 Continue only to HTTP/1.1: an HTTP/1.0 client's expectation is
        // ignored (RFC 9110 10.1.1).
        if (!parser.is_done() && parser.get().version() >= 11 &&
            iequals(trim(parser.get()[bhttp::field::expect]), "100-continue")) {
            bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
            stream.expires_after(opt.write_timeout);
            if (auto [ec, n] = co_await bhttp::async_write(stream, cont, use_nothrow); ec) break;
        }
        // A request without a body (most GETs) is complete with its header:
        // no body deadline to arm.
        if (!parser.is_done()) {
            stream.expires_after(opt.body_timeout);
            if (auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, use_nothrow); ec) {
                if (auto answer = answer_to_read_error(ec, stats))
                    co_await send_closing(stream, *answer, head, opt.write_timeout);
                break;
            }
        }

        if (header_fields && header_only_fields(parser.get()) != *header_fields) {
            const Response refused =
                detail_error(400, "A trailer may not carry Authorization, Connection, Content-Type, Host, "
                                  "Content-Length, Transfer-Encoding, Expect or conditional fields");
            co_await send_closing(stream, refused, head, opt.write_timeout);
            break;
        }
        const unsigned version = parser.get().version();
        const bool keep_alive = parser.get().keep_alive();
        req.body = std::move(parser.get().body());
        req.deadline = std::chrono::steady_clock::now() + opt.request_timeout;

        Response out = co_await impl->api.serve(std::move(admission), std::move(req));

        const bool again = keep_alive && !impl->draining.load(std::memory_order_relaxed);
        if (const auto ec = co_await send_answer(stream, out, version, again, head, opt.write_timeout); ec) {
            if (ec == beast::error::timeout) stats.timed_out_connections.fetch_add(1, std::memory_order_relaxed);
            break;
        }
        state.served = true;
        if (!again) break;
    }
    worker->sessions.erase(&state);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.socket().close(ignored);
}

// Near the connection limit, the connection of this worker that has waited
// longest for its next request (after at least one) is closed, so that new
// clients and probes get in: an idle keep-alive connection costs its client
// one reconnect, a refused connection costs a new client its request.
bool evict_idle(Worker* worker, HttpStats& stats) {
    SessionState* oldest = nullptr;
    for (auto* s : worker->sessions)
        if (s->idle && s->served && !s->evicted && (!oldest || s->idle_since < oldest->idle_since)) oldest = s;
    if (!oldest) return false;
    oldest->evicted = true;
    oldest->stream->cancel();
    stats.evicted_idle_connections.fetch_add(1, std::memory_order_relaxed);
    return true;
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
        const auto open = static_cast<std::size_t>(stats.open_connections.load(std::memory_order_relaxed));
        const auto limit = impl->options.max_connections;
        const bool evicted = open >= limit - limit / 8 && evict_idle(worker, stats);
        if (open >= limit && !evicted) {
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
    // Logged before the workers start: the first log line builds spdlog's
    // registry, which is then never built by two threads at once.
    spdlog::info("http.listening address={}:{} workers={}", opt.host, port, n);
    for (auto& w : impl_->workers) {
        Worker* worker = w.get();
        asio::co_spawn(worker->ioc, accept_loop(impl_.get(), worker), [](std::exception_ptr e) {
            if (e) spdlog::error("http.accept_loop_failed");
        });
        worker->thread = std::thread([worker] { worker->ioc.run(); });
    }
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
