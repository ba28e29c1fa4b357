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

namespace {

std::string percent(double fraction) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f%%", fraction * 100.0);
    return buf;
}

double round4(double x) { return std::round(x * 10000.0) / 10000.0; }

}  // namespace

boost::json::object Stats::to_json() const {
    const auto h = hits.load(std::memory_order_relaxed);
    const auto m = misses.load(std::memory_order_relaxed);
    const auto total = h + m;
    boost::json::object out;
    out["hits"] = h;
    out["misses"] = m;
    out["sets"] = sets.load(std::memory_order_relaxed);
    out["deletes"] = deletes.load(std::memory_order_relaxed);
    out["errors"] = errors.load(std::memory_order_relaxed);
    out["decode_errors"] = decode_errors.load(std::memory_order_relaxed);
    out["total_requests"] = total;
    out["hit_rate"] = percent(total ? static_cast<double>(h) / static_cast<double>(total) : 0.0);

    const auto count = compressed_count.load(std::memory_order_relaxed);
    const auto original = total_original_size.load(std::memory_order_relaxed);
    const auto stored = total_compressed_size.load(std::memory_order_relaxed);
    boost::json::object compression;
    compression["compressed_count"] = count;
    compression["total_original_size"] = original;
    compression["total_compressed_size"] = stored;
    const double ratio = original ? static_cast<double>(stored) / static_cast<double>(original) : 0.0;
    compression["avg_compression_ratio"] = round4(ratio);
    if (count > 0) {
        compression["space_saved_bytes"] = original >= stored ? original - stored : 0;
        compression["space_saved_percentage"] = percent(1.0 - ratio);
        compression["avg_compression_ratio_percentage"] = percent(ratio);
    }
    out["compression"] = std::move(compression);

    boost::json::object lat;
    for (std::size_t i = 0; i < kOpCount; ++i) {
        auto snap = latency[i].snapshot();
        if (snap.count == 0) continue;
        boost::json::object o;
        o["count"] = snap.count;
        o["avg_ms"] = round4(snap.sum_seconds * 1000.0 / static_cast<double>(snap.count));
        // Upper bound of the bucket holding the 99th percentile.
        std::uint64_t seen = 0, target = (snap.count * 99 + 99) / 100;
        double p99 = kLatencyBucketsSeconds.back();
        for (std::size_t b = 0; b < snap.counts.size(); ++b) {
            seen += snap.counts[b];
            if (seen >= target) {
                p99 = b < kLatencyBucketsSeconds.size() ? kLatencyBucketsSeconds[b] : INFINITY;
                break;
            }
        }
        o["p99_ms_upper_bound"] = std::isinf(p99) ? boost::json::value(nullptr) : boost::json::value(p99 * 1000.0);
        o["errors"] = op_errors[i].load(std::memory_order_relaxed);
        lat[to_string(static_cast<Op>(i))] = std::move(o);
    }
    out["latency"] = std::move(lat);
    return out;
}

}  // namespace yooni::cache
