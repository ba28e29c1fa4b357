// What the cache needs from Redis, implemented by the standalone client and
// the cluster client alike: typed calls (get, set with expiry and WAIT, mget,
// mset, unlink), the commands under them (routed by slot in a cluster,
// with every redirection handled inside), delete by pattern across the
// keyspace, and the monitoring views. Everything RESP stays in redis/.
#pragma once

#include <yooni/redis/connection.hpp>
#include <yooni/redis/near_cache.hpp>
#include <yooni/redis/status.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace yooni::redis {

// One command, RESP-encoded, with the slot of its keys (all keys of one
// command must share the slot in a cluster; ignored by a standalone client).
struct Command {
    std::string payload;
    std::uint16_t slot = 0;
    // Safe to send again after a lost connection (GET, SET with a value,
    // UNLINK ...). Every command the cache sends is.
    bool idempotent = true;
    // Only reads: may be served by a replica when the client reads from replicas.
    bool read_only = false;
    // Replies the payload produces: 2 for a write followed by WAIT on the same
    // node. The call returns the first reply when it is an error (MOVED is
    // followed as for one command), else the last.
    std::uint8_t replies = 1;
    // A near cache's read: sent to the key's master on a link with CLIENT
    // TRACKING on (never to a replica: the invalidations come from where it
    // was read, and a replica's could lag its master's).
    bool tracked = false;
};

Command make_command(std::initializer_list<std::string_view> args);  // slot of args[1] when present
Command make_command(const std::vector<std::string_view>& args, std::uint16_t slot);

// A value to write with its expiry (0 = none).
struct KeyValue {
    std::string key;
    std::string value;
    std::chrono::seconds ttl{0};
};

// Durability asked of a write: acknowledged only once `replicas` replicas
// have it (WAIT on the same node, in the same pipeline, right after the
// write), waiting at most `timeout` for them. 0 replicas = no WAIT.
struct WaitFor {
    int replicas = 0;
    std::chrono::milliseconds timeout{1000};
};

class Client {
public:
    virtual ~Client() = default;

    // ---- Typed calls: each encodes its commands, finds their slots and
    // reads the replies (commands.cpp); callers see values and errc, never
    // RESP. An error reply is errc::server_error; a write fewer replicas
    // confirmed than asked is errc::not_replicated.

    // GET: the value, or nullopt when the key does not exist.
    awaitable<result<std::optional<std::string>>> get(std::string_view key, Deadline deadline);
    // get(), saying whether the answer is a stale copy: with the near cache's
    // stale-if-error on, a read whose node cannot answer (link lost, no node,
    // CLUSTERDOWN, the deadline) is answered from an orphaned copy younger
    // than NearCacheOptions::stale_if_error, with its age.
    struct Read {
        std::optional<std::string> value;
        std::optional<std::chrono::milliseconds> stale_age;  // set: a stale copy this old
    };
    awaitable<result<Read>> read(std::string_view key, Deadline deadline);
    // SET with its expiry, then WAIT when asked.
    awaitable<result<void>> set(const KeyValue& item, WaitFor wait, Deadline deadline);
    // One MGET per hash slot, the groups in parallel; values in the keys' order.
    awaitable<result<std::vector<std::optional<std::string>>>> mget(const std::vector<std::string>& keys,
                                                                    Deadline deadline);
    // One SET (and WAIT) per item, pipelined per node: each item keeps its own expiry.
    awaitable<result<void>> mset(const std::vector<KeyValue>& items, WaitFor wait, Deadline deadline);
    // Compare-and-set, one Lua script on the key's node (atomic there): the
    // write or delete happens only when the key's current value satisfies
    // `when` (its redis.sha1hex one of the tags, it exists, or it is absent).
    // False when it did not (nothing done). A write is then WAITed for as asked.
    struct Condition {
        enum class Kind { tag, exists, absent } kind = Kind::exists;
        std::vector<std::string> sha1_hex;  // lowercase hex, for Kind::tag
    };
    awaitable<result<bool>> set_if(const KeyValue& item, const Condition& when, WaitFor wait, Deadline deadline);
    awaitable<result<bool>> unlink_if(std::string_view key, const Condition& when, Deadline deadline);
    // UNLINK, one per hash slot; how many of the keys existed.
    awaitable<result<std::size_t>> unlink(const std::vector<std::string>& keys, Deadline deadline);

    // ---- The generic path under the typed calls.

    // Runs the commands (pipelined per node, nodes in parallel) and returns
    // their replies in the caller's order. A transport failure or deadline of
    // any command fails the call; error replies (-ERR ...) are replies.
    virtual awaitable<result<std::vector<OwnedReply>>> run(std::vector<Command> commands, Deadline deadline) = 0;

    // SCAN MATCH on every master, UNLINK in batches; returns how many keys
    // were deleted. The near cache is flushed after (its keys are many).
    awaitable<result<std::size_t>> delete_matching(std::string pattern, Deadline deadline);

    // The cluster's state and nodes for the monitoring API; nullopt when the
    // client does not talk to a cluster.
    virtual awaitable<result<std::optional<ClusterInfo>>> cluster_info(Deadline deadline) = 0;

    // Facts for /health/detailed and /metrics (nodes, connections, counters ...).
    virtual ClientStatus status() const = 0;

    // Whether calls can succeed now (a slot map covering all slots, or the node answering).
    virtual bool ready() const = 0;
    virtual std::string_view kind() const = 0;  // "redis", "redis-cluster" or "redis-sentinel"
    // Why the backend is not usable, naming the nodes tried ("" when it is).
    virtual std::string last_error() const = 0;

    // Starts background work (topology refresh, health pings). Call once.
    virtual void start() = 0;
    // Stops background work and closes every connection. Call after the
    // workers' io_contexts have stopped.
    virtual void stop() = 0;

    // ---- The near cache (near_cache.hpp): get() answered from this process
    // while Redis has not invalidated the key. Call before start(). A server
    // that refuses HELLO 3 or CLIENT TRACKING turns it off (one warning).
    void use_near_cache(NearCacheOptions options);
    NearCache* near_cache() const { return near_on_ && near_on_->load() ? near_.get() : nullptr; }
    // Why the near cache is off though asked for ("" when on or not asked for).
    std::string near_cache_refusal() const;

protected:
    // Gives the tracked links' hooks to the client's pool(s).
    virtual void attach_tracking(std::shared_ptr<const ConnectionOptions::Tracking> hooks) = 0;
    // delete_matching() without the near cache: each client's own SCAN and UNLINK.
    virtual awaitable<result<std::size_t>> unlink_matching(std::string pattern, Deadline deadline) = 0;

private:
    awaitable<result<Read>> read_near(std::string_view key, Deadline deadline);
    awaitable<result<std::optional<std::string>>> fetch_near(std::string_view key, Deadline deadline);
    awaitable<result<std::optional<std::string>>> get_plain(std::string_view key, Deadline deadline);
    awaitable<result<std::vector<std::optional<std::string>>>> mget_near(const std::vector<std::string>& keys,
                                                                         Deadline deadline);
    awaitable<result<std::vector<std::optional<std::string>>>> mget_plain(const std::vector<std::string>& keys,
                                                                          Deadline deadline);
    void near_invalidate(std::string_view key) const {
        if (near_) near_->invalidate(key);
    }

    std::shared_ptr<NearCache> near_;
    struct NearState;
    std::shared_ptr<std::atomic<bool>> near_on_;
    std::shared_ptr<NearState> near_state_;
};

}  // namespace yooni::redis
