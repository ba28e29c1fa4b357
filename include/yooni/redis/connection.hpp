// One connection to one Redis node, driven by one io_context (a worker).
//
// Automatic pipelining: commands issued by concurrent coroutines of the
// worker are queued, written together in one write, and matched to replies in
// order. A command whose deadline passes is abandoned, not torn out: its
// replies are still read and dropped, so later callers stay in step. Which
// reply belongs to which caller is decided by a Multiplexer (multiplexer.hpp),
// a state machine without sockets; this class only drives it.
//
// The connection (re)connects lazily: the first command, or the first after a
// failure, opens it (TCP, optional TLS, AUTH with credentials asked from the
// provider each time, SELECT, READONLY, CLIENT SETNAME), with capped, jittered
// backoff between failed attempts so a dead node does not cause a connection
// storm. Any transport failure fails every command in flight with
// errc::closed (the caller decides whether to retry: only idempotent ones).
//
// Threading: every member must be called on the connection's executor.
#pragma once

#include <yooni/resp/reply.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace yooni::redis {

using Deadline = std::chrono::steady_clock::time_point;
template <class T>
using result = boost::system::result<T>;
template <class T>
using awaitable = boost::asio::awaitable<T>;

enum class errc {
    connect_failed = 1,  // TCP connect, DNS or TLS handshake failed
    timeout,             // the caller's deadline passed
    closed,              // the connection broke with the command in flight
    protocol_error,      // the server sent bytes that are not RESP
    auth_failed,         // AUTH/SELECT/READONLY refused during set-up
    queue_full,          // too many commands waiting on this connection
    backing_off,         // a recent connect failed; not retrying yet
    no_node,             // (cluster) no node serves the slot / none reachable
    redirect_loop,       // (cluster) too many MOVED/ASK for one command
    server_error,        // an error reply where a value was required
    not_replicated,      // a write fewer replicas confirmed (WAIT) than asked
    cluster_down,        // (cluster) CLUSTERDOWN while a failed master has no replica: no failover can end it
};
const boost::system::error_category& category();
boost::system::error_code make_error_code(errc e);

// A reply that owns its bytes (the read buffer moves on).
using OwnedReply = resp::OwnedReply;

struct Credentials {
    std::string username;  // empty = the default user (AUTH password)
    std::string password;  // empty = no AUTH
};
// Asked on every (re)connect, so short-lived tokens (cloud IAM) keep working.
using CredentialsProvider = std::function<Credentials()>;

struct TlsOptions {
    bool enabled = false;
    std::string ca_file;      // empty = the system's trust store
    // Host name the certificate must match (SNI too). The configured endpoint's
    // name, even when the topology answers with IP addresses (ElastiCache).
    // Empty = the host connected to.
    std::string server_name;
};

struct ConnectionOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 6379;
    CredentialsProvider credentials;
    int db = 0;                                     // SELECT when non-zero
    bool readonly = false;                          // READONLY (reads from a cluster replica)
    TlsOptions tls;
    std::chrono::milliseconds connect_timeout{2000};
    // A node that stops acknowledging (its host gone without a reset, a
    // network partition) is given up after this long with sent bytes
    // unacknowledged (TCP_USER_TIMEOUT); an idle link is probed after this
    // long idle (TCP keepalive). The calls in flight then fail as a lost link,
    // which the clients retry and reroute, rather than waiting out the
    // kernel's retransmissions (about 15 minutes on Linux). 0 = the kernel's defaults.
    std::chrono::milliseconds dead_peer_timeout{10000};
    std::chrono::milliseconds backoff_min{50};      // after a failed connect, doubled up to backoff_max
    std::chrono::milliseconds backoff_max{2000};
    std::size_t max_pending = 10000;                // queued + in flight, then errc::queue_full
    std::string client_name = "yooni-cache";
    // When a caller's deadline passes with its request already on the wire,
    // reset the link (every other request on it fails as a lost link). For
    // links of writes that WAIT: Redis drops the commands it has not run
    // yet, rather than running them after their callers gave up.
    bool reset_when_late = false;
    // CLIENT TRACKING on this link (HELLO 3, default mode): Redis pushes an
    // invalidation for every key read through the link when the key changes
    // (redis/near_cache.hpp). on_push gets every push frame, on the link's
    // thread, before the replies read with it are handed to their callers;
    // on_reset is called when a link that was open ends (what it tracked is
    // no longer tracked); on_refused when the server refuses HELLO 3 or
    // CLIENT TRACKING (the link then fails as a refused set-up).
    struct Tracking {
        std::function<void(const resp::Reply&)> on_push;
        std::function<void()> on_reset;
        std::function<void(std::string_view why)> on_refused;
        // A link that was lost is open again, tracking on (its node answers
        // again). Not called for a link's first set-up.
        std::function<void()> on_open;
        // The client's masters changed (a new slot map, a failover): called by
        // the cluster and Sentinel clients, not by a link.
        std::function<void()> on_moved;
        // An open tracking link sends PING this often and is reset when the
        // answer does not come within the same time: a node that hangs with
        // its kernel still answering TCP (SIGSTOP, a stuck process) keeps its
        // link open, and what was read through it must not outlive the
        // failover that follows (cluster-node-timeout, down-after-milliseconds).
        std::chrono::milliseconds ping_interval{1000};
    };
    std::shared_ptr<const Tracking> tracking;  // null: no tracking
};

// Counters of one connection, for tests and metrics (a snapshot).
struct ConnectionStats {
    std::uint64_t connects = 0;         // connections opened successfully
    std::uint64_t connect_attempts = 0;
    std::uint64_t writes = 0;           // socket writes (each may carry many commands)
    std::uint64_t commands = 0;
    std::uint64_t abandoned = 0;        // replies dropped because their caller timed out
};

// The live counters: written on the connection's worker, read from any thread.
struct ConnectionCounters {
    std::atomic<std::uint64_t> connects{0};
    std::atomic<std::uint64_t> connect_attempts{0};
    std::atomic<std::uint64_t> writes{0};
    std::atomic<std::uint64_t> commands{0};
    std::atomic<std::uint64_t> abandoned{0};
    ConnectionStats snapshot() const;
};

class Connection {
public:
    static std::shared_ptr<Connection> create(boost::asio::any_io_executor executor, ConnectionOptions options);
    ~Connection();

    // Sends `count` commands (RESP-encoded back to back in `payload`) as one
    // unit and returns their replies. Error replies (-ERR, MOVED ...) are
    // replies, not errors; errors are transport failures and deadlines.
    awaitable<result<std::vector<OwnedReply>>> execute(std::string payload, std::size_t count, Deadline deadline);
    // The same with the commands in pieces written back to back, not copied
    // first: each piece must stay valid until the call completes. (A piece is
    // copied into the connection's write when the call goes out, and never
    // read after the call has completed, even by a deadline.)
    awaitable<result<std::vector<OwnedReply>>> execute_parts(std::vector<std::string_view> parts, std::size_t count,
                                                             Deadline deadline);
    // One command.
    awaitable<result<OwnedReply>> execute_one(std::string payload, Deadline deadline);

    bool connected() const;
    const ConnectionOptions& options() const { return options_; }
    // Any thread may ask.
    ConnectionStats stats() const { return counters_.snapshot(); }
    // Calls not completed yet (queued or waiting for replies).
    std::size_t pending() const;
    // Why the last connect attempt failed ("Connection refused", "WRONGPASS ...",
    // a TLS verification error); empty after a successful connect.
    const std::string& last_error() const;
    // Closes the socket and fails everything pending with errc::closed.
    void close();

    struct Impl;  // defined in connection.cpp

private:
    Connection(boost::asio::any_io_executor executor, ConnectionOptions options);
    ConnectionOptions options_;
    ConnectionCounters counters_;
    std::unique_ptr<Impl> impl_;
};

}  // namespace yooni::redis

template <>
struct boost::system::is_error_code_enum<yooni::redis::errc> : std::true_type {};
