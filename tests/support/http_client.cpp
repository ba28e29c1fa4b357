#include "support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
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

bool RawConnection::send(const std::string& bytes) {
    if (fd_ < 0) return false;
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return false;
        sent += static_cast<std::size_t>(n);
    }
    return true;
}

std::string RawConnection::read_all(std::chrono::milliseconds timeout) {
    std::string out;
    if (fd_ < 0) return out;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[65536];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
        ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

bool RawConnection::closed_by_peer(std::chrono::milliseconds timeout) {
    if (fd_ < 0) return true;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[4096];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
        ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) return true;  // data (an error answer) is skipped; keep waiting for the close
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
    RawConnection c{port};
    c.send(bytes);
    return c.read_all(timeout);
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
