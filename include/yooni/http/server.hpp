// The HTTP/1.1 server (Boost.Beast): one io_context and one SO_REUSEPORT
// acceptor per worker thread, sessions with separate header, body, write and
// idle deadlines, header/body/connection limits, and graceful shutdown.
//
// This header keeps Beast and Asio out of its includers.
#pragma once

#include <yooni/http/api.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace yooni::http {

struct ServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8000;                  // 0 = any free port (see Server::port())
    unsigned threads = 0;                       // 0 = one per core
    std::size_t max_connections = 10000;
    std::size_t max_header_bytes = 16 * 1024;
    std::size_t max_body_bytes = 8u << 20;
    std::chrono::milliseconds header_timeout{10000};  // from the first byte of a request to the end of its header
    std::chrono::milliseconds body_timeout{30000};    // from the end of the header to the end of the body
    std::chrono::milliseconds write_timeout{30000};   // to write one response
    std::chrono::milliseconds idle_timeout{60000};    // keep-alive wait for the next request's first byte
    std::chrono::milliseconds request_timeout{5000};  // deadline handed to cache calls
    std::chrono::milliseconds shutdown_grace{10000};  // how long requests in flight may finish after SIGTERM
};

class Server {
public:
    Server(Api& api, ServerOptions options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds and starts the worker threads. Throws std::system_error when the
    // address cannot be bound.
    void start();
    std::uint16_t port() const;

    // Blocks the calling thread until SIGTERM or SIGINT (which must be blocked
    // in every thread: call block_shutdown_signals() before start()), then
    // drains: /readyz answers 503, the acceptors close, idle connections
    // close, requests in flight finish within shutdown_grace.
    void run_until_signal();
    // The same drain, started by a call (tests, embedding). Blocks until done.
    void shutdown();

    // Blocks SIGTERM/SIGINT/SIGPIPE in the calling thread (threads started
    // afterwards inherit the mask), so run_until_signal() can sigwait for them.
    static void block_shutdown_signals();

    struct Impl;  // defined in server.cpp

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace yooni::http
