// Test support: a real Redis Cluster of redis-server processes on free
// 127.0.0.1 ports, in one temporary directory, for as long as the object
// lives; plus the faults and topology changes the cluster client must survive
// (a master dying, a paused node, failover, slot migration with ASK, reshard,
// a new master).
//
// Choices, for speed (a 6-node cluster is ready in ~2.2 s; the floor is 2 s:
// Redis keeps a freshly started master at cluster_state:fail that long, and
// so add_master() and restarting a master take 2 s too) and determinism:
// - The cluster is built with CLUSTER commands, not `redis-cli --cluster
//   create` (which sleeps a second per step): distinct config epochs, slots
//   split like redis-cli does (masters 0..N-1 in port order), a full mesh of
//   CLUSTER MEET, then replica k replicates master k % masters.
// - Nodes are foreground children (ChildProcess), started through
//   `setpriv --pdeathsig KILL` when available so they die with the test even
//   if it crashes. The death signal follows the *thread* that created the
//   cluster: create it on a thread that outlives it (gtest's main thread).
// - Persistence is off (--save "" --appendonly no): a restarted node comes
//   back empty, so a restarted master that was not failed over loses its keys.
// - --cluster-replica-validity-factor 0: a replica may always fail over, however
//   long its link was down (a paused test must not block the failover).
// - --cluster-allow-replica-migration no: a master emptied by migrate_slot or
//   reshard stays a master, and replicas never move to orphaned masters; the
//   topology changes only when a test changes it.
// - --repl-diskless-sync-delay 0: replicas sync at once, not after 5 s.
// - block_config (default) renames CONFIG away (--rename-command CONFIG "",
//   which Redis 7.0 accepts on the command line), as managed services do: the
//   client must never need CONFIG, and nothing here uses it.
// - "Settled" means: every live node (not killed, not paused) reports
//   cluster_state:ok; all live nodes agree on every node's role, master, slots
//   and FAIL flag; every live node is known to all and not flagged failing;
//   every replica of a live master has master_link_status:up. Operations that
//   change the topology wait until settled (or throw, with the nodes' logs).
// - The destructor SIGKILLs the nodes: the data is throw-away, and a graceful
//   SHUTDOWN of a master waits for its replicas.
//
// Not thread-safe: owned by one test or fixture. Keys passed through redis-cli
// (migration, cli()) must not contain newlines.
#pragma once

#include "support/process.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace yooni::test {

struct ClusterOptions {
    int masters = 3;
    int replicas = 1;  // per master
    // Non-empty: requirepass and masterauth on every node; cli() sends it.
    std::string password;
    // Rename CONFIG away on every node (see above).
    bool block_config = true;
    // cluster-node-timeout: a node unreachable this long is failing; a failover
    // takes about 1.5-2.5 times this.
    std::chrono::milliseconds node_timeout{2000};
    // Appended to every node's command line, after the defaults above.
    std::vector<std::string> extra_args;
};

class RedisCluster {
public:
    struct Node {
        std::uint16_t port = 0;
        std::string id;
        bool master = false;
        std::string master_id;  // a replica's master; empty for a master
        bool failed = false;    // flagged fail or fail? by the node asked
    };
    static constexpr std::size_t kAllKeys = std::numeric_limits<std::size_t>::max();

    // Starts masters * (1 + replicas) nodes on free loopback ports (port and
    // port + 10000 both free), creates the cluster and waits until settled;
    // throws std::runtime_error with the nodes' logs on failure.
    explicit RedisCluster(ClusterOptions options = {});
    RedisCluster(const RedisCluster&) = delete;
    RedisCluster& operator=(const RedisCluster&) = delete;
    ~RedisCluster();

    const ClusterOptions& options() const { return options_; }

    // Every node a live node knows now (CLUSTER NODES), by port.
    std::vector<Node> nodes();
    // Masters not flagged failing and not killed or paused here, by port.
    std::vector<std::uint16_t> master_ports();
    // Replicas of a master now, by port.
    std::vector<std::uint16_t> replicas_of(std::uint16_t master_port);
    // A live master's port (a seed for a client).
    std::uint16_t any_port();
    // The master serving `slot` now, as a live node sees it.
    std::uint16_t port_for_slot(int slot);
    // `redis-cli -h 127.0.0.1 -p port [-a password] args...` (no -c): stdout
    // trimmed, one line per array element; errors are text too ("ASK 42
    // 127.0.0.1:7001"). When the command fails with no stdout, its stderr.
    std::string cli(std::uint16_t port, const std::vector<std::string>& args);
    // CLUSTER KEYSLOT on a live node.
    int key_slot(const std::string& key);

    // Faults. kill_node and pause_node return at once (the point is to watch
    // the outage); the rest wait until the cluster has settled.
    void kill_node(std::uint16_t port);     // SIGKILL: a node that just dies, no MOVED sent
    void restart_node(std::uint16_t port);  // same port, nodes.conf and options (no data)
    // Several nodes at once, then one wait for the cluster to settle: restarting
    // them one by one with a settle after each can wait forever, as the nodes
    // up first mark a master not yet restarted as failed, and its slots stay down.
    void restart_nodes(const std::vector<std::uint16_t>& ports);
    void pause_node(std::uint16_t port);    // SIGSTOP: connections open, no replies
    void resume_node(std::uint16_t port);   // SIGCONT
    // CLUSTER FAILOVER on a replica (FORCE when its master is killed or
    // paused); waits until it is a master.
    void failover(std::uint16_t replica_port);
    // Waits until a killed or paused master's slots are served by a promoted
    // replica (about 1.5-2.5 node timeouts after the kill).
    void wait_for_failover_of(std::uint16_t dead_master_port);

    // Topology changes.
    // Online migration of one slot with its keys: SETSLOT IMPORTING/MIGRATING,
    // MIGRATE in batches of 100, SETSLOT NODE on every live master.
    void migrate_slot(int slot, std::uint16_t to_port);
    // The first half: the slot is left MIGRATING on its owner and IMPORTING on
    // to_port, with up to keys_to_move of its keys moved, so the owner answers
    // -ASK for those (and for new keys) and still serves the rest.
    void begin_migration(int slot, std::uint16_t to_port, std::size_t keys_to_move = kAllKeys);
    // Moves the remaining keys and assigns the slot to to_port everywhere.
    void finish_migration(int slot, std::uint16_t to_port);
    // `redis-cli --cluster reshard`: moves `slots` slots with their keys.
    void reshard(int slots, std::uint16_t from_port, std::uint16_t to_port);
    // Starts an empty node, CLUSTER MEET, waits until all know it; it is a
    // master with no slots. Returns its port.
    std::uint16_t add_master();

    // Waits until settled; false on timeout (then last_unsettled() says why).
    bool wait_ok(std::chrono::milliseconds timeout);
    const std::string& last_unsettled() const { return unsettled_; }
    // The last lines of every node's log, for failure messages.
    std::string logs() const;

private:
    struct Proc;

    Proc& proc(std::uint16_t port);
    Proc* live_proc();
    std::vector<Proc*> live_procs();
    bool is_live(const std::string& node_id) const;
    std::vector<std::string> node_argv(const Proc& p) const;
    void spawn(Proc& p);
    bool await_ready(Proc& p, std::chrono::milliseconds timeout);
    Proc& start_new_node();
    CommandResult run_cli(std::uint16_t port, const std::vector<std::string>& args,
                          const std::string& input = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
    std::string expect(std::uint16_t port, const std::vector<std::string>& args, const std::string& want);
    std::string node_view(std::uint16_t port);
    bool settled_once();
    void settle(const std::string& after);
    std::chrono::milliseconds settle_timeout() const;
    [[noreturn]] void fail(const std::string& what) const;
    void move_keys(int slot, std::uint16_t from, std::uint16_t to, std::size_t limit);

    ClusterOptions options_;
    TempDir dir_;  // declared before procs_: the nodes stop before their directory goes
    std::vector<std::unique_ptr<Proc>> procs_;
    std::string unsettled_;
};

// A base port p such that p .. p+count-1 and their cluster bus ports (+10000)
// are free on 127.0.0.1, below the ephemeral range; reserved against other
// RedisCluster objects of this process for its lifetime. For tests that start
// a cluster by other means (scripts/redis-cluster).
std::uint16_t free_cluster_ports(int count);

}  // namespace yooni::test
