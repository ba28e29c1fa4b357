// Throughput of the cluster client (redis::Cluster) against a live Redis
// Cluster: N concurrent callers issue GET or SET of a fixed-size value on
// random keys of a keyspace (spread over every slot, like redis-benchmark -r),
// for a fixed time, after a warm-up. A plain main(): it needs a live cluster,
// bench/run-cluster-bench.sh starts one and compares this with
// redis-benchmark and redis-py in the same run.
//
// usage: cluster_bench HOST:PORT [CALLERS=50] [SECONDS=10] [SIZE=100] [OP=get]
//                      [DEPTH=1] [THREADS=1] [KEYSPACE=100000] [WARMUP_MS=1000] [KEYS=spread]
//   OP     get | set | fill (fill: SET every key of the keyspace once, for GET runs)
//          | typed-get: Client::get (DEPTH 1) or Client::mget (DEPTH > 1), the
//          typed calls the service makes | near-get: the same with the near
//          cache on (64 MiB): after the first read of a key, from the process
//   DEPTH  commands per run() call of one caller: 1 = each caller awaits one
//          command at a time (the client pipelines concurrent callers on its
//          own); 16 = each caller sends 16 commands in one run() call
//   THREADS  io_contexts (worker threads); each runs CALLERS/THREADS callers
//   KEYS   spread: "key:%012d", every call spread over all slots (and nodes);
//          tagged: "key:{cN}:%012d", caller N keeps to one slot, so each call
//          goes to one node (what redis-benchmark --cluster does)
//
// Prints a human summary and one line starting with "RESULT" of key=value
// pairs for scripts. CPU is the whole process's (getrusage) over the measured
// window, so CPU per operation compares with other clients' CPU per operation.
#include <yooni/redis/cluster.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using yooni::redis::Cluster;
using yooni::redis::ClusterOptions;
using yooni::redis::Command;
using yooni::redis::make_command;
using yooni::redis::NodeAddress;
using Clock = std::chrono::steady_clock;

enum class Op { get, set, fill, typed_get, near_get };

struct Params {
    NodeAddress seed;
    int callers = 50;
    double seconds = 10;
    std::size_t size = 100;
    Op op = Op::get;
    int depth = 1;
    int threads = 1;
    std::uint32_t keyspace = 100000;
    int warmup_ms = 1000;
    bool tagged = false;
};

// One per worker thread, on its own cache line: written by that thread's
// callers only, read by main.
struct alignas(64) Counters {
    std::atomic<std::uint64_t> ops{0}, errors{0}, failed_calls{0}, hits{0}, misses{0};
};

void bump(std::atomic<std::uint64_t>& a, std::uint64_t n = 1) {
    // Single writer: a plain load + store, no locked instruction.
    a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

// "key:000000012345", the shape of redis-benchmark's -r keys; with a tag
// "key:{c7}:000000012345".
void format_key(std::string& key, std::uint32_t n, const std::string& tag = {}) {
    char buf[64];
    const int len = tag.empty() ? std::snprintf(buf, sizeof buf, "key:%012" PRIu32, n)
                                : std::snprintf(buf, sizeof buf, "key:{%s}:%012" PRIu32, tag.c_str(), n);
    key.assign(buf, static_cast<std::size_t>(len));
}

struct Shared {
    const Params* p;
    Cluster* cluster;
    std::string value;
    std::atomic<bool> stop{false};
    std::atomic<std::uint32_t> next_fill{0};  // fill: next key to write
};

// Callers of one worker; the last to finish stops its io_context (the
// connections' reader and writer loops would keep run() going forever).
struct Worker {
    asio::io_context context{1};
    Counters counters;
    int callers = 0;  // still running; touched on this worker's thread only
};

asio::awaitable<void> caller_loop(Shared& s, Counters& c, std::uint32_t seed, std::string tag);

asio::awaitable<void> caller(Shared& s, Worker& w, std::uint32_t seed, std::string tag) {
    co_await caller_loop(s, w.counters, seed, std::move(tag));
    if (--w.callers == 0) w.context.stop();
}

asio::awaitable<void> caller_loop(Shared& s, Counters& c, std::uint32_t seed, std::string tag) {
    const Params& p = *s.p;
    std::minstd_rand rng{seed};
    std::uniform_int_distribution<std::uint32_t> pick(0, p.keyspace - 1);
    std::string key;
    std::vector<std::string> keys;
    std::vector<Command> cmds;
    while (!s.stop.load(std::memory_order_relaxed)) {
        cmds.clear();  // moved-from: make it valid again
        cmds.reserve(static_cast<std::size_t>(p.depth));
        if (p.op == Op::fill) {
            const auto first = s.next_fill.fetch_add(static_cast<std::uint32_t>(p.depth));
            if (first >= p.keyspace) co_return;
            for (std::uint32_t k = first; k < std::min<std::uint32_t>(first + p.depth, p.keyspace); ++k) {
                format_key(key, k, tag);
                cmds.push_back(make_command({"SET", key, s.value}));
            }
        } else {
            for (int d = 0; d < p.depth; ++d) {
                format_key(key, pick(rng), tag);
                cmds.push_back(p.op == Op::get ? make_command({"GET", key}) : make_command({"SET", key, s.value}));
            }
        }
        if (p.op == Op::typed_get || p.op == Op::near_get) {
            keys.clear();
            for (int d = 0; d < p.depth; ++d) {
                format_key(key, pick(rng), tag);
                keys.push_back(key);
            }
            std::vector<std::optional<std::string>> values;
            bool ok = true;
            if (p.depth == 1) {
                auto v = co_await s.cluster->get(keys[0], Clock::now() + 5s);
                if ((ok = v.has_value())) values.push_back(std::move(*v));
            } else {
                auto v = co_await s.cluster->mget(keys, Clock::now() + 5s);
                if ((ok = v.has_value())) values = std::move(*v);
            }
            if (!ok) {
                bump(c.failed_calls);
                continue;
            }
            for (const auto& v : values) bump(v ? c.hits : c.misses);
            bump(c.ops, values.size());
            continue;
        }
        const auto n = cmds.size();
        auto r = co_await s.cluster->run(std::move(cmds), Clock::now() + 5s);
        cmds = std::vector<Command>{};
        if (!r) {
            bump(c.failed_calls);
            std::fprintf(stderr, "cluster_bench: run failed: %s\n", r.error().message().c_str());
            continue;
        }
        for (const auto& reply : *r) {
            if (reply->is_error()) bump(c.errors);
            else if (p.op == Op::get) bump(reply->is_null() ? c.misses : c.hits);
        }
        bump(c.ops, n);
    }
}

struct Sample {
    Clock::time_point wall;
    double cpu_user = 0, cpu_sys = 0;
    std::uint64_t ops = 0, errors = 0, failed = 0, hits = 0, misses = 0;
};

Sample sample(const std::vector<std::unique_ptr<Worker>>& workers) {
    Sample s;
    s.wall = Clock::now();
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    s.cpu_user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
    s.cpu_sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    for (const auto& w : workers) {
        const Counters* c = &w->counters;
        s.ops += c->ops.load(std::memory_order_relaxed);
        s.errors += c->errors.load(std::memory_order_relaxed);
        s.failed += c->failed_calls.load(std::memory_order_relaxed);
        s.hits += c->hits.load(std::memory_order_relaxed);
        s.misses += c->misses.load(std::memory_order_relaxed);
    }
    return s;
}

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "cluster_bench: %s\nusage: cluster_bench HOST:PORT [CALLERS=50] [SECONDS=10] [SIZE=100] "
                 "[OP=get|set|fill|typed-get|near-get] [DEPTH=1] [THREADS=1] [KEYSPACE=100000] [WARMUP_MS=1000] [KEYS=spread|tagged]\n",
                 why);
    std::exit(2);
}

long arg_number(int argc, char** argv, int i, long fallback, long lo, long hi) {
    if (argc <= i) return fallback;
    char* end = nullptr;
    const long v = std::strtol(argv[i], &end, 10);
    if (*end != '\0' || v < lo || v > hi) usage("bad number");
    return v;
}

Params parse(int argc, char** argv) {
    if (argc < 2) usage("a seed node is needed");
    Params p;
    auto seed = NodeAddress::parse(argv[1]);
    if (!seed) usage("bad HOST:PORT");
    p.seed = *seed;
    p.callers = static_cast<int>(arg_number(argc, argv, 2, 50, 1, 100000));
    if (argc > 3) {
        char* end = nullptr;
        p.seconds = std::strtod(argv[3], &end);
        if (*end != '\0' || p.seconds <= 0) usage("bad SECONDS");
    }
    p.size = static_cast<std::size_t>(arg_number(argc, argv, 4, 100, 0, 512L << 20));
    if (argc > 5) {
        const std::string op = argv[5];
        if (op == "get") p.op = Op::get;
        else if (op == "set") p.op = Op::set;
        else if (op == "fill") p.op = Op::fill;
        else if (op == "typed-get") p.op = Op::typed_get;
        else if (op == "near-get") p.op = Op::near_get;
        else usage("OP is get, set, fill, typed-get or near-get");
    }
    p.depth = static_cast<int>(arg_number(argc, argv, 6, 1, 1, 100000));
    p.threads = static_cast<int>(arg_number(argc, argv, 7, 1, 1, 64));
    p.keyspace = static_cast<std::uint32_t>(arg_number(argc, argv, 8, 100000, 1, 1L << 31));
    p.warmup_ms = static_cast<int>(arg_number(argc, argv, 9, 1000, 0, 600000));
    if (argc > 10) {
        const std::string keys = argv[10];
        if (keys == "tagged") p.tagged = true;
        else if (keys != "spread") usage("KEYS is spread or tagged");
    }
    if (p.threads > p.callers) usage("more threads than callers");
    return p;
}

}  // namespace

int main(int argc, char** argv) {
    const Params p = parse(argc, argv);
    const char* op_name = p.op == Op::get         ? "GET"
                          : p.op == Op::set       ? "SET"
                          : p.op == Op::typed_get ? "TYPED-GET"
                          : p.op == Op::near_get  ? "NEAR-GET"
                                                  : "FILL";

    ClusterOptions options;
    options.seeds.push_back(p.seed);
    Cluster cluster{options};
    if (p.op == Op::near_get) {
        yooni::redis::NearCacheOptions near;
        near.max_bytes = 64u << 20;
        cluster.use_near_cache(near);
    }
    cluster.start();
    if (!cluster.refresh_now(5s) || !cluster.ready()) {
        std::fprintf(stderr, "cluster_bench: no usable slot map from %s\n", p.seed.to_string().c_str());
        cluster.stop();
        return 1;
    }

    Shared shared;
    shared.p = &p;
    shared.cluster = &cluster;
    shared.value.assign(p.size, 'x');

    std::vector<std::unique_ptr<Worker>> workers;
    for (int t = 0; t < p.threads; ++t) workers.push_back(std::make_unique<Worker>());
    std::random_device rd;
    for (int i = 0; i < p.callers; ++i) {
        auto& w = *workers[static_cast<std::size_t>(i % p.threads)];
        ++w.callers;
        asio::co_spawn(w.context, caller(shared, w, rd(), p.tagged ? "c" + std::to_string(i) : std::string{}),
                       asio::detached);
    }
    std::vector<std::thread> threads;
    for (auto& w : workers) threads.emplace_back([&w] { w->context.run(); });

    Sample begin, end;
    if (p.op == Op::fill) {
        begin = sample(workers);
        for (auto& t : threads) t.join();
        end = sample(workers);
    } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(p.warmup_ms));
        begin = sample(workers);
        std::this_thread::sleep_for(std::chrono::duration<double>(p.seconds));
        end = sample(workers);
        shared.stop.store(true);
        for (auto& t : threads) t.join();
    }
    const auto st = cluster.stats();
    const auto connections = static_cast<std::int64_t>(std::get<yooni::redis::ClusterStatus>(cluster.status()).connections);
    cluster.stop();

    const double wall = std::chrono::duration<double>(end.wall - begin.wall).count();
    const auto ops = end.ops - begin.ops;
    const double rate = wall > 0 ? static_cast<double>(ops) / wall : 0;
    const double user = end.cpu_user - begin.cpu_user, sys = end.cpu_sys - begin.cpu_sys;
    const double cpu_per_100k = ops ? (user + sys) * 1e5 / static_cast<double>(ops) : 0;
    const auto hits = end.hits - begin.hits, misses = end.misses - begin.misses;
    const auto errors = end.errors, failed = end.failed;  // over the whole run, warm-up included

    std::printf("cluster_bench %s %zu B, %d callers, depth %d, %d thread(s), keyspace %u (%s), seed %s\n", op_name,
                p.size, p.callers, p.depth, p.threads, p.keyspace, p.tagged ? "a hash tag per caller" : "all slots",
                p.seed.to_string().c_str());
    std::printf("  %" PRIu64 " ops in %.2f s: %.0f ops/s\n", ops, wall, rate);
    std::printf("  CPU %.2f s user + %.2f s sys = %.1f%% of one core; %.3f CPU s per 100k ops\n", user, sys,
                wall > 0 ? 100 * (user + sys) / wall : 0, cpu_per_100k);
    if (p.op != Op::set && p.op != Op::fill)
        std::printf("  hits %" PRIu64 ", misses %" PRIu64 "\n", hits, misses);
    if (const auto* near = cluster.near_cache()) {
        const auto n = near->stats();
        std::printf("  near cache: hits %" PRIu64 " misses %" PRIu64 " coalesced %" PRIu64 " entries %zu bytes %zu\n",
                    n.hits, n.misses, n.coalesced, n.entries, n.bytes);
    }
    std::printf("  error replies %" PRIu64 ", failed calls %" PRIu64 "\n", errors, failed);
    std::printf("  cluster: moved %" PRIu64 " ask %" PRIu64 " tryagain %" PRIu64 " clusterdown %" PRIu64
                " retries %" PRIu64 " refreshes %" PRIu64 " connects %" PRIu64 " (attempts %" PRIu64
                "), connections %lld\n",
                st.moved, st.ask, st.tryagain, st.clusterdown, st.retries, st.refreshes, st.connects,
                st.connect_attempts, static_cast<long long>(connections));
    std::printf("RESULT op=%s size=%zu callers=%d depth=%d threads=%d ops=%" PRIu64
                " seconds=%.3f ops_s=%.0f cpu_user=%.3f cpu_sys=%.3f cpu_per_100k=%.4f hits=%" PRIu64
                " misses=%" PRIu64 " errors=%" PRIu64 " failed=%" PRIu64 " moved=%" PRIu64 " ask=%" PRIu64
                " retries=%" PRIu64 " connects=%" PRIu64 "\n",
                op_name, p.size, p.callers, p.depth, p.threads, ops, wall, rate, user, sys, cpu_per_100k, hits,
                misses, errors, failed, st.moved, st.ask, st.retries, st.connects);
    return (errors || failed || ops == 0) ? 1 : 0;
}
