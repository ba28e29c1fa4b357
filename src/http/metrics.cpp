// /metrics in the Prometheus text format (0.0.4): names yooni_cache_*, base
// units (seconds, bytes), counters ending in _total, sub-millisecond buckets.
// With METRICS_TOKEN set, only `Authorization: Bearer <METRICS_TOKEN>` reads it.
#include <yooni/http/api.hpp>

#include "http/handlers.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace yooni::http {

namespace detail {

TokenDigest token_digest(std::string_view token) {
    TokenDigest digest{};
    unsigned int length = 0;
    if (EVP_Digest(token.data(), token.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 ||
        length != digest.size())
        throw std::runtime_error("SHA-256 failed");
    return digest;
}

std::optional<Response> metrics_refused(const Request& request, const std::optional<TokenDigest>& expected) {
    if (!expected) return std::nullopt;
    auto refuse = [](std::string_view detail) {
        Response r = detail_error(401, detail);
        r.headers.emplace_back("WWW-Authenticate", "Bearer");
        return r;
    };
    if (request.authorization.empty()) return refuse("Not authenticated");
    // One header, "Bearer" in any case, one or more spaces, the token (as the API's auth reads it).
    std::string_view value = request.authorization.size() == 1 ? std::string_view{request.authorization.front()} : "";
    auto is_ows = [](char c) { return c == ' ' || c == '\t'; };
    while (!value.empty() && is_ows(value.front())) value.remove_prefix(1);
    while (!value.empty() && is_ows(value.back())) value.remove_suffix(1);
    const auto space = value.find(' ');
    std::string_view scheme = value.substr(0, space);
    std::string_view token = space == std::string_view::npos ? std::string_view{} : value.substr(space);
    token.remove_prefix(std::min(token.find_first_not_of(' '), token.size()));
    const bool bearer = scheme.size() == 6 && std::equal(scheme.begin(), scheme.end(), "bearer", [](char a, char b) {
                            return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
                        });
    // Compared as digests: equal lengths whatever was sent, and CRYPTO_memcmp
    // takes the same time wherever they differ.
    const auto sent = token_digest(token);
    const bool match = CRYPTO_memcmp(sent.data(), expected->data(), sent.size()) == 0;
    if (!bearer || token.empty() || !match) return refuse("인증 정보를 확인할 수 없습니다");
    return std::nullopt;
}

}  // namespace detail

namespace {

class Writer {
public:
    void header(std::string_view name, std::string_view type, std::string_view help) {
        out_ += "# HELP ";
        out_ += name;
        out_ += ' ';
        out_ += help;
        out_ += "\n# TYPE ";
        out_ += name;
        out_ += ' ';
        out_ += type;
        out_ += '\n';
    }
    void sample(std::string_view name, std::string_view labels, double value) {
        out_ += name;
        if (!labels.empty()) {
            out_ += '{';
            out_ += labels;
            out_ += '}';
        }
        out_ += ' ';
        char buf[64];
        if (value == static_cast<double>(static_cast<std::int64_t>(value)) && std::abs(value) < 1e15)
            std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(value));
        else
            std::snprintf(buf, sizeof buf, "%.9g", value);
        out_ += buf;
        out_ += '\n';
    }
    void histogram_samples(std::string_view name, const std::string& labels, const cache::LatencyHistogram& h) {
        const auto snap = h.snapshot();
        std::uint64_t cumulative = 0;
        const std::string sep = labels.empty() ? "" : ",";
        for (std::size_t i = 0; i < cache::kLatencyBucketsSeconds.size(); ++i) {
            cumulative += snap.counts[i];
            char le[32];
            std::snprintf(le, sizeof le, "%g", cache::kLatencyBucketsSeconds[i]);
            sample(std::string{name} + "_bucket", labels + sep + "le=\"" + le + "\"", static_cast<double>(cumulative));
        }
        sample(std::string{name} + "_bucket", labels + sep + "le=\"+Inf\"", static_cast<double>(snap.count));
        sample(std::string{name} + "_sum", labels, snap.sum_seconds);
        sample(std::string{name} + "_count", labels, static_cast<double>(snap.count));
    }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

}  // namespace

std::string render_metrics(cache::Cache& cache, HttpStats& http, bool ready) {
    Writer w;
    auto& s = cache.stats();
    auto counter = [&](std::string_view name, std::string_view help, const std::atomic<std::uint64_t>& v) {
        w.header(name, "counter", help);
        w.sample(name, "", static_cast<double>(v.load(std::memory_order_relaxed)));
    };
    w.header("yooni_cache_ready", "gauge", "1 when the service accepts cache calls (backend usable, not draining).");
    w.sample("yooni_cache_ready", "", ready ? 1 : 0);
    counter("yooni_cache_hits_total", "Cache reads that found the key.", s.hits);
    counter("yooni_cache_misses_total", "Cache reads that did not find the key.", s.misses);
    counter("yooni_cache_sets_total", "Values written.", s.sets);
    counter("yooni_cache_deletes_total", "Keys deleted (requested).", s.deletes);
    counter("yooni_cache_errors_total", "Cache operations that failed (backend or decode errors).", s.errors);
    counter("yooni_cache_decode_errors_total", "Stored values that could not be decoded.", s.decode_errors);
    counter("yooni_cache_compressed_values_total", "Values stored compressed.", s.compressed_count);
    counter("yooni_cache_compression_original_bytes_total", "Bytes of compressed values before compression.",
            s.total_original_size);
    counter("yooni_cache_compression_stored_bytes_total", "Bytes stored for compressed values.",
            s.total_compressed_size);

    w.header("yooni_cache_operation_duration_seconds", "histogram", "Duration of cache operations, by operation.");
    for (std::size_t i = 0; i < cache::kOpCount; ++i) {
        const std::string labels = "op=\"" + std::string{cache::to_string(static_cast<cache::Op>(i))} + "\"";
        w.histogram_samples("yooni_cache_operation_duration_seconds", labels, s.latency[i]);
    }

    const auto backend = cache.backend().status();
    const std::string backend_label = "backend=\"" + std::string{cache.backend().kind()} + "\"";
    if (const auto* m = std::get_if<cache::MemoryStatus>(&backend)) {
        auto sample = [&](const char* name, const char* type, const char* help, double value) {
            w.header(name, type, help);
            w.sample(name, backend_label, value);
        };
        sample("yooni_cache_backend_entries", "gauge", "Entries held by the backend.", static_cast<double>(m->entries));
        sample("yooni_cache_backend_bytes", "gauge", "Bytes accounted by the backend.", static_cast<double>(m->bytes));
        sample("yooni_cache_backend_max_bytes", "gauge", "Byte bound of the backend.", static_cast<double>(m->max_bytes));
        sample("yooni_cache_backend_evictions_total", "counter", "Entries evicted by the byte bound.",
               static_cast<double>(m->evictions));
        sample("yooni_cache_backend_expirations_total", "counter", "Entries dropped because their TTL passed.",
               static_cast<double>(m->expirations));
    }

    // Redis Cluster: the cluster's own view at the client's last topology
    // refresh (CLUSTER INFO: a slot whose master is FAIL still has a master in
    // the slot map) and the client's redirect and retry counters. The alert
    // rules and the dashboard in deploy/ read these names.
    if (const auto* cl = std::get_if<redis::ClusterStatus>(&backend)) {
        const auto& h = cl->health;
        w.header("yooni_cache_cluster_state_ok", "gauge",
                 "1 when the cluster reported cluster_state:ok at the last topology refresh; 0 on fail or when no node answered.");
        w.sample("yooni_cache_cluster_state_ok", "", h && h->state == "ok" ? 1 : 0);
        if (h) {  // absent while the state is unknown: no stale slot counts
            w.header("yooni_cache_cluster_slots", "gauge", "Hash slots by state as CLUSTER INFO counts them (assigned, ok, pfail, fail).");
            const std::pair<const char*, std::int64_t> slots[] = {
                {"assigned", h->slots_assigned}, {"ok", h->slots_ok}, {"pfail", h->slots_pfail}, {"fail", h->slots_fail}};
            for (const auto& [key, n] : slots)
                w.sample("yooni_cache_cluster_slots", std::string{"state=\""} + key + "\"", static_cast<double>(n));
            w.header("yooni_cache_cluster_known_nodes", "gauge", "Nodes the cluster knows (CLUSTER INFO cluster_known_nodes).");
            w.sample("yooni_cache_cluster_known_nodes", "", static_cast<double>(h->known_nodes));
            w.header("yooni_cache_cluster_size", "gauge", "Masters serving at least one slot (CLUSTER INFO cluster_size).");
            w.sample("yooni_cache_cluster_size", "", static_cast<double>(h->size));
        }
        w.header("yooni_cache_cluster_unserved_slots", "gauge", "Hash slots the client's slot map has no master for.");
        w.sample("yooni_cache_cluster_unserved_slots", "", static_cast<double>(cl->uncovered_slots));
        const auto& c = cl->counters;
        auto n = [](std::uint64_t v) { return static_cast<double>(v); };
        w.header("yooni_cache_cluster_redirects_total", "counter", "MOVED and ASK redirections the cluster client followed.");
        w.sample("yooni_cache_cluster_redirects_total", "type=\"moved\"", n(c.moved));
        w.sample("yooni_cache_cluster_redirects_total", "type=\"ask\"", n(c.ask));
        w.header("yooni_cache_cluster_transient_errors_total", "counter",
                 "TRYAGAIN, CLUSTERDOWN, LOADING and READONLY answers the cluster client retried.");
        const std::pair<const char*, std::uint64_t> transient[] = {
            {"tryagain", c.tryagain}, {"clusterdown", c.clusterdown}, {"loading", c.loading}, {"readonly", c.readonly}};
        for (const auto& [key, v] : transient)
            w.sample("yooni_cache_cluster_transient_errors_total", std::string{"error=\""} + key + "\"", n(v));
        w.header("yooni_cache_cluster_retries_total", "counter", "Commands the cluster client sent again.");
        w.sample("yooni_cache_cluster_retries_total", "", n(c.retries));
        w.header("yooni_cache_cluster_refreshes_total", "counter", "Topology refreshes the cluster client finished.");
        w.sample("yooni_cache_cluster_refreshes_total", "", n(c.refreshes));
        w.header("yooni_cache_cluster_refresh_failures_total", "counter", "Topology refreshes no node answered.");
        w.sample("yooni_cache_cluster_refresh_failures_total", "", n(c.refresh_failures));
    }

    // Redis behind Sentinel: whether a master is known, the Sentinels that
    // answered, and the master changes the client followed.
    if (const auto* st = std::get_if<redis::SentinelStatus>(&backend)) {
        std::size_t answered = 0;
        for (const auto& n : st->sentinels) answered += n.answered ? 1 : 0;
        w.header("yooni_cache_sentinel_master_known", "gauge",
                 "1 when a master is resolved through the Sentinels and its last ROLE said master.");
        w.sample("yooni_cache_sentinel_master_known", "", st->connected ? 1 : 0);
        w.header("yooni_cache_sentinel_sentinels_answering", "gauge", "Sentinels that answered the last question asked of them.");
        w.sample("yooni_cache_sentinel_sentinels_answering", "", static_cast<double>(answered));
        w.header("yooni_cache_sentinel_failovers_total", "counter", "Master changes the Sentinel client followed.");
        w.sample("yooni_cache_sentinel_failovers_total", "", static_cast<double>(st->failovers));
        w.header("yooni_cache_sentinel_retries_total", "counter", "Calls the Sentinel client sent again during a switch.");
        w.sample("yooni_cache_sentinel_retries_total", "", static_cast<double>(st->retries));
    }

    // The near cache (NEAR_CACHE_MAX_BYTES), when it is on.
    if (const auto near = cache.backend().near_cache()) {
        const auto c = [&](std::string_view name, std::string_view help, std::uint64_t v) {
            w.header(name, "counter", help);
            w.sample(name, "", static_cast<double>(v));
        };
        c("yooni_cache_near_cache_hits_total", "GETs answered from the near cache.", near->hits);
        c("yooni_cache_near_cache_misses_total", "GETs the near cache did not hold (read from Redis).", near->misses);
        c("yooni_cache_near_cache_fills_total", "Values the near cache stored.", near->fills);
        c("yooni_cache_near_cache_voided_fills_total", "Replies not stored: an invalidation crossed them.",
          near->voided_fills);
        c("yooni_cache_near_cache_invalidations_total", "Entries or fills under way dropped by an invalidation (Redis's pushes and own writes).",
          near->invalidations);
        c("yooni_cache_near_cache_flushes_total", "Times everything was dropped (FLUSHALL, a lost link, moved slots).",
          near->flushes);
        c("yooni_cache_near_cache_evictions_total", "Entries dropped for room.", near->evictions);
        c("yooni_cache_near_cache_coalesced_total", "Misses that waited for another caller's fetch of the key.",
          near->coalesced);
        c("yooni_cache_near_cache_orphanings_total",
          "Lost links after which entries were kept for stale-if-error (NEAR_CACHE_STALE_IF_ERROR_MS).",
          near->orphanings);
        c("yooni_cache_near_cache_stale_answers_total",
          "GETs answered from a stale copy while the key's node could not answer (stale-if-error).",
          near->stale_answers);
        w.header("yooni_cache_near_cache_bytes", "gauge", "Bytes the near cache holds (keys, values, bookkeeping).");
        w.sample("yooni_cache_near_cache_bytes", "", static_cast<double>(near->bytes));
        w.header("yooni_cache_near_cache_max_bytes", "gauge", "The near cache's byte bound (NEAR_CACHE_MAX_BYTES).");
        w.sample("yooni_cache_near_cache_max_bytes", "", static_cast<double>(near->max_bytes));
        w.header("yooni_cache_near_cache_entries", "gauge", "Entries the near cache holds.");
        w.sample("yooni_cache_near_cache_entries", "", static_cast<double>(near->entries));
    }

    w.header("yooni_cache_http_responses_total", "counter", "HTTP responses, by route and status code.");
    for (const auto& r : routes()) {
        const auto ri = static_cast<std::size_t>(r.id);
        for (std::size_t k = 0; k < HttpStats::kStatuses.size(); ++k) {
            const auto n = http.responses[ri][k].load(std::memory_order_relaxed);
            if (n == 0) continue;
            const auto code = HttpStats::kStatuses[k];
            w.sample("yooni_cache_http_responses_total",
                     "method=\"" + std::string{r.method} + "\",route=\"" + std::string{r.path} + "\",code=\"" +
                         (code ? std::to_string(code) : std::string{"other"}) + "\"",
                     static_cast<double>(n));
        }
    }
    w.header("yooni_cache_http_request_duration_seconds", "histogram", "Time to answer HTTP requests, by route.");
    for (const auto& r : routes()) {
        w.histogram_samples("yooni_cache_http_request_duration_seconds",
                            "method=\"" + std::string{r.method} + "\",route=\"" + std::string{r.path} + "\"",
                            http.latency[static_cast<std::size_t>(r.id)]);
    }
    w.header("yooni_cache_http_open_connections", "gauge", "HTTP connections open now.");
    w.sample("yooni_cache_http_open_connections", "", static_cast<double>(http.open_connections.load()));
    counter("yooni_cache_http_accepted_connections_total", "HTTP connections accepted.", http.accepted_connections);
    counter("yooni_cache_http_rejected_connections_total", "HTTP connections closed at once (over HTTP_MAX_CONNECTIONS).",
            http.rejected_connections);
    counter("yooni_cache_http_timed_out_connections_total", "HTTP connections closed by a header, body, write or idle deadline.",
            http.timed_out_connections);
    counter("yooni_cache_http_evicted_idle_connections_total",
            "Idle keep-alive HTTP connections closed to make room near HTTP_MAX_CONNECTIONS.",
            http.evicted_idle_connections);
    return w.take();
}

}  // namespace yooni::http
