// REDIS_URL, checked by hand with the reading of redis-py's from_url (what
// the Python system used): redis://[[user]:password@]host[:port][/db],
// rediss:// for TLS, unix://[[user]:password@]/path/to/socket. load()
// refuses unix:// (the connection layer is TCP/TLS only) and a db beyond 15.
#pragma once

#include "config/values.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace yooni::config::detail {

struct RedisUrl {
    bool tls = false;                     // rediss://
    bool unix_socket = false;             // unix://
    std::string username;                 // %-decoded; empty when absent
    std::string password;                 // %-decoded; empty when absent
    std::string host;                     // brackets removed; empty for unix://
    std::optional<std::uint16_t> port;    // absent: the client's default (6379)
    std::optional<std::int64_t> db;       // from the path, else from ?db=
    std::string socket_path;              // unix:// only
    std::vector<std::string> ignored_parameters;  // query names other than db
};

// Like Python's urlsplit, the authority ends at the first '/', '?' or '#'
// and the user part ends at its last '@', so a password may hold '@' and
// ':' but not '/', '?' or '#' (those must be %-encoded there as well).
Checked<RedisUrl> parse_redis_url(std::string_view text);

// The URL with everything between "://" (or the user name's ':') and the
// last '@' replaced by "***". Works on malformed input too and masks
// rather more than less, as it is what error messages print.
std::string mask_redis_url(std::string_view text);

}  // namespace yooni::config::detail
