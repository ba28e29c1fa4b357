#include <yooni/cache/stats.hpp>

#include <cmath>
#include <cstdio>
#include <string>

namespace yooni::cache {

std::string_view to_string(Op op) {
    switch (op) {
        case Op::get: return "get";
        case Op::set: return "set";
        case Op::del: return "delete";
        case Op::mget: return "mget";
        case Op::mset: return "mset";
        case Op::mdel: return "mdelete";
        case Op::delete_pattern: return "delete_pattern";
        case Op::get_or_compute: return "get_or_compute";
    }
    return "unknown";
}

void LatencyHistogram::observe(std::chrono::nanoseconds d) {
    const double seconds = std::chrono::duration<double>(d).count();
    std::size_t i = 0;
    while (i < kLatencyBucketsSeconds.size() && seconds > kLatencyBucketsSeconds[i]) ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(static_cast<std::uint64_t>(d.count() < 0 ? 0 : d.count()), std::memory_order_relaxed);
}

void LatencyHistogram::reset() {
    for (auto& c : counts_) c.store(0, std::memory_order_relaxed);
    sum_ns_.store(0, std::memory_order_relaxed);
}

LatencyHistogram::Snapshot LatencyHistogram::snapshot() const {
    Snapshot s;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        s.counts[i] = counts_[i].load(std::memory_order_relaxed);
        s.count += s.counts[i];
    }
    s.sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
    return s;
}

void Stats::reset() {
    for (auto* c : {&hits, &misses, &sets, &deletes, &errors, &decode_errors, &compressed_count,
                    &total_original_size, &total_compressed_size})
        c->store(0, std::memory_order_relaxed);
    for (auto& h : latency) h.reset();
    for (auto& e : op_errors) e.store(0, std::memory_order_relaxed);
}

}  // namespace yooni::cache
