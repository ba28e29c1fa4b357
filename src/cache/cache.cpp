#include <yooni/cache/cache.hpp>
#include <yooni/redis/shared_outcome.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace yooni::cache {

namespace {

class ErrorCategory final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "yooni.cache"; }
    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
            case errc::unavailable: return "cache backend unavailable";
            case errc::timeout: return "cache backend did not answer before the deadline";
            case errc::decode_error: return "stored value is corrupt and could not be decoded";
            case errc::too_large: return "value too large for the cache";
            case errc::bad_pattern: return "pattern too long";
            case errc::backend_error: return "cache backend answered with an error";
            case errc::not_replicated: return "write not confirmed by enough replicas in time";
            case errc::compute_failed: return "the computation of the value failed with an exception";
            case errc::over_budget: return "the values asked for exceed the byte budget of one call";
            case errc::decoded_too_large: return "stored value inflates beyond the largest value the codec decodes";
        }
        return "unknown cache error";
    }
};

// A value the codec refused: corrupt, or (not corrupt) larger once decoded
// than the codec's max_decoded_bytes.
boost::system::error_code decode_failure(const boost::system::error_code& ec) {
    return make_error_code(ec == codec::errc::too_large ? errc::decoded_too_large : errc::decode_error);
}

// Times one operation and records it in the histogram of its kind.
class OpTimer {
public:
    OpTimer(Stats& stats, Op op) : stats_(stats), op_(op), start_(std::chrono::steady_clock::now()) {}
    ~OpTimer() { stats_.latency[static_cast<std::size_t>(op_)].observe(std::chrono::steady_clock::now() - start_); }
    void failed() {
        stats_.errors.fetch_add(1, std::memory_order_relaxed);
        stats_.op_errors[static_cast<std::size_t>(op_)].fetch_add(1, std::memory_order_relaxed);
    }

private:
    Stats& stats_;
    Op op_;
    std::chrono::steady_clock::time_point start_;
};

}  // namespace

const boost::system::error_category& category() {
    static const ErrorCategory instance;
    return instance;
}
boost::system::error_code make_error_code(errc e) { return {static_cast<int>(e), category()}; }

// One computation of a key in flight: its waiters, from any thread, get its
// outcome on their own executors, or errc::timeout at their own deadline.
struct Cache::Flight : redis::SharedOutcome<result<std::string>> {};

Cache::Cache(Backend& backend, codec::Codec codec, CacheOptions options)
    : backend_(backend), codec_(std::move(codec)), options_(options) {}

Cache::~Cache() = default;

std::string Cache::encode(std::string_view value) {
    codec::EncodeInfo info;
    std::string stored = codec_.encode(value, &info);
    if (info.compressed) {
        stats_.compressed_count.fetch_add(1, std::memory_order_relaxed);
        stats_.total_original_size.fetch_add(info.original_bytes, std::memory_order_relaxed);
        stats_.total_compressed_size.fetch_add(info.stored_bytes, std::memory_order_relaxed);
    }
    return stored;
}

bool Cache::readable(std::string_view value) const { return value.size() <= codec_.options().max_decoded_bytes; }

result<std::optional<std::string>> Cache::decode(std::optional<std::string> stored) {
    if (!stored) return std::optional<std::string>{};
    auto decoded = codec_.decode(*stored);
    if (!decoded) {
        stats_.decode_errors.fetch_add(1, std::memory_order_relaxed);
        return decode_failure(decoded.error());
    }
    return std::optional<std::string>{std::move(*decoded)};
}

awaitable<result<Read>> Backend::read(std::string key, Deadline deadline) {
    auto value = co_await get(std::move(key), deadline);
    if (!value) co_return value.error();
    co_return Read{std::move(*value), std::nullopt};
}

awaitable<result<std::optional<std::string>>> Cache::get(std::string key, Deadline deadline) {
    OpTimer timer{stats_, Op::get};
    auto stored = co_await backend_.get(std::move(key), deadline);
    if (!stored) {
        timer.failed();
        co_return stored.error();
    }
    auto value = decode(std::move(*stored));
    if (!value) {
        timer.failed();
        co_return value;
    }
    (*value ? stats_.hits : stats_.misses).fetch_add(1, std::memory_order_relaxed);
    co_return value;
}

awaitable<result<Read>> Cache::read_stored(std::string key, Deadline deadline) {
    OpTimer timer{stats_, Op::get};
    auto stored = co_await backend_.read(std::move(key), deadline);
    if (!stored) {
        timer.failed();
        co_return stored.error();
    }
    (stored->value ? stats_.hits : stats_.misses).fetch_add(1, std::memory_order_relaxed);
    co_return stored;
}

result<std::string> Cache::decode_stored(std::string_view stored) {
    auto decoded = codec_.decode(stored);
    if (!decoded) {
        stats_.decode_errors.fetch_add(1, std::memory_order_relaxed);
        stats_.errors.fetch_add(1, std::memory_order_relaxed);
        stats_.op_errors[static_cast<std::size_t>(Op::get)].fetch_add(1, std::memory_order_relaxed);
        return decode_failure(decoded.error());
    }
    return decoded;
}

awaitable<result<void>> Cache::set(std::string key, std::string value, std::optional<std::chrono::seconds> ttl,
                                   Deadline deadline) {
    OpTimer timer{stats_, Op::set};
    if (!readable(value)) {
        timer.failed();
        co_return make_error_code(errc::too_large);
    }
    Entry entry{std::move(key), encode(value), ttl.value_or(options_.default_ttl)};
    auto done = co_await backend_.set(std::move(entry), deadline);
    if (!done) {
        timer.failed();
        co_return done;
    }
    stats_.sets.fetch_add(1, std::memory_order_relaxed);
    co_return done;
}

awaitable<result<std::optional<std::string>>> Cache::set_if(std::string key, std::string value,
                                                            std::optional<std::chrono::seconds> ttl, Precondition pre,
                                                            Deadline deadline) {
    OpTimer timer{stats_, Op::set};
    if (!readable(value)) {
        timer.failed();
        co_return make_error_code(errc::too_large);
    }
    Entry entry{std::move(key), encode(value), ttl.value_or(options_.default_ttl)};
    std::string tag = sha1_hex(entry.value);
    auto done = co_await backend_.set_if(std::move(entry), std::move(pre), deadline);
    if (!done) {
        timer.failed();
        co_return done.error();
    }
    if (!*done) co_return std::optional<std::string>{};
    stats_.sets.fetch_add(1, std::memory_order_relaxed);
    co_return std::optional<std::string>{std::move(tag)};
}

awaitable<result<bool>> Cache::del_if(std::string key, Precondition pre, Deadline deadline) {
    OpTimer timer{stats_, Op::del};
    auto done = co_await backend_.del_if(std::move(key), std::move(pre), deadline);
    if (!done) {
        timer.failed();
        co_return done;
    }
    if (*done) stats_.deletes.fetch_add(1, std::memory_order_relaxed);
    co_return done;
}

awaitable<result<bool>> Cache::del(std::string key, Deadline deadline) {
    OpTimer timer{stats_, Op::del};
    auto existed = co_await backend_.del(std::move(key), deadline);
    if (!existed) {
        timer.failed();
        co_return existed;
    }
    stats_.deletes.fetch_add(1, std::memory_order_relaxed);
    co_return existed;
}

awaitable<result<std::vector<std::optional<std::string>>>> Cache::mget(std::vector<std::string> keys,
                                                                       Deadline deadline, std::size_t max_total_bytes) {
    OpTimer timer{stats_, Op::mget};
    auto stored = co_await backend_.mget(std::move(keys), deadline);
    if (!stored) {
        timer.failed();
        co_return stored.error();
    }
    std::vector<std::optional<std::string>> values;
    values.reserve(stored->size());
    std::uint64_t hit = 0, miss = 0;
    std::size_t left = max_total_bytes;
    for (auto& s : *stored) {
        if (!s) {
            ++miss;
            values.emplace_back();
            continue;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            timer.failed();
            co_return make_error_code(errc::timeout);
        }
        auto v = codec_.decode(*s, left);
        if (!v && v.error() == make_error_code(codec::errc::too_large) && left < codec_.options().max_decoded_bytes) {
            timer.failed();
            co_return make_error_code(errc::over_budget);
        }
        if (!v) {
            stats_.decode_errors.fetch_add(1, std::memory_order_relaxed);
            timer.failed();
            co_return decode_failure(v.error());
        }
        left -= v->size();
        ++hit;
        values.emplace_back(std::move(*v));
    }
    stats_.hits.fetch_add(hit, std::memory_order_relaxed);
    stats_.misses.fetch_add(miss, std::memory_order_relaxed);
    co_return values;
}

awaitable<result<void>> Cache::mset(std::vector<Item> items, Deadline deadline) {
    OpTimer timer{stats_, Op::mset};
    if (!std::all_of(items.begin(), items.end(), [this](const Item& i) { return readable(i.value); })) {
        timer.failed();
        co_return make_error_code(errc::too_large);
    }
    std::vector<Entry> entries;
    entries.reserve(items.size());
    for (auto& item : items)
        entries.push_back(Entry{std::move(item.key), encode(item.value), item.ttl.value_or(options_.default_ttl)});
    const auto n = entries.size();
    auto done = co_await backend_.mset(std::move(entries), deadline);
    if (!done) {
        timer.failed();
        co_return done;
    }
    stats_.sets.fetch_add(n, std::memory_order_relaxed);
    co_return done;
}

awaitable<result<std::size_t>> Cache::mdel(std::vector<std::string> keys, Deadline deadline) {
    OpTimer timer{stats_, Op::mdel};
    const auto n = keys.size();
    auto existed = co_await backend_.mdel(std::move(keys), deadline);
    if (!existed) {
        timer.failed();
        co_return existed;
    }
    stats_.deletes.fetch_add(n, std::memory_order_relaxed);
    co_return existed;
}

awaitable<result<std::size_t>> Cache::delete_pattern(std::string pattern, Deadline deadline) {
    OpTimer timer{stats_, Op::delete_pattern};
    auto count = co_await backend_.delete_pattern(std::move(pattern), deadline);
    if (!count) {
        timer.failed();
        co_return count;
    }
    stats_.deletes.fetch_add(*count, std::memory_order_relaxed);
    co_return count;
}

awaitable<result<std::string>> Cache::get_or_compute(std::string key, Compute compute,
                                                     std::optional<std::chrono::seconds> ttl, Deadline deadline) {
    auto cached = co_await get(key, deadline);
    if (cached && *cached) co_return std::move(**cached);
    // A read error is not a reason to skip computing: the value is still wanted.

    std::shared_ptr<Flight> flight;
    bool leader = false;
    {
        std::lock_guard lock{flights_mutex_};
        auto& slot = flights_[key];
        if (!slot) {
            slot = std::make_shared<Flight>();
            leader = true;
        }
        flight = slot;
    }
    if (!leader) co_return co_await flight->wait(deadline, make_error_code(errc::timeout));
    co_return co_await run_flight(std::move(key), std::move(flight), std::move(compute), ttl, deadline);
}

awaitable<result<std::string>> Cache::run_flight(std::string key, std::shared_ptr<Flight> flight, Compute compute,
                                                 std::optional<std::chrono::seconds> ttl, Deadline deadline) {
    // However the leader ends (a value, an error, an exception from compute,
    // its coroutine destroyed at shutdown), the key is freed and the waiters
    // are answered.
    struct Release {
        Cache* cache;
        const std::string& key;
        const std::shared_ptr<Flight>& flight;
        ~Release() {
            {
                std::lock_guard lock{cache->flights_mutex_};
                if (auto it = cache->flights_.find(key); it != cache->flights_.end() && it->second == flight)
                    cache->flights_.erase(it);
            }
            flight->finish(make_error_code(errc::compute_failed));  // (no-op when finished already)
        }
    } release{this, key, flight};
    OpTimer timer{stats_, Op::get_or_compute};
    result<std::string> value = make_error_code(errc::compute_failed);
    try {
        value = co_await compute();
    } catch (const std::exception& e) {
        timer.failed();
        spdlog::error("cache.compute_threw key_bytes={} exception={}", key.size(), e.what());
        throw;  // the leader's caller sees its own exception; the waiters get errc::compute_failed
    }
    if (value) {
        auto stored = co_await set(key, *value, ttl, deadline);
        if (!stored) spdlog::warn("cache.compute_store_failed key_bytes={} error={}", key.size(), stored.error().message());
    } else {
        timer.failed();
    }
    {
        std::lock_guard lock{flights_mutex_};
        flights_.erase(key);
    }
    flight->finish(value);
    co_return value;
}

std::size_t Cache::flights_in_progress() const {
    std::lock_guard lock{flights_mutex_};
    return flights_.size();
}

}  // namespace yooni::cache
