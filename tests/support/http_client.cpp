#include "support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace yooni::test {

RawConnection::RawConnection(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

RawConnection::~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
}

namespace {

using Clock = std::chrono::steady_clock;

// Milliseconds left until `deadline` (0 once it has passed), for poll().
int left_ms(Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left > 0 ? static_cast<int>(left) : 0;
}

// Waits until fd is ready for `events` or the deadline passes; a signal does not end the wait.
bool wait_ready(int fd, short events, Clock::time_point deadline) {
    for (;;) {
        const int left = left_ms(deadline);
        if (left == 0) return false;
        pollfd p{fd, events, 0};
        const int r = ::poll(&p, 1, left);
        if (r > 0) return true;
        if (r == 0 || errno != EINTR) return false;
    }
}

}  // namespace

bool RawConnection::send(const std::string& bytes, std::chrono::milliseconds timeout) {
    if (fd_ < 0) return false;
    const auto deadline = Clock::now() + timeout;
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        // Non-blocking: a peer that stops reading cannot hold the test past the deadline.
        ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait_ready(fd_, POLLOUT, deadline)) continue;
        return false;
    }
    return true;
}

std::string RawConnection::read_until(const std::function<bool(const std::string&)>& done,
                                      std::chrono::milliseconds timeout) {
    std::string out;
    if (fd_ < 0) return out;
    const auto deadline = Clock::now() + timeout;
    char buf[65536];
    while (!(done && done(out))) {
        if (!wait_ready(fd_, POLLIN, deadline)) break;
        ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

std::string RawConnection::read_all(std::chrono::milliseconds timeout, bool* closed) {
    if (closed) *closed = false;
    std::string out;
    if (fd_ < 0) {
        if (closed) *closed = true;
        return out;
    }
    const auto deadline = Clock::now() + timeout;
    char buf[65536];
    for (;;) {
        if (!wait_ready(fd_, POLLIN, deadline)) break;  // the timeout: the peer left it open
        ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (closed) *closed = true;
            break;
        }
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

std::string RawConnection::read_response(std::chrono::milliseconds timeout) {
    return read_until(complete_response, timeout);
}

bool RawConnection::closed_by_peer(std::chrono::milliseconds timeout) {
    if (fd_ < 0) return true;
    const auto deadline = Clock::now() + timeout;
    char buf[4096];
    for (;;) {
        if (!wait_ready(fd_, POLLIN, deadline)) return false;
        ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return true;  // data (an error answer) is skipped; keep waiting for the close
    }
}

bool complete_response(const std::string& raw) {
    std::size_t at = 0;
    for (;;) {
        if (raw.compare(at, 7, "HTTP/1.") != 0) return false;
        const auto head_end = raw.find("\r\n\r\n", at);
        if (head_end == std::string::npos) return false;
        if (raw.compare(at, 10, "HTTP/1.1 1") == 0) {  // an interim answer (100 Continue): the real one follows
            at = head_end + 4;
            continue;
        }
        auto head = raw.substr(at, head_end - at);
        std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
        const auto cl = head.find("\r\ncontent-length:");
        if (cl == std::string::npos) return true;
        const auto length = std::stoul(head.substr(cl + 17));
        return raw.size() - (head_end + 4) >= length;
    }
}

HttpResponse parse_response(const std::string& raw) {
    HttpResponse r;
    auto head_end = raw.find("\r\n\r\n");
    if (raw.rfind("HTTP/1.", 0) != 0 || head_end == std::string::npos) return r;
    // Skip interim 1xx answers (100 Continue).
    std::string rest = raw;
    while (rest.rfind("HTTP/1.1 1", 0) == 0) {
        auto e = rest.find("\r\n\r\n");
        if (e == std::string::npos) return r;
        rest = rest.substr(e + 4);
    }
    head_end = rest.find("\r\n\r\n");
    if (head_end == std::string::npos) return r;
    r.status = std::stoi(rest.substr(9, 3));
    std::size_t pos = rest.find("\r\n") + 2;
    while (pos < head_end) {
        auto eol = rest.find("\r\n", pos);
        auto line = rest.substr(pos, eol - pos);
        auto colon = line.find(':');
        if (colon != std::string::npos) {
            std::string name = line.substr(0, colon);
            std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
            auto value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.erase(0, 1);
            r.headers.emplace(name, value);
        }
        pos = eol + 2;
    }
    r.body = rest.substr(head_end + 4);
    auto cl = r.headers.find("content-length");
    if (cl != r.headers.end()) r.body.resize(std::min<std::size_t>(r.body.size(), std::stoul(cl->second)));
    return r;
}

std::string raw_exchange(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    RawConnection c{port};
    c.send(bytes, timeout);  // may fail part-way when the server answers and closes first
    return c.read_all(std::chrono::milliseconds(left_ms(deadline)));
}

HttpResponse http_request(std::uint16_t port, const std::string& method, const std::string& target,
                          const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body,
                          bool send_content_length) {
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
    if (send_content_length && (!body.empty() || method == "PUT" || method == "POST"))
        req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    req += "\r\n" + body;
    return parse_response(raw_exchange(port, req, std::chrono::seconds(10)));
}

}  // namespace yooni::test
