// The memory store (cache::MemoryStore) on its own, single-threaded, in the
// shape the memory backend builds it (16 shards). A plain main(): two builds
// of it (a change's before and after) are compared by
// bench/run-memory-store-bench.sh, which runs them in turns and prints ratios.
//
// usage: memory_store_bench [MODE=all] [ENTRIES=100000] [FLOOD_KEYS=4096] [REPS=7]
//   hot    ENTRIES entries of 20-byte keys and 100-byte values; ns per call of
//          get (hit, shuffled order), get (miss), set of an existing key (same
//          size), and set of new keys into an empty store (growth included)
//   flood  FLOOD_KEYS 16-byte UTF-8 keys ("키:" and 12 base-36 digits) that
//          share one shard and one bucket under the placement by
//          std::hash<std::string_view> (the shard from bits 32..35, the bucket
//          from the low bits a shard of FLOOD_KEYS entries indexes by), found
//          by brute force; all stored, then 1000 of them read back (what one
//          /batch/get of 1000 keys does in the store), ms per batch. The same
//          with FLOOD_KEYS keys of the ordinary kind beside it.
// Each figure is the median of REPS repetitions. Prints a human summary and
// one line starting with "RESULT" of name=value pairs for scripts.
#include <yooni/cache/memory_store.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace std::chrono_literals;
using yooni::cache::MemoryStore;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kShards = 16;  // MemoryBackend's store
constexpr std::size_t kStoreBytes = std::size_t{1} << 30;
constexpr std::size_t kBatch = 1000;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

template <class F>
double seconds_of(F&& f) {
    const auto t0 = Clock::now();
    f();
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::vector<std::string> ordinary_keys(std::size_t n, const char* prefix) {
    std::vector<std::string> keys;
    keys.reserve(n);
    char buf[64];
    for (std::size_t i = 0; i < n; ++i) {
        std::snprintf(buf, sizeof buf, "%s%012zu", prefix, i);  // 20 bytes with an 8-byte prefix
        keys.emplace_back(buf);
    }
    return keys;
}

// ---- hot path ---------------------------------------------------------------------------

struct Hot {
    double get_hit_ns = 0, get_miss_ns = 0, set_overwrite_ns = 0, set_new_ns = 0;
};

Hot run_hot(std::size_t entries, int reps) {
    const auto keys = ordinary_keys(entries, "product:");
    const auto absent = ordinary_keys(entries, "missing:");
    const std::string value(100, 'v');
    auto order = keys;
    std::shuffle(order.begin(), order.end(), std::mt19937_64{42});
    std::vector<double> get_hit, get_miss, set_overwrite, set_new;
    std::size_t sink = 0;
    for (int r = 0; r < reps; ++r) {
        MemoryStore store{kStoreBytes, kShards};
        set_new.push_back(seconds_of([&] {
            for (const auto& k : keys) store.set(k, value, 0ms);
        }));
        get_hit.push_back(seconds_of([&] {
            for (const auto& k : order) sink += store.get(k)->size();
        }));
        get_miss.push_back(seconds_of([&] {
            for (const auto& k : absent) sink += store.get(k).has_value();
        }));
        set_overwrite.push_back(seconds_of([&] {
            for (const auto& k : order) store.set(k, value, 0ms);
        }));
    }
    if (sink != reps * entries * value.size()) std::fprintf(stderr, "memory_store_bench: unexpected reads\n");
    const double n = static_cast<double>(entries);
    return {median(get_hit) / n * 1e9, median(get_miss) / n * 1e9, median(set_overwrite) / n * 1e9,
            median(set_new) / n * 1e9};
}

// ---- flood -------------------------------------------------------------------------------

// 16-byte UTF-8 keys: "키:" (4 bytes) and 12 base-36 digits of a counter,
// counted odometer-style so a candidate costs one hash.
class Candidates {
public:
    Candidates() {
        std::memcpy(buf_, "\xED\x82\xA4:", 4);
        std::fill(buf_ + 4, buf_ + 16, '0');
    }
    std::string_view current() const { return {buf_, 16}; }
    void next() {
        for (int i = 15; i >= 4; --i) {
            char& c = buf_[i];
            if (c == '9') { c = 'a'; return; }
            if (c != 'z') { ++c; return; }
            c = '0';
        }
    }

private:
    char buf_[16];
};

std::size_t bucket_count_for(std::size_t entries) {
    std::size_t b = 8;  // a shard's first table; it doubles when entries outnumber buckets
    while (entries > b) b *= 2;
    return b;
}

// Keys whose std::hash values agree on the shard's bits and the bucket's bits.
std::vector<std::string> colliding_keys(std::size_t n, std::uint64_t* tries) {
    const std::uint64_t mask = (std::uint64_t{kShards - 1} << 32) | (bucket_count_for(n) - 1);
    std::vector<std::string> out;
    Candidates c;
    std::optional<std::uint64_t> target;
    *tries = 0;
    while (out.size() < n) {
        const std::uint64_t h = std::hash<std::string_view>{}(c.current()) & mask;
        ++*tries;
        if (!target) target = h;
        if (h == *target) out.emplace_back(c.current());
        c.next();
    }
    return out;
}

struct Flood {
    double batch_ms = 0;         // 1000 gets of colliding keys
    double normal_batch_ms = 0;  // 1000 gets of ordinary keys
    double search_s = 0;
    std::uint64_t tries = 0;
};

double batch_get_ms(const std::vector<std::string>& keys, int reps) {
    const std::string value(100, 'v');
    MemoryStore store{kStoreBytes, kShards};
    for (const auto& k : keys) store.set(k, value, 0ms);
    // The batch: every (n / 1000)-th key, so it walks the chain's whole length.
    std::vector<std::string> batch;
    for (std::size_t i = 0; i < kBatch; ++i) batch.push_back(keys[i * keys.size() / kBatch]);
    std::vector<double> t;
    std::size_t found = 0;
    for (int r = 0; r < reps; ++r)
        t.push_back(seconds_of([&] {
            for (const auto& k : batch) found += store.get(k).has_value();
        }));
    if (found != reps * kBatch) std::fprintf(stderr, "memory_store_bench: a stored key was not found\n");
    return median(t) * 1e3;
}

Flood run_flood(std::size_t n, int reps) {
    Flood f;
    std::vector<std::string> keys;
    f.search_s = seconds_of([&] { keys = colliding_keys(n, &f.tries); });
    f.batch_ms = batch_get_ms(keys, reps);
    f.normal_batch_ms = batch_get_ms(ordinary_keys(n, "ordinary"), reps);
    return f;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "all";
    const std::size_t entries = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 100'000;
    const std::size_t flood_keys = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 4096;
    const int reps = argc > 4 ? std::atoi(argv[4]) : 7;
    if ((mode != "all" && mode != "hot" && mode != "flood") || entries == 0 || flood_keys < kBatch || reps < 1) {
        std::fprintf(stderr, "usage: memory_store_bench [all|hot|flood] [ENTRIES>0] [FLOOD_KEYS>=1000] [REPS>=1]\n");
        return 2;
    }
    std::string result = "RESULT";
    char buf[256];
    if (mode != "flood") {
        const Hot h = run_hot(entries, reps);
        std::printf("hot, %zu entries (20 B keys, 100 B values), 16 shards, median of %d:\n"
                    "  get hit %.1f ns  get miss %.1f ns  set existing %.1f ns  set new %.1f ns\n",
                    entries, reps, h.get_hit_ns, h.get_miss_ns, h.set_overwrite_ns, h.set_new_ns);
        std::snprintf(buf, sizeof buf, " get_hit_ns=%.2f get_miss_ns=%.2f set_overwrite_ns=%.2f set_new_ns=%.2f",
                      h.get_hit_ns, h.get_miss_ns, h.set_overwrite_ns, h.set_new_ns);
        result += buf;
    }
    if (mode != "hot") {
        const Flood f = run_flood(flood_keys, reps);
        std::printf("flood, %zu keys colliding under std::hash placement (found in %.2f s, %llu tries), "
                    "median of %d:\n  batch of %zu gets: colliding keys %.3f ms, ordinary keys %.3f ms\n",
                    flood_keys, f.search_s, static_cast<unsigned long long>(f.tries), reps, kBatch, f.batch_ms,
                    f.normal_batch_ms);
        std::snprintf(buf, sizeof buf, " flood_batch_ms=%.4f normal_batch_ms=%.4f", f.batch_ms, f.normal_batch_ms);
        result += buf;
    }
    std::printf("%s\n", result.c_str());
    return 0;
}
