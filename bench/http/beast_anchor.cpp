// beast_anchor: the HTTP framework ceiling for the service benchmark
// (bench/run-http-bench.sh). A bare Boost.Beast HTTP/1.1 keep-alive server
// that answers every GET with a fixed JSON document: 4096 bytes when the
// target starts with "/4k", 100 bytes otherwise. No routing, no auth, no
// cache, no JSON work: what the service costs on top of Beast is the
// difference between the two.
//
// Same shape as the service's server (src/http/server.cpp), so the ratio
// measures the service's own work: one io_context per thread, each with its
// own acceptor on the same port (SO_REUSEPORT), C++20 coroutines, Nagle off.
// Built by bench/CMakeLists.txt with the release preset's flags and the same
// separately compiled Asio/Beast as the service.
//
//   beast_anchor PORT [THREADS=2]    (prints "listening PORT"; stops on SIGINT/SIGTERM)
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <sys/socket.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

namespace {

// {"id":1,"kind":"anchor","fill":"xx...x"} of exactly `size` bytes.
std::string document(std::size_t size) {
    const std::string head = R"({"id":1,"kind":"anchor","fill":")", tail = R"("})";
    return head + std::string(size - head.size() - tail.size(), 'x') + tail;
}

const std::string kSmall = document(100);
const std::string kLarge = document(4096);

asio::awaitable<void> session(tcp::socket socket) {
    beast::tcp_stream stream{std::move(socket)};
    beast::flat_buffer buffer;
    for (;;) {
        http::request<http::string_body> req;
        auto [rec, rn] = co_await http::async_read(stream, buffer, req, nothrow);
        if (rec) break;
        http::response<http::string_body> res{http::status::ok, req.version()};
        if (req.method() == http::verb::get) {
            res.set(http::field::content_type, "application/json");
            res.body() = req.target().starts_with("/4k") ? kLarge : kSmall;
        } else {
            res.result(http::status::method_not_allowed);
        }
        const bool again = req.keep_alive();
        res.keep_alive(again);
        res.prepare_payload();
        auto [wec, wn] = co_await http::async_write(stream, res, nothrow);
        if (wec || !again) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(nothrow);
        if (!acceptor.is_open()) break;
        if (ec) continue;
        socket.set_option(tcp::no_delay(true), ec);
        asio::co_spawn(acceptor.get_executor(), session(std::move(socket)), asio::detached);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: beast_anchor PORT [THREADS=2]\n");
        return 2;
    }
    const auto port = static_cast<unsigned short>(std::atoi(argv[1]));
    const int threads = argc > 2 ? std::max(1, std::atoi(argv[2])) : 2;

    std::vector<std::unique_ptr<asio::io_context>> contexts;
    std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
    const tcp::endpoint endpoint{asio::ip::make_address("127.0.0.1"), port};
    for (int i = 0; i < threads; ++i) {
        contexts.push_back(std::make_unique<asio::io_context>(1));
        auto acceptor = std::make_unique<tcp::acceptor>(*contexts.back());
        acceptor->open(endpoint.protocol());
        acceptor->set_option(asio::socket_base::reuse_address(true));
        int one = 1;
        ::setsockopt(acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
        acceptor->bind(endpoint);
        acceptor->listen(asio::socket_base::max_listen_connections);
        asio::co_spawn(*contexts.back(), accept_loop(*acceptor), asio::detached);
        acceptors.push_back(std::move(acceptor));
    }

    asio::signal_set signals{*contexts.front(), SIGINT, SIGTERM};
    signals.async_wait([&](const beast::error_code&, int) {
        for (auto& c : contexts) c->stop();
    });
    std::printf("listening %u threads=%d bodies=%zu,%zu\n", static_cast<unsigned>(port), threads, kSmall.size(),
                kLarge.size());
    std::fflush(stdout);

    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back([&contexts, i] { contexts[i]->run(); });
    contexts.front()->run();
    for (auto& t : pool) t.join();
    return 0;
}
