// A deliberately small HTTP/1.1 client over a blocking loopback socket, so
// tests can send both well-formed and hostile requests byte for byte.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
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

// Sends raw bytes and returns everything read until the server closes or `timeout` passes
// (sending included: a server that stops reading does not hold the call past it). A cap
// for a server that misbehaves; a passing exchange ends when the server closes.
std::string raw_exchange(std::uint16_t port, const std::string& bytes,
                         std::chrono::milliseconds timeout = std::chrono::seconds(30));

HttpResponse parse_response(const std::string& raw);

// True when `raw` holds one whole response after any interim 1xx ones: its
// header, and as many body bytes as its Content-Length says (none without one).
bool complete_response(const std::string& raw);

// A connected socket for step-by-step tests (slow clients, shutdown).
class RawConnection {
public:
    explicit RawConnection(std::uint16_t port);
    ~RawConnection();
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;
    // False when the peer closed or the bytes could not all be sent within the timeout.
    bool send(const std::string& bytes, std::chrono::milliseconds timeout = std::chrono::seconds(30));
    // Reads until the peer closes or the timeout passes; `closed` (when given)
    // says which: true when the peer closed (read returned 0 or an error).
    std::string read_all(std::chrono::milliseconds timeout, bool* closed = nullptr);
    // Reads until `done(everything read so far)` holds, the peer closes or the
    // timeout passes (a cap for a failing test: a passing one ends at `done`).
    std::string read_until(const std::function<bool(const std::string&)>& done, std::chrono::milliseconds timeout);
    // Reads one whole response (complete_response), e.g. on a kept-alive connection.
    std::string read_response(std::chrono::milliseconds timeout = std::chrono::seconds(30));
    // True when the peer has closed the connection (read returns 0 or an error) within the timeout.
    bool closed_by_peer(std::chrono::milliseconds timeout);

private:
    int fd_ = -1;
};

}  // namespace yooni::test
