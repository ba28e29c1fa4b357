// The HTTP request and response as the API layer sees them: plain structs,
// free of Beast, so that routing, auth and handlers compile without it and
// can be tested (and fuzzed) in-process.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace yooni::http {

struct Request {
    std::string method;                        // "GET", "PUT", ...
    std::string path;                          // raw (still percent-encoded) path
    std::string query;                         // raw query string, without '?'
    std::vector<std::string> authorization;    // every Authorization header value
    std::string content_type;
    std::string if_none_match;                 // conditional GET/HEAD (cache values, the dashboard's files)
    std::string if_match;                      // conditional PUT/DELETE (compare-and-set)
    std::string accept_encoding;               // whether a stored gzip member may be sent as it is
    std::string body;
    std::chrono::steady_clock::time_point deadline;  // for cache calls (HTTP_REQUEST_TIMEOUT_MS)
};

struct Response {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // extra headers
    bool omit_body = false;  // HEAD: the headers of the answer to GET (Content-Length included), no body
};

}  // namespace yooni::http
