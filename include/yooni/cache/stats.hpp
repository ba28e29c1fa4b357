// Cache statistics, counted once in cache::Cache (ARCHITECTURE.md), with the
// Python system's field names (ORIGINAL-SYSTEM.md) plus latency per operation.
//
// Threading: counters are relaxed atomics, written from every worker; a
// snapshot is not a consistent cut across counters (fine for monitoring).
#pragma once


#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>

namespace yooni::cache {

enum class Op { get, set, del, mget, mset, mdel, delete_pattern, get_or_compute };
inline constexpr std::size_t kOpCount = 8;
std::string_view to_string(Op op);

// Upper bounds in seconds of the latency histogram (Prometheus `le`), sub-millisecond first.
inline constexpr std::array<double, 14> kLatencyBucketsSeconds{
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0};

// A fixed-bucket histogram of durations.
class LatencyHistogram {
public:
    void observe(std::chrono::nanoseconds d);
    void reset();
    struct Snapshot {
        std::array<std::uint64_t, kLatencyBucketsSeconds.size() + 1> counts{};  // last = +Inf, not cumulative
        std::uint64_t count = 0;
        double sum_seconds = 0;
    };
    Snapshot snapshot() const;

private:
    std::array<std::atomic<std::uint64_t>, kLatencyBucketsSeconds.size() + 1> counts_{};
    std::atomic<std::uint64_t> sum_ns_{0};
};

class Stats {
public:
    std::atomic<std::uint64_t> hits{0};
    std::atomic<std::uint64_t> misses{0};
    std::atomic<std::uint64_t> sets{0};
    std::atomic<std::uint64_t> deletes{0};
    std::atomic<std::uint64_t> errors{0};
    std::atomic<std::uint64_t> decode_errors{0};     // included in errors
    std::atomic<std::uint64_t> compressed_count{0};
    std::atomic<std::uint64_t> total_original_size{0};    // bytes before compression, compressed values only
    std::atomic<std::uint64_t> total_compressed_size{0};  // bytes stored for those values
    std::array<LatencyHistogram, kOpCount> latency;
    std::array<std::atomic<std::uint64_t>, kOpCount> op_errors{};

    void reset();
    // The stats document of ORIGINAL-SYSTEM.md (without `timestamp`), plus `latency`.
};

}  // namespace yooni::cache
