// Reading cluster error replies: MOVED/ASK redirections and the error codes a
// cluster client retries or reports differently from a plain -ERR.
//
// Input is the error text as the reply carries it, without the leading '-'
// (RESP2 simple error) or the RESP3 blob-error framing: "MOVED 3999 127.0.0.1:6381".
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace yooni::redis {

struct Redirect {
    // moved: the slot lives elsewhere for good (patch the slot map, retry there);
    // ask: one-shot during a migration (send ASKING then the command, map unchanged).
    enum class Kind { moved, ask } kind;
    std::uint16_t slot;
    // Empty when the node sent ":port" (Redis 7, cluster-preferred-endpoint-type
    // unknown-endpoint): it means the host of the node that sent the error. IPv6
    // addresses are kept without brackets.
    std::string host;
    std::uint16_t port;

    bool operator==(const Redirect&) const = default;
};

// "MOVED <slot> <host>:<port>" or "ASK <slot> <host>:<port>". The endpoint is
// split at its last ':' (so "::1:7000" is host "::1"), or after "]" for
// "[::1]:7000". Empty optional for any other error, a slot above 16383, or a
// port outside 1..65535.
std::optional<Redirect> parse_redirect(std::string_view error_text);

// What an error reply means to a cluster client; the first word of the text decides.
enum class ErrorKind {
    other,        // -ERR, WRONGTYPE, ...: the command's own answer, returned to the caller
    moved,
    ask,
    tryagain,     // multi-key command during a slot migration: retry after a short pause
    clusterdown,  // "The cluster is down" / "Hash slot not served": refresh the map, retry later
    loading,      // node is loading its dataset: retry later or elsewhere
    readonly,     // a write reached a replica: the map is stale (failover), refresh it
    masterdown,   // replica lost its master and serves no stale data
    auth,         // NOAUTH or WRONGPASS: credentials wrong or missing; retrying does not help
};

ErrorKind classify_error(std::string_view error_text);

inline bool is_tryagain(std::string_view error_text) { return classify_error(error_text) == ErrorKind::tryagain; }
inline bool is_clusterdown(std::string_view error_text) { return classify_error(error_text) == ErrorKind::clusterdown; }
inline bool is_loading(std::string_view error_text) { return classify_error(error_text) == ErrorKind::loading; }
inline bool is_readonly(std::string_view error_text) { return classify_error(error_text) == ErrorKind::readonly; }
inline bool is_masterdown(std::string_view error_text) { return classify_error(error_text) == ErrorKind::masterdown; }
inline bool is_auth_error(std::string_view error_text) { return classify_error(error_text) == ErrorKind::auth; }

}  // namespace yooni::redis
