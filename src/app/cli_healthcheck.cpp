// healthcheck (cli_internal.hpp): GET /readyz (or --url's path) of the
// running service, one line or one JSON document; exit 0 when it answers 200.
//
// Beast's HTTP/1.1 client over plain TCP (the check runs inside the
// container: no TLS, no curl). The only CLI unit that includes Beast (each
// such unit costs ~30 s at -O2). The exchange is bounded in time by the
// command's deadline (HTTP_REQUEST_TIMEOUT_MS or --timeout: connect, request
// and answer together, the tcp_stream's expiry) and in size (kMaxHeaderBytes,
// kMaxBodyBytes). Each step is one asynchronous operation with a plain
// completion handler, run to completion on a local io_context (the
// tcp_stream times out asynchronous operations only); no coroutine.
#include "app/cli_internal.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <netdb.h>

#include <algorithm>
#include <cstdio>

namespace yooni::app::cli {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

// /readyz answers a few hundred bytes, and the line shows 200 of them. A
// larger answer is read no further than the limit (none of a body whose
// Content-Length is over it); its status still counts.
constexpr std::uint32_t kMaxHeaderBytes = 8 * 1024;
constexpr std::uint64_t kMaxBodyBytes = 64 * 1024;

struct HttpUrl {
    std::string host;  // IPv6 without brackets
    std::uint16_t port = 80;
    std::string path = "/readyz";

    std::string to_string() const {
        const bool v6 = host.find(':') != std::string::npos;
        return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + path;
    }
};

// http://host[:port][/path]; no path (or "/") means /readyz.
std::optional<HttpUrl> parse_url(std::string_view text, std::string& why) {
    constexpr std::string_view scheme = "http://";
    if (!text.starts_with(scheme)) {
        why = "expected http://host:port[/path] (plain HTTP: the check runs inside the container)";
        return std::nullopt;
    }
    text.remove_prefix(scheme.size());
    HttpUrl url;
    const auto slash = text.find('/');
    std::string_view authority = text.substr(0, slash);
    if (slash != std::string_view::npos && text.substr(slash) != "/") url.path = std::string{text.substr(slash)};
    std::string_view port_text;
    if (authority.starts_with('[')) {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            why = "unclosed [ in the host";
            return std::nullopt;
        }
        url.host = std::string{authority.substr(1, close - 1)};
        auto rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                why = "expected :port after ]";
                return std::nullopt;
            }
            port_text = rest.substr(1);
        }
    } else {
        const auto colon = authority.rfind(':');
        url.host = std::string{authority.substr(0, colon)};
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    }
    if (url.host.empty()) {
        why = "no host";
        return std::nullopt;
    }
    if (!port_text.empty()) {
        unsigned long port = 0;
        for (char c : port_text) {
            if (c < '0' || c > '9' || port > 65535) {
                port = 0;
                break;
            }
            port = port * 10 + static_cast<unsigned long>(c - '0');
        }
        if (port == 0 || port > 65535) {
            why = "port \"" + std::string{port_text} + "\": expected 1..65535";
            return std::nullopt;
        }
        url.port = static_cast<std::uint16_t>(port);
    }
    return url;
}

// getaddrinfo's own words for the failures Asio renames (as the resolver
// said them before Asio did: "Name or service not known").
std::string resolve_failure(const error_code& ec) {
    if (ec == asio::error::host_not_found) return ::gai_strerror(EAI_NONAME);
    if (ec == asio::error::host_not_found_try_again) return ::gai_strerror(EAI_AGAIN);
    if (ec == asio::error::no_recovery) return ::gai_strerror(EAI_FAIL);
    return ec.message();
}

// Starts one asynchronous operation (`start` gets its completion handler) and
// runs `io` until it completes: its error.
template <class Start>
error_code complete(asio::io_context& io, Start start) {
    std::optional<error_code> result;
    start([&result](error_code ec, auto&&...) { result = ec; });
    if (io.stopped()) io.restart();
    while (!result && io.run_one() > 0) {
    }
    return result.value_or(asio::error::operation_aborted);
}

// GET over plain TCP: the status code, or nullopt with `why`. Once the
// header is in, its status decides: a body cut short (the size limit, the
// deadline, the peer closing) keeps what came of it.
std::optional<int> http_get(const HttpUrl& url, Deadline deadline, std::string& body, std::string& why) {
    asio::io_context io{1};
    const auto port = std::to_string(url.port);
    error_code ec;
    tcp::resolver resolver{io};
    // No AI_ADDRCONFIG (Asio's default): ::1 resolves where loopback is the only IPv6 address.
    const auto endpoints = resolver.resolve(url.host, port, tcp::resolver::flags{}, ec);
    if (ec) {
        why = "cannot resolve " + url.host + ": " + resolve_failure(ec);
        return std::nullopt;
    }

    beast::tcp_stream stream{io};
    stream.expires_at(deadline);  // every step below, together
    ec = complete(io, [&](auto handler) { stream.async_connect(endpoints, std::move(handler)); });
    if (ec) {
        why = ec == beast::error::timeout ? "connect timed out" : ec.message();
        return std::nullopt;
    }

    const bool v6 = url.host.find(':') != std::string::npos;
    bhttp::request<bhttp::empty_body> request{bhttp::verb::get, url.path, 11};
    request.set(bhttp::field::host, (v6 ? "[" + url.host + "]" : url.host) + ":" + port);
    request.set(bhttp::field::user_agent, "yooni-cache-healthcheck");
    request.set(bhttp::field::connection, "close");
    ec = complete(io, [&](auto handler) { bhttp::async_write(stream, request, std::move(handler)); });
    if (ec) {
        why = ec == beast::error::timeout ? "timed out sending the request" : ec.message();
        return std::nullopt;
    }

    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(kMaxBodyBytes);
    ec = complete(io, [&](auto handler) { bhttp::async_read(stream, buffer, parser, std::move(handler)); });
    if (!parser.is_header_done()) {
        // Beast's parse errors, an oversized header, and a close before a
        // whole header are all the same to the caller.
        const bool malformed = ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category();
        why = ec == beast::error::timeout ? "no answer before the deadline"
              : malformed || !ec          ? "not an HTTP answer"
                                          : ec.message();
        return std::nullopt;
    }
    const int status = static_cast<int>(parser.get().result_int());
    if (status < 100 || status > 599) {
        why = "not an HTTP answer";
        return std::nullopt;
    }
    body = parser.get().body();
    return status;
}

}  // namespace

int healthcheck(const Context& ctx, const std::optional<std::string>& url_text) {
    HttpUrl url;
    if (url_text) {
        std::string why;
        auto parsed = parse_url(*url_text, why);
        if (!parsed) return fail(ctx, kExitUsage, "--url \"" + *url_text + "\": " + why);
        url = *parsed;
    } else {
        const auto& h = ctx.settings().http;
        if (h.port == 0) return fail(ctx, kExitUsage, "PORT is 0 (any free port): give the service's address with --url");
        url.host = h.host;
        if (url.host.starts_with('[') && url.host.ends_with(']')) url.host = url.host.substr(1, url.host.size() - 2);
        // A service listening on every address answers on loopback.
        if (url.host.empty() || url.host == "0.0.0.0") url.host = "127.0.0.1";
        if (url.host == "::") url.host = "::1";
        url.port = h.port;
    }
    std::string body, why;
    const auto status = http_get(url, ctx.deadline, body, why);
    const bool healthy = status && *status == 200;
    std::string one_line = body;
    std::replace(one_line.begin(), one_line.end(), '\n', ' ');
    std::replace(one_line.begin(), one_line.end(), '\r', ' ');
    if (one_line.size() > 200) one_line = one_line.substr(0, 200) + "...";
    if (ctx.json) {
        json::object o{{"url", url.to_string()},
                       {"healthy", healthy},
                       {"status", status ? json::value(*status) : json::value(nullptr)},
                       {"error", status ? json::value(nullptr) : json::value(why)}};
        print_json(o);
    } else if (status) {
        std::printf("%s: GET %s answered %d%s%s\n", healthy ? "healthy" : "unhealthy", url.to_string().c_str(), *status,
                    one_line.empty() ? "" : " ", one_line.c_str());
    } else {
        std::printf("unhealthy: GET %s: %s\n", url.to_string().c_str(), why.c_str());
    }
    std::fflush(stdout);
    return healthy ? kExitOk : kExitFailure;
}

}  // namespace yooni::app::cli
