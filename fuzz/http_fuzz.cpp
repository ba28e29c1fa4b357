// HTTP end to end, in this process: the real server (Beast parser, framing
// checks, limits, keep-alive), router, bearer auth and handlers over the
// memory backend. Each input is written to a new loopback connection as raw
// bytes (so it may hold several pipelined requests), the write side is
// closed, and the answer read to the end. The server must answer or close,
// never crash, hang or leak; every response must be well-formed HTTP/1.1.
#include <yooni/cache/cache.hpp>
#include <yooni/cache/memory_backend.hpp>
#include <yooni/codec/codec.hpp>
#include <yooni/http/api.hpp>
#include <yooni/http/jwt.hpp>
#include <yooni/http/server.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

using namespace yooni;

namespace {

// Tokens the seed corpus uses (fuzz/corpus/http): a writer and an admin.
constexpr std::string_view kSecret = "fuzz-secret-key-0123456789abcdef";

struct Service {
    cache::MemoryBackend backend{8u << 20};
    cache::Cache cache{backend, codec::Codec{}, cache::CacheOptions{}};
    http::Authenticator auth{[] {
                                 http::JwtOptions o;
                                 o.secret = std::string{kSecret};
                                 return o;
                             }(),
                             {config::StaticToken{"fuzz-writer", config::Role::write, config::Secret{"fuzz-writer-token"}},
                              config::StaticToken{"fuzz-admin", config::Role::admin, config::Secret{"fuzz-admin-token"}}}};
    http::Api api{cache, auth, http::ApiOptions{.max_key_bytes = 256, .max_batch_keys = 64, .default_ttl = std::chrono::seconds{60}}};
    std::unique_ptr<http::Server> server;

    Service() {
        http::ServerOptions o;
        o.host = "127.0.0.1";
        o.port = 0;
        o.threads = 1;
        o.max_header_bytes = 8 * 1024;
        o.max_body_bytes = 64 * 1024;
        o.header_timeout = std::chrono::milliseconds{2000};
        o.body_timeout = std::chrono::milliseconds{2000};
        server = std::make_unique<http::Server>(api, o);
        server->start();
    }
};

Service& service() {
    static Service* s = new Service;  // lives until exit: its threads serve every input
    return *s;
}

int connect_to(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) std::abort();
    timeval tv{5, 0};  // an answer slower than this is a hang
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // Closing with a reset leaves no TIME_WAIT behind: millions of inputs
    // would otherwise run this host out of loopback ports.
    linger reset{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    for (int attempt = 0; ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0; ++attempt) {
        if (attempt == 50) {
            std::fprintf(stderr, "http_fuzz: connect: %s\n", std::strerror(errno));
            std::abort();
        }
        ::usleep(10000);
    }
    return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Service& svc = service();
    const int fd = connect_to(svc.server->port());
    std::size_t sent = 0;
    while (sent < size) {
        const auto n = ::send(fd, data + sent, size - sent, MSG_NOSIGNAL);
        if (n <= 0) break;  // the server may close early (431, 400): fine
        sent += static_cast<std::size_t>(n);
    }
    ::shutdown(fd, SHUT_WR);
    std::string answer;
    char buf[16 * 1024];
    for (;;) {
        const auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) std::abort();  // no answer, no close: a hang
            break;  // reset after an early close
        }
        answer.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    // Whatever came back is a sequence of HTTP/1.1 responses.
    if (!answer.empty() && !answer.starts_with("HTTP/1.1 ") && !answer.starts_with("HTTP/1.0 ")) std::abort();
    return 0;
}
