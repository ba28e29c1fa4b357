#include "support/redis_cluster.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace yooni::test {

struct RedisCluster::Proc {
    std::uint16_t port = 0;
    std::string dir;
    std::string id;
    ChildProcess process;
    bool alive = false;  // started and not killed
    bool paused = false;
    bool live() const { return alive && !paused; }
};

namespace {

constexpr int kSlots = 16384;
constexpr int kBusOffset = 10000;  // the cluster bus listens on port + 10000
constexpr int kStartAttempts = 5;
constexpr std::size_t kMigrateBatch = 100;
constexpr std::size_t kLogLines = 40;
constexpr auto kPoll = std::chrono::milliseconds(50);
constexpr auto kStartTimeout = std::chrono::seconds(10);
constexpr auto kSetpriv = "/usr/bin/setpriv";

std::string trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in{text};
    for (std::string line; std::getline(in, line);) {
        line = trim(line);
        if (!line.empty()) out.push_back(line);
    }
    return out;
}

std::vector<std::string> words_of(const std::string& line) {
    std::vector<std::string> out;
    std::istringstream in{line};
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
    return out;
}

// One line of CLUSTER NODES:
// <id> <ip:port@cport[,hostname]> <flags> <master> <ping> <pong> <epoch> <link> <slot>...
struct NodeLine {
    std::string id;
    std::uint16_t port = 0;
    std::set<std::string> flags;
    std::string master;  // "-" for a master
    std::string link;
    std::vector<std::pair<int, int>> slots;  // open slots ("[5->-id]") left out
    bool has(const char* flag) const { return flags.count(flag) != 0; }
    bool failing() const { return has("fail") || has("fail?"); }
};

// Lines of CLUSTER NODES in a text that may hold other replies too (the
// "key:value" lines of CLUSTER INFO and INFO have no spaces).
std::vector<NodeLine> parse_nodes(const std::string& text) {
    std::vector<NodeLine> out;
    for (const auto& line : lines_of(text)) {
        auto w = words_of(line);
        if (w.size() < 8 || w[0].size() != 40) continue;
        NodeLine n;
        n.id = w[0];
        auto at = w[1].find('@');
        auto colon = w[1].rfind(':', at);
        if (colon != std::string::npos) n.port = static_cast<std::uint16_t>(std::atoi(w[1].c_str() + colon + 1));
        std::istringstream flags{w[2]};
        for (std::string f; std::getline(flags, f, ',');) n.flags.insert(f);
        n.master = w[3];
        n.link = w[7];
        for (std::size_t i = 8; i < w.size(); ++i) {
            if (w[i].front() == '[') continue;
            auto dash = w[i].find('-');
            int lo = std::atoi(w[i].c_str());
            int hi = dash == std::string::npos ? lo : std::atoi(w[i].c_str() + dash + 1);
            n.slots.emplace_back(lo, hi);
        }
        out.push_back(std::move(n));
    }
    return out;
}

std::string info_field(const std::string& text, const std::string& key) {
    for (const auto& line : lines_of(text))
        if (line.compare(0, key.size() + 1, key + ":") == 0) return line.substr(key.size() + 1);
    return {};
}

// What a node's view says about the cluster, minus what may differ between
// nodes (ping times, link states, PFAIL suspicions, open slots).
std::string signature(const std::vector<NodeLine>& view) {
    std::vector<std::string> rows;
    for (const auto& n : view) {
        if (n.has("handshake")) continue;
        std::string row = n.id + (n.has("master") ? " M " : " S ") + n.master + (n.has("fail") ? " FAIL" : "");
        for (auto [lo, hi] : n.slots) row += " " + std::to_string(lo) + "-" + std::to_string(hi);
        rows.push_back(row);
    }
    std::sort(rows.begin(), rows.end());
    std::string out;
    for (const auto& r : rows) out += r + "\n";
    return out;
}

// Ports handed out in this process and not yet given back: a killed node's
// port stays reserved for its restart.
std::mutex ports_mutex;
std::set<std::uint16_t> reserved_ports;

void release_port(std::uint16_t port) {
    std::lock_guard lock{ports_mutex};
    reserved_ports.erase(port);
    reserved_ports.erase(static_cast<std::uint16_t>(port + kBusOffset));
}

bool bindable(int port) {
    if (port <= 0 || port > 65535) return false;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    return ok;
}

// Below the kernel's ephemeral range (where connect() picks local ports), so
// a port freed by a killed node is not taken by some client socket before
// the node restarts; bus ports (+10000) stay below it too.
std::pair<int, int> candidate_range() {
    int ephemeral_low = 32768;
    std::ifstream in{"/proc/sys/net/ipv4/ip_local_port_range"};
    in >> ephemeral_low;
    return {10240, ephemeral_low - kBusOffset - 1};
}

// The documentation's and the compose file's cluster uses 7000-7005 and
// their bus ports 17000-17005 (tests docs.* and deploy.* start it beside these
// tests); a node of ours there would make them fail.
bool documented_port(int port) { return port >= 17000 && port <= 17005; }

// `count` consecutive ports p.. whose bus ports are free too, reserved.
std::uint16_t reserve_ports(int count) {
    static std::mt19937 rng{std::random_device{}() ^ static_cast<unsigned>(getpid())};
    auto [lo, hi] = candidate_range();
    std::lock_guard lock{ports_mutex};
    for (int attempt = 0; attempt < 2000; ++attempt) {
        int base = hi - lo >= 1000 ? std::uniform_int_distribution<int>{lo, hi - count + 1}(rng) : free_port();
        bool ok = base + count - 1 + kBusOffset <= 65535;
        for (int p = base; ok && p < base + count; ++p)
            ok = !documented_port(p) && !reserved_ports.count(static_cast<std::uint16_t>(p)) && bindable(p) &&
                 bindable(p + kBusOffset);
        if (!ok) continue;
        for (int p = base; p < base + count; ++p) {
            reserved_ports.insert(static_cast<std::uint16_t>(p));
            reserved_ports.insert(static_cast<std::uint16_t>(p + kBusOffset));
        }
        return static_cast<std::uint16_t>(base);
    }
    throw std::runtime_error("no free loopback ports for a Redis Cluster node");
}

std::string tail(const std::string& path, std::size_t n) {
    std::ifstream in{path};
    std::deque<std::string> last;
    for (std::string line; std::getline(in, line);) {
        last.push_back(line);
        if (last.size() > n) last.pop_front();
    }
    std::string out;
    for (const auto& l : last) out += l + "\n";
    return out;
}

}  // namespace

std::uint16_t free_cluster_ports(int count) { return reserve_ports(count); }

RedisCluster::RedisCluster(ClusterOptions options) : options_(std::move(options)) {
    if (options_.masters < 1 || options_.replicas < 0)
        throw std::invalid_argument("RedisCluster needs masters >= 1 and replicas >= 0");
    try {
        const int n = options_.masters * (1 + options_.replicas);
        // Start every node first, then wait for them: they boot in parallel.
        for (int i = 0; i < n; ++i) {
            auto p = std::make_unique<Proc>();
            p->port = reserve_ports(1);
            p->dir = dir_.path() + "/" + std::to_string(p->port);
            spawn(*p);
            procs_.push_back(std::move(p));
        }
        for (auto& p : procs_) {
            // A port another process took between our check and the bind: move on.
            for (int attempt = 1; !await_ready(*p, kStartTimeout); ++attempt) {
                if (attempt == kStartAttempts) fail("node 127.0.0.1:" + std::to_string(p->port) + " did not start");
                p->process.stop(SIGKILL);
                release_port(p->port);
                p->port = reserve_ports(1);
                p->dir = dir_.path() + "/" + std::to_string(p->port);
                spawn(*p);
            }
        }
        for (auto& p : procs_) p->id = trim(run_cli(p->port, {"CLUSTER", "MYID"}).out);

        // What `redis-cli --cluster create` does, without its one-second sleeps.
        for (int i = 0; i < n; ++i)
            expect(procs_[i]->port, {"CLUSTER", "SET-CONFIG-EPOCH", std::to_string(i + 1)}, "OK");
        const double per_master = static_cast<double>(kSlots) / options_.masters;
        long first = 0;
        for (int i = 0; i < options_.masters; ++i) {
            long last = i + 1 == options_.masters ? kSlots - 1 : std::lround(per_master * (i + 1) - 1);
            expect(procs_[i]->port, {"CLUSTER", "ADDSLOTSRANGE", std::to_string(first), std::to_string(last)}, "OK");
            first = last + 1;
        }
        for (int i = 0; i < n; ++i)
            for (int j = i + 1; j < n; ++j)
                expect(procs_[i]->port, {"CLUSTER", "MEET", "127.0.0.1", std::to_string(procs_[j]->port)}, "OK");
        // CLUSTER REPLICATE needs the replica to know its master.
        auto deadline = std::chrono::steady_clock::now() + settle_timeout();
        for (auto& p : procs_) {
            for (;;) {
                auto view = parse_nodes(run_cli(p->port, {"CLUSTER", "NODES"}).out);
                std::size_t known = std::count_if(view.begin(), view.end(), [](auto& l) { return !l.has("handshake"); });
                if (known == procs_.size()) break;
                if (std::chrono::steady_clock::now() > deadline)
                    fail("node 127.0.0.1:" + std::to_string(p->port) + " knows " + std::to_string(known) + " of " +
                         std::to_string(n) + " nodes after CLUSTER MEET");
                std::this_thread::sleep_for(kPoll);
            }
        }
        for (int k = 0; k < options_.masters * options_.replicas; ++k)
            expect(procs_[options_.masters + k]->port, {"CLUSTER", "REPLICATE", procs_[k % options_.masters]->id}, "OK");
        settle("creating the cluster");
    } catch (...) {
        for (auto& p : procs_)
            if (p->process.pid() > 0) ::kill(p->process.pid(), SIGKILL);
        for (auto& p : procs_) {
            p->process.stop(SIGKILL);
            release_port(p->port);
        }
        throw;
    }
}

RedisCluster::~RedisCluster() {
    // All at once, then reap: SIGKILL also ends a stopped (paused) process.
    for (auto& p : procs_)
        if (p->process.pid() > 0) ::kill(p->process.pid(), SIGKILL);
    for (auto& p : procs_) {
        p->process.stop(SIGKILL);
        release_port(p->port);
    }
}

RedisCluster::Proc& RedisCluster::proc(std::uint16_t port) {
    for (auto& p : procs_)
        if (p->port == port) return *p;
    throw std::invalid_argument("no node of this cluster on port " + std::to_string(port));
}

std::vector<RedisCluster::Proc*> RedisCluster::live_procs() {
    std::vector<Proc*> out;
    for (auto& p : procs_)
        if (p->live()) out.push_back(p.get());
    return out;
}

RedisCluster::Proc* RedisCluster::live_proc() {
    auto live = live_procs();
    if (live.empty()) fail("no live node in the cluster");
    return live.front();
}

bool RedisCluster::is_live(const std::string& node_id) const {
    for (auto& p : procs_)
        if (p->id == node_id) return p->live();
    return false;
}

std::vector<std::string> RedisCluster::node_argv(const Proc& p) const {
    std::vector<std::string> argv;
    // The kernel kills the node when the thread that started it ends, even by a crash.
    if (access(kSetpriv, X_OK) == 0) argv = {kSetpriv, "--pdeathsig", "KILL"};
    argv.insert(argv.end(), {"redis-server",
                             "--port", std::to_string(p.port),
                             "--bind", "127.0.0.1",
                             "--dir", p.dir,
                             "--daemonize", "no",
                             "--save", "",
                             "--appendonly", "no",
                             "--cluster-enabled", "yes",
                             "--cluster-config-file", "nodes.conf",
                             "--cluster-node-timeout", std::to_string(options_.node_timeout.count()),
                             "--cluster-replica-validity-factor", "0",
                             "--cluster-allow-replica-migration", "no",
                             "--repl-diskless-sync-delay", "0"});
    if (!options_.password.empty())
        argv.insert(argv.end(), {"--requirepass", options_.password, "--masterauth", options_.password});
    if (options_.block_config) argv.insert(argv.end(), {"--rename-command", "CONFIG", ""});
    argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
    return argv;
}

void RedisCluster::spawn(Proc& p) {
    std::filesystem::create_directories(p.dir);
    p.process = ChildProcess{node_argv(p), {}, p.dir + "/redis.log"};
    p.alive = true;
    p.paused = false;
}

bool RedisCluster::await_ready(Proc& p, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!p.process.running()) break;  // exited: port taken, bad argument
        if (!wait_for_port(p.port, kPoll)) continue;
        if (trim(run_cli(p.port, {"PING"}, {}, std::chrono::seconds(2)).out) == "PONG") return true;
        std::this_thread::sleep_for(kPoll);  // LOADING
    }
    p.alive = false;
    return false;
}

RedisCluster::Proc& RedisCluster::start_new_node() {
    auto p = std::make_unique<Proc>();
    for (int attempt = 1;; ++attempt) {
        p->port = reserve_ports(1);
        p->dir = dir_.path() + "/" + std::to_string(p->port);
        spawn(*p);
        if (await_ready(*p, kStartTimeout)) break;
        auto log = tail(p->dir + "/redis.log", kLogLines);
        p->process.stop(SIGKILL);
        release_port(p->port);
        if (attempt == kStartAttempts)
            throw std::runtime_error("redis-server did not start on 127.0.0.1:" + std::to_string(p->port) + "; log:\n" + log);
    }
    p->id = trim(run_cli(p->port, {"CLUSTER", "MYID"}).out);
    procs_.push_back(std::move(p));
    return *procs_.back();
}

CommandResult RedisCluster::run_cli(std::uint16_t port, const std::vector<std::string>& args,
                                    const std::string& input, std::chrono::milliseconds timeout) const {
    std::vector<std::string> argv{"redis-cli", "-h", "127.0.0.1", "-p", std::to_string(port)};
    if (!options_.password.empty()) argv.insert(argv.end(), {"--no-auth-warning", "-a", options_.password});
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, input, timeout);
}

std::string RedisCluster::expect(std::uint16_t port, const std::vector<std::string>& args, const std::string& want) {
    auto r = run_cli(port, args);
    auto out = trim(r.out);
    if (out != want)
        fail("127.0.0.1:" + std::to_string(port) + " " + join(args) + ": expected " + want + ", got '" + out +
             "' " + trim(r.err));
    return out;
}

std::string RedisCluster::cli(std::uint16_t port, const std::vector<std::string>& args) {
    auto r = run_cli(port, args);
    auto out = trim(r.out);
    if (out.empty() && r.exit_code != 0) return trim(r.err);
    return out;
}

int RedisCluster::key_slot(const std::string& key) {
    return std::stoi(cli(live_proc()->port, {"CLUSTER", "KEYSLOT", key}));
}

std::vector<RedisCluster::Node> RedisCluster::nodes() {
    std::vector<Node> out;
    for (const auto& l : parse_nodes(run_cli(live_proc()->port, {"CLUSTER", "NODES"}).out)) {
        if (l.has("handshake")) continue;
        out.push_back({l.port, l.id, l.has("master"), l.master == "-" ? "" : l.master, l.failing()});
    }
    std::sort(out.begin(), out.end(), [](const Node& a, const Node& b) { return a.port < b.port; });
    return out;
}

std::vector<std::uint16_t> RedisCluster::master_ports() {
    std::vector<std::uint16_t> out;
    for (const auto& n : nodes())
        if (n.master && !n.failed && is_live(n.id)) out.push_back(n.port);
    return out;
}

std::vector<std::uint16_t> RedisCluster::replicas_of(std::uint16_t master_port) {
    const auto& id = proc(master_port).id;
    std::vector<std::uint16_t> out;
    for (const auto& n : nodes())
        if (!n.master && n.master_id == id) out.push_back(n.port);
    return out;
}

std::uint16_t RedisCluster::any_port() {
    auto masters = master_ports();
    return masters.empty() ? live_proc()->port : masters.front();
}

std::uint16_t RedisCluster::port_for_slot(int slot) {
    for (const auto& l : parse_nodes(run_cli(live_proc()->port, {"CLUSTER", "NODES"}).out))
        for (auto [lo, hi] : l.slots)
            if (l.has("master") && lo <= slot && slot <= hi) return l.port;
    fail("no node serves slot " + std::to_string(slot));
}

void RedisCluster::kill_node(std::uint16_t port) {
    auto& p = proc(port);
    p.process.stop(SIGKILL);
    p.alive = false;
    p.paused = false;
}

void RedisCluster::restart_node(std::uint16_t port) {
    auto& p = proc(port);
    if (p.process.pid() > 0) p.process.stop(SIGKILL);
    spawn(p);
    if (!await_ready(p, kStartTimeout)) fail("node 127.0.0.1:" + std::to_string(port) + " did not restart");
    settle("restarting 127.0.0.1:" + std::to_string(port));
}

void RedisCluster::restart_nodes(const std::vector<std::uint16_t>& ports) {
    for (auto port : ports) {
        auto& p = proc(port);
        if (p.process.pid() > 0) p.process.stop(SIGKILL);
        spawn(p);
    }
    for (auto port : ports)
        if (!await_ready(proc(port), kStartTimeout)) fail("node 127.0.0.1:" + std::to_string(port) + " did not restart");
    settle("restarting " + std::to_string(ports.size()) + " nodes");
}

void RedisCluster::pause_node(std::uint16_t port) {
    auto& p = proc(port);
    if (!p.live()) throw std::logic_error("pause_node: 127.0.0.1:" + std::to_string(port) + " is not running");
    ::kill(p.process.pid(), SIGSTOP);
    p.paused = true;
}

void RedisCluster::resume_node(std::uint16_t port) {
    auto& p = proc(port);
    if (!p.paused) throw std::logic_error("resume_node: 127.0.0.1:" + std::to_string(port) + " is not paused");
    ::kill(p.process.pid(), SIGCONT);
    p.paused = false;
    settle("resuming 127.0.0.1:" + std::to_string(port));
}

void RedisCluster::failover(std::uint16_t replica_port) {
    auto& p = proc(replica_port);
    std::string master_id;
    for (const auto& l : parse_nodes(run_cli(replica_port, {"CLUSTER", "NODES"}).out))
        if (l.has("myself")) master_id = l.has("master") ? "" : l.master;
    if (master_id.empty()) fail("failover: 127.0.0.1:" + std::to_string(replica_port) + " is not a replica");
    // Without FORCE the replica waits for its master's offset, which a dead master never sends.
    std::vector<std::string> args{"CLUSTER", "FAILOVER"};
    if (!is_live(master_id)) args.push_back("FORCE");
    expect(p.port, args, "OK");
    auto deadline = std::chrono::steady_clock::now() + settle_timeout();
    for (;;) {
        auto role = lines_of(run_cli(p.port, {"ROLE"}).out);
        if (!role.empty() && role.front() == "master") break;
        if (std::chrono::steady_clock::now() > deadline)
            fail("failover: 127.0.0.1:" + std::to_string(replica_port) + " is still a replica");
        std::this_thread::sleep_for(kPoll);
    }
    settle("failover to 127.0.0.1:" + std::to_string(replica_port));
}

void RedisCluster::wait_for_failover_of(std::uint16_t dead_master_port) {
    auto& dead = proc(dead_master_port);
    if (dead.live()) throw std::logic_error("wait_for_failover_of: 127.0.0.1:" + std::to_string(dead_master_port) +
                                            " is running; kill_node or pause_node it first");
    auto deadline = std::chrono::steady_clock::now() + settle_timeout();
    for (;;) {
        bool moved = true;
        for (auto* p : live_procs()) {
            for (const auto& l : parse_nodes(run_cli(p->port, {"CLUSTER", "NODES"}).out))
                if (l.id == dead.id && !l.slots.empty()) {
                    moved = false;
                    unsettled_ = "127.0.0.1:" + std::to_string(p->port) + " still sees the dead master's slots";
                }
            if (!moved) break;
        }
        if (moved && settled_once()) return;
        if (std::chrono::steady_clock::now() > deadline)
            fail("no replica took over from 127.0.0.1:" + std::to_string(dead_master_port) + " within " +
                 std::to_string(settle_timeout().count()) + " ms: " + unsettled_);
        std::this_thread::sleep_for(kPoll);
    }
}

void RedisCluster::move_keys(int slot, std::uint16_t from, std::uint16_t to, std::size_t limit) {
    for (std::size_t moved = 0; moved < limit;) {
        auto batch = std::min(kMigrateBatch, limit - moved);
        auto keys = lines_of(run_cli(from, {"CLUSTER", "GETKEYSINSLOT", std::to_string(slot), std::to_string(batch)}).out);
        if (keys.empty()) return;
        std::vector<std::string> args{"MIGRATE", "127.0.0.1", std::to_string(to), "", "0", "5000"};
        if (!options_.password.empty()) args.insert(args.end(), {"AUTH", options_.password});
        args.push_back("KEYS");
        args.insert(args.end(), keys.begin(), keys.end());
        auto reply = cli(from, args);
        if (reply != "OK" && reply != "NOKEY") fail("MIGRATE of slot " + std::to_string(slot) + ": " + reply);
        moved += keys.size();
    }
}

void RedisCluster::begin_migration(int slot, std::uint16_t to_port, std::size_t keys_to_move) {
    auto from = port_for_slot(slot);
    if (from == to_port)
        throw std::invalid_argument("begin_migration: slot " + std::to_string(slot) + " is already on 127.0.0.1:" +
                                    std::to_string(to_port));
    const auto s = std::to_string(slot);
    expect(to_port, {"CLUSTER", "SETSLOT", s, "IMPORTING", proc(from).id}, "OK");
    expect(from, {"CLUSTER", "SETSLOT", s, "MIGRATING", proc(to_port).id}, "OK");
    move_keys(slot, from, to_port, keys_to_move);
}

void RedisCluster::finish_migration(int slot, std::uint16_t to_port) {
    auto from = port_for_slot(slot);
    const auto s = std::to_string(slot);
    const auto& to_id = proc(to_port).id;
    if (from != to_port) move_keys(slot, from, to_port, kAllKeys);
    // The destination first (it bumps its epoch and owns the slot), then the
    // source, then the other masters so none redirects to the old owner.
    std::vector<std::uint16_t> order{to_port};
    if (from != to_port) order.push_back(from);
    for (auto port : master_ports())
        if (std::find(order.begin(), order.end(), port) == order.end()) order.push_back(port);
    for (auto port : order) expect(port, {"CLUSTER", "SETSLOT", s, "NODE", to_id}, "OK");
    settle("migrating slot " + s + " to 127.0.0.1:" + std::to_string(to_port));
}

void RedisCluster::migrate_slot(int slot, std::uint16_t to_port) {
    if (port_for_slot(slot) == to_port) return;
    begin_migration(slot, to_port, kAllKeys);
    finish_migration(slot, to_port);
}

void RedisCluster::reshard(int slots, std::uint16_t from_port, std::uint16_t to_port) {
    std::vector<std::string> argv{"redis-cli"};
    if (!options_.password.empty()) argv.insert(argv.end(), {"--no-auth-warning", "-a", options_.password});
    argv.insert(argv.end(), {"--cluster", "reshard", "127.0.0.1:" + std::to_string(from_port),
                             "--cluster-from", proc(from_port).id, "--cluster-to", proc(to_port).id,
                             "--cluster-slots", std::to_string(slots), "--cluster-yes"});
    auto r = run_command(argv, {}, std::chrono::minutes(2));
    if (r.exit_code != 0) fail("redis-cli --cluster reshard failed:\n" + r.out + r.err);
    settle("resharding " + std::to_string(slots) + " slots");
}

std::uint16_t RedisCluster::add_master() {
    auto meet_from = live_proc()->port;
    auto& p = start_new_node();
    expect(meet_from, {"CLUSTER", "MEET", "127.0.0.1", std::to_string(p.port)}, "OK");
    settle("adding 127.0.0.1:" + std::to_string(p.port));
    return p.port;
}

std::string RedisCluster::node_view(std::uint16_t port) {
    // One redis-cli for the three replies (commands read from stdin).
    return run_cli(port, {}, "CLUSTER INFO\nCLUSTER NODES\nINFO replication\n", std::chrono::seconds(3)).out;
}

bool RedisCluster::settled_once() {
    auto live = live_procs();
    if (live.empty()) {
        unsettled_ = "no live node";
        return false;
    }
    std::string first;
    for (auto* p : live) {
        const auto where = "127.0.0.1:" + std::to_string(p->port);
        auto text = node_view(p->port);
        if (auto state = info_field(text, "cluster_state"); state != "ok") {
            unsettled_ = where + " cluster_state:" + (state.empty() ? "(no answer)" : state);
            return false;
        }
        auto view = parse_nodes(text);
        for (auto* q : live) {
            auto it = std::find_if(view.begin(), view.end(), [&](auto& l) { return l.id == q->id; });
            if (it == view.end() || it->has("handshake")) {
                unsettled_ = where + " does not know 127.0.0.1:" + std::to_string(q->port);
                return false;
            }
            if (it->failing() || (q != p && it->link != "connected")) {
                unsettled_ = where + " sees 127.0.0.1:" + std::to_string(q->port) + " failing or disconnected";
                return false;
            }
            if (q == p && it->has("slave") && is_live(it->master) &&
                info_field(text, "master_link_status") != "up") {
                unsettled_ = where + " is not in sync with its master yet";
                return false;
            }
        }
        auto sig = signature(view);
        if (first.empty()) {
            first = sig;
        } else if (sig != first) {
            unsettled_ = "nodes disagree; 127.0.0.1:" + std::to_string(live.front()->port) + " sees\n" + first +
                         where + " sees\n" + sig;
            return false;
        }
    }
    unsettled_.clear();
    return true;
}

bool RedisCluster::wait_ok(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (settled_once()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(kPoll);
    }
}

void RedisCluster::settle(const std::string& after) {
    if (!wait_ok(settle_timeout()))
        fail("the cluster did not settle after " + after + " within " + std::to_string(settle_timeout().count()) +
             " ms: " + unsettled_);
}

// Failure detection takes a node timeout, the FAIL report and the replica's
// election delay (0.5-1 s + 1 s per rank) most of another; a lost election is
// retried after two node timeouts.
std::chrono::milliseconds RedisCluster::settle_timeout() const {
    return std::chrono::seconds(10) + 5 * options_.node_timeout;
}

std::string RedisCluster::logs() const {
    std::string out;
    for (const auto& p : procs_) {
        out += "--- 127.0.0.1:" + std::to_string(p->port) + " " + p->id.substr(0, 8) +
               (p->alive ? (p->paused ? " (paused)" : "") : " (killed)") + " ---\n";
        out += tail(p->dir + "/redis.log", kLogLines);
    }
    return out;
}

void RedisCluster::fail(const std::string& what) const {
    throw std::runtime_error("RedisCluster: " + what + "\nnode logs:\n" + logs());
}

}  // namespace yooni::test
