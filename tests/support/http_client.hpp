// A deliberately small HTTP/1.1 client over a blocking loopback socket, so
// tests can send both well-formed and hostile requests byte for byte.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace yooni::test {

struct HttpResponse {
    int status = 0;                                 // 0 = no response (connection closed or timed out)
    std::multimap<std::string, std::string> headers; // names lower-cased
    std::string body;
    std::string header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? std::string{} : it->second;
    }
};

// Sends one request with `Connection: close` and reads the whole answer.
HttpResponse http_request(std::uint16_t port, const std::string& method, const std::string& target,
                          const std::vector<std::pair<std::string, std::string>>& headers = {},
                          const std::string& body = {}, bool send_content_length = true);

// Sends raw bytes and returns everything read until the server closes or `timeout` passes.
std::string raw_exchange(std::uint16_t port, const std::string& bytes,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));

HttpResponse parse_response(const std::string& raw);

// A connected socket for step-by-step tests (slow clients, shutdown).
class RawConnection {
public:
    explicit RawConnection(std::uint16_t port);
    ~RawConnection();
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;
    bool send(const std::string& bytes);
    // Reads until the peer closes or the timeout passes.
    std::string read_all(std::chrono::milliseconds timeout);
    // True when the peer has closed the connection (read returns 0 or an error) within the timeout.
    bool closed_by_peer(std::chrono::milliseconds timeout);

private:
    int fd_ = -1;
};

}  // namespace yooni::test
