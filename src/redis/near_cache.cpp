// The near cache (near_cache.hpp): shards of an LRU map under a byte budget,
// and the fill tickets that keep a reply crossed by an invalidation out.
#include <yooni/redis/near_cache.hpp>

#include "redis/siphash.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <functional>
#include <stdexcept>

namespace yooni::redis {

namespace {
// Per entry beyond the key and value bytes: the map node, the list node and
// the strings' headers (an estimate, so that many tiny values are bounded too).
constexpr std::size_t kEntryOverhead = 128;
}  // namespace

NearCache::Hash NearCache::random_hash() {
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("near cache: no random hash key (RAND_bytes)");
    const auto k = detail::sip_key_from_bytes(bytes);
    return Hash{k.k0, k.k1};
}

std::size_t NearCache::Hash::operator()(std::string_view k) const noexcept {
    return static_cast<std::size_t>(detail::siphash13(detail::SipKey{k0, k1}, k));
}

NearCache::NearCache(NearCacheOptions options)
    : options_(options), hash_(random_hash()), shard_budget_(std::max<std::size_t>(1, options.max_bytes / kShards)),
      shards_(std::make_unique<Shard[]>(kShards)) {
    for (std::size_t i = 0; i < kShards; ++i) {
        Shard& s = shards_[i];
        s.entries = Map<Entry>(0, hash_);
        s.pending = Map<std::vector<std::uint64_t>>(0, hash_);
        s.flights = Map<std::shared_ptr<NearFlight>>(0, hash_);
    }
}

NearCache::Shard& NearCache::shard_for(std::string_view key) {
    // The top bits: the buckets inside a shard take the hash modulo their count.
    return shards_[(hash_(key) >> 60) % kShards];
}

std::size_t NearCache::cost(const std::string& key, const std::string& value) {
    return key.size() + value.size() + kEntryOverhead;
}

void NearCache::erase(Shard& s, Map<Entry>::iterator it) {
    s.bytes -= cost(it->first, it->second.value);
    if (it->second.orphan) --s.orphans;
    s.order.erase(it->second.lru);
    s.entries.erase(it);
}

std::optional<std::string> NearCache::get(std::string_view key, Clock::time_point now) {
    Shard& s = shard_for(key);
    std::lock_guard lock{s.mutex};
    auto it = s.entries.find(key);
    if (it == s.entries.end() || it->second.orphan) {
        misses_.fetch_add(1, std::memory_order_relaxed);
        return std::nullopt;
    }
    if (now >= it->second.expires) {
        erase(s, it);
        misses_.fetch_add(1, std::memory_order_relaxed);
        return std::nullopt;
    }
    s.order.splice(s.order.begin(), s.order, it->second.lru);
    hits_.fetch_add(1, std::memory_order_relaxed);
    return it->second.value;
}

NearCache::Fill NearCache::begin(std::string_view key) {
    Fill f{std::string{key}, next_ticket_.fetch_add(1, std::memory_order_relaxed)};
    Shard& s = shard_for(key);
    std::lock_guard lock{s.mutex};
    s.pending[f.key].push_back(f.ticket);
    return f;
}

namespace {
// Takes `ticket` out of the key's pending list; whether it was there.
template <class Pending>
bool take_ticket(Pending& pending, const std::string& key, std::uint64_t ticket) {
    auto p = pending.find(key);
    if (p == pending.end()) return false;
    auto& tickets = p->second;
    auto t = std::find(tickets.begin(), tickets.end(), ticket);
    if (t == tickets.end()) return false;
    tickets.erase(t);
    if (tickets.empty()) pending.erase(p);
    return true;
}
}  // namespace

bool NearCache::complete(const Fill& fill, std::string value, Clock::time_point expires) {
    Shard& s = shard_for(fill.key);
    std::lock_guard lock{s.mutex};
    if (!take_ticket(s.pending, fill.key, fill.ticket)) {
        voided_.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    const std::size_t need = cost(fill.key, value);
    if (need > shard_budget_) return false;  // larger than its share: never kept
    if (auto it = s.entries.find(fill.key); it != s.entries.end()) erase(s, it);
    while (s.bytes + need > shard_budget_ && !s.order.empty()) {
        erase(s, s.entries.find(s.order.back()));
        evictions_.fetch_add(1, std::memory_order_relaxed);
    }
    s.order.push_front(fill.key);
    s.entries.emplace(fill.key, Entry{std::move(value), expires, Clock::now(), false, s.order.begin()});
    s.bytes += need;
    fills_.fetch_add(1, std::memory_order_relaxed);
    return true;
}

void NearCache::abandon(const Fill& fill) {
    Shard& s = shard_for(fill.key);
    std::lock_guard lock{s.mutex};
    take_ticket(s.pending, fill.key, fill.ticket);
}

std::shared_ptr<NearFlight> NearCache::join_or_lead(std::string_view key, std::shared_ptr<NearFlight> mine,
                                                    Fill& fill) {
    Shard& s = shard_for(key);
    {
        std::lock_guard lock{s.mutex};
        if (auto it = s.flights.find(key); it != s.flights.end()) {
            coalesced_.fetch_add(1, std::memory_order_relaxed);
            return it->second;
        }
        fill = Fill{std::string{key}, next_ticket_.fetch_add(1, std::memory_order_relaxed)};
        s.pending[fill.key].push_back(fill.ticket);
        s.flights.emplace(fill.key, std::move(mine));
    }
    return nullptr;
}

void NearCache::land(std::string_view key, const std::shared_ptr<NearFlight>& mine) {
    Shard& s = shard_for(key);
    std::lock_guard lock{s.mutex};
    if (auto it = s.flights.find(key); it != s.flights.end() && it->second == mine) s.flights.erase(it);
}

void NearCache::invalidate(std::string_view key) {
    Shard& s = shard_for(key);
    std::lock_guard lock{s.mutex};
    bool dropped = false;
    if (auto it = s.entries.find(key); it != s.entries.end()) {
        erase(s, it);
        dropped = true;
    }
    if (auto it = s.pending.find(key); it != s.pending.end()) {
        s.pending.erase(it);
        dropped = true;
    }
    if (auto it = s.flights.find(key); it != s.flights.end()) s.flights.erase(it);
    // Counted when it dropped something: a write through the client
    // invalidates its key before the send and after the reply, and the
    // second finds nothing unless a read came between.
    if (dropped) invalidations_.fetch_add(1, std::memory_order_relaxed);
}

void NearCache::flush() {
    for (std::size_t i = 0; i < kShards; ++i) {
        Shard& s = shards_[i];
        std::lock_guard lock{s.mutex};
        s.entries.clear();
        s.order.clear();
        s.pending.clear();
        s.flights.clear();
        s.bytes = 0;
        s.orphans = 0;
    }
    flushes_.fetch_add(1, std::memory_order_relaxed);
}

void NearCache::orphan_all() {
    if (options_.stale_if_error.count() <= 0) {
        flush();
        return;
    }
    for (std::size_t i = 0; i < kShards; ++i) {
        Shard& s = shards_[i];
        std::lock_guard lock{s.mutex};
        for (auto& [key, entry] : s.entries) entry.orphan = true;
        s.orphans = s.entries.size();
        s.pending.clear();  // a reply already on its way is not tracked any more
        s.flights.clear();
    }
    orphanings_.fetch_add(1, std::memory_order_relaxed);
}

void NearCache::drop_orphans() {
    for (std::size_t i = 0; i < kShards; ++i) {
        Shard& s = shards_[i];
        std::lock_guard lock{s.mutex};
        if (s.orphans == 0) continue;
        for (auto it = s.entries.begin(); it != s.entries.end();) {
            auto next = std::next(it);
            if (it->second.orphan) erase(s, it);
            it = next;
        }
    }
}

bool NearCache::has_stale(std::string_view key, Clock::time_point now) {
    if (options_.stale_if_error.count() <= 0) return false;
    Shard& s = shard_for(key);
    std::lock_guard lock{s.mutex};
    if (s.orphans == 0) return false;
    auto it = s.entries.find(key);
    return it != s.entries.end() && it->second.orphan && now < it->second.expires &&
           now - it->second.filled <= options_.stale_if_error;
}

std::optional<NearCache::Stale> NearCache::stale(std::string_view key, Clock::time_point now) {
    if (options_.stale_if_error.count() <= 0) return std::nullopt;
    Shard& s = shard_for(key);
    std::lock_guard lock{s.mutex};
    auto it = s.entries.find(key);
    if (it == s.entries.end() || !it->second.orphan) return std::nullopt;
    const auto age = std::chrono::duration_cast<std::chrono::milliseconds>(now - it->second.filled);
    if (now >= it->second.expires || age > options_.stale_if_error) return std::nullopt;
    stale_answers_.fetch_add(1, std::memory_order_relaxed);
    return Stale{it->second.value, age};
}

NearCacheStats NearCache::stats() const {
    NearCacheStats out;
    const auto r = std::memory_order_relaxed;
    out.hits = hits_.load(r);
    out.misses = misses_.load(r);
    out.fills = fills_.load(r);
    out.voided_fills = voided_.load(r);
    out.invalidations = invalidations_.load(r);
    out.flushes = flushes_.load(r);
    out.evictions = evictions_.load(r);
    out.max_bytes = options_.max_bytes;
    out.coalesced = coalesced_.load(r);
    out.orphanings = orphanings_.load(r);
    out.stale_answers = stale_answers_.load(r);
    for (std::size_t i = 0; i < kShards; ++i) {
        std::lock_guard lock{shards_[i].mutex};
        out.entries += shards_[i].entries.size();
        out.bytes += shards_[i].bytes;
    }
    return out;
}

}  // namespace yooni::redis
