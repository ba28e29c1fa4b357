// get, set, del [--pattern] (cli_internal.hpp): the cache's own calls (the
// service's key checks, value format and TTL), so values are read and written
// exactly as the service does.
#include "app/cli_session.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <iterator>

namespace yooni::app::cli {

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

std::optional<int> check_key(const Context& ctx, const std::string& key) {
    if (key.empty()) return fail(ctx, kExitUsage, "the key is empty");
    const auto max = ctx.settings().http.max_key_bytes;
    if (key.size() > max)
        return fail(ctx, kExitUsage, "the key has " + std::to_string(key.size()) + " bytes; CACHE_MAX_KEY_BYTES allows " +
                                         std::to_string(max));
    return std::nullopt;
}

json::parse_options strict_json() {
    json::parse_options opt;
    opt.max_depth = 64;  // as the HTTP API
    return opt;
}

// stderr progress of a long pattern delete: a spinner with the elapsed time
// on a terminal; otherwise one line when it starts.
class Progress {
public:
    explicit Progress(std::string what) : what_(std::move(what)), tty_(::isatty(STDERR_FILENO) == 1) {
        std::fprintf(stderr, tty_ ? "%s ..." : "%s ...\n", what_.c_str());
        std::fflush(stderr);
    }
    void tick() {
        if (!tty_) return;
        const auto now = Clock::now();
        if (now - last_ < 100ms) return;
        last_ = now;
        static constexpr char spinner[] = "|/-\\";
        std::fprintf(stderr, "\r\033[K%s ... %c %.1f s", what_.c_str(), spinner[turn_++ % 4], seconds());
        std::fflush(stderr);
    }
    void done(const std::string& result) {
        if (tty_) std::fprintf(stderr, "\r\033[K%s ... %s in %.1f s\n", what_.c_str(), result.c_str(), seconds());
        std::fflush(stderr);
    }

private:
    double seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
    std::string what_;
    bool tty_;
    Clock::time_point start_ = Clock::now();
    Clock::time_point last_{};
    unsigned turn_ = 0;
};

}  // namespace

int get_key(const Context& ctx, const std::string& key) {
    if (auto bad = check_key(ctx, key)) return *bad;
    if (auto refused = refuse_memory(ctx)) return *refused;
    Session session{ctx};
    if (std::string why; !session.connect(why)) return fail(ctx, kExitFailure, why);
    auto got = session.run(session.cache().get(key, session.deadline()));
    if (!got) return fail(ctx, kExitFailure, session.timed_out());
    if (!*got) return fail(ctx, kExitFailure, session.failure(got->error()));
    const auto& value = **got;
    if (!value) {
        std::fprintf(stderr, "yooni-cache get: %s: not found\n", key.c_str());
        if (ctx.json) print_json(json::object{{"key", key}, {"found", false}, {"value", nullptr}});
        return kExitNotFound;
    }
    if (ctx.json) {
        boost::system::error_code ec;
        auto doc = json::parse(*value, ec, {}, strict_json());
        // Values stored through the C++ library may be any bytes: then a string.
        print_json(json::object{{"key", key}, {"found", true}, {"value", ec ? json::value(*value) : doc}});
        return kExitOk;
    }
    std::fwrite(value->data(), 1, value->size(), stdout);
    std::printf("\n");
    std::fflush(stdout);
    return kExitOk;
}

int set_key(const Context& ctx, const std::string& key, std::string value, std::optional<long long> ttl) {
    if (auto bad = check_key(ctx, key)) return *bad;
    if (value == "-") value.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    boost::system::error_code ec;
    json::parse(value, ec, {}, strict_json());
    if (ec) return fail(ctx, kExitUsage, "the value is not JSON: " + ec.message());
    if (ttl && *ttl < 0) return fail(ctx, kExitUsage, "--ttl " + std::to_string(*ttl) + ": expected seconds >= 0 (0 = no expiry)");
    if (auto refused = refuse_memory(ctx)) return *refused;
    const std::chrono::seconds effective = ttl ? std::chrono::seconds(*ttl) : ctx.settings().cache.ttl;
    Session session{ctx};
    if (std::string why; !session.connect(why)) return fail(ctx, kExitFailure, why);
    const std::optional<std::chrono::seconds> ttl_arg = effective;
    auto stored = session.run(session.cache().set(key, std::move(value), ttl_arg, session.deadline()));
    if (!stored) return fail(ctx, kExitFailure, session.timed_out());
    if (!*stored) return fail(ctx, kExitFailure, session.failure(stored->error()));
    if (ctx.json) {
        print_json(json::object{{"key", key}, {"stored", true}, {"ttl", effective.count()}});
    } else {
        std::printf("stored %s (%s)\n", key.c_str(),
                    effective.count() == 0 ? "no expiry" : ("ttl " + std::to_string(effective.count()) + " s").c_str());
        std::fflush(stdout);
    }
    return kExitOk;
}

int delete_keys(Context& ctx, const std::string& key, const std::optional<std::string>& pattern,
                std::optional<long long> timeout_flag) {
    if (pattern && !key.empty()) return fail(ctx, kExitUsage, "give a KEY or --pattern P, not both");
    if (!pattern && key.empty()) return fail(ctx, kExitUsage, "give a KEY or --pattern P");
    if (pattern && pattern->empty()) return fail(ctx, kExitUsage, "--pattern is empty");
    if (!pattern)
        if (auto bad = check_key(ctx, key)) return *bad;
    if (auto refused = refuse_memory(ctx)) return *refused;
    if (pattern && !timeout_flag) {
        // A scan of the whole keyspace takes longer than one request.
        ctx.timeout = std::max(ctx.timeout, std::chrono::milliseconds(60'000));
        ctx.deadline = Clock::now() + ctx.timeout;
    }
    Session session{ctx};
    if (std::string why; !session.connect(why)) return fail(ctx, kExitFailure, why);
    if (!pattern) {
        auto existed = session.run(session.cache().del(key, session.deadline()));
        if (!existed) return fail(ctx, kExitFailure, session.timed_out());
        if (!*existed) return fail(ctx, kExitFailure, session.failure(existed->error()));
        if (ctx.json) print_json(json::object{{"key", key}, {"deleted", **existed}});
        else std::printf("%s %s\n", **existed ? "deleted" : "not found (nothing deleted):", key.c_str());
        std::fflush(stdout);
        return kExitOk;
    }
    Progress progress{"deleting keys matching " + *pattern + " on " + session.target()};
    auto deleted = session.run(session.cache().delete_pattern(*pattern, session.deadline()), [&progress] { progress.tick(); });
    if (!deleted || !*deleted) {
        progress.done("failed");
        if (!deleted) return fail(ctx, kExitFailure, session.timed_out());
        return fail(ctx, kExitFailure, session.failure(deleted->error()));
    }
    const auto n = **deleted;
    progress.done("deleted " + std::to_string(n));
    if (ctx.json) print_json(json::object{{"pattern", *pattern}, {"deleted", n}});
    else std::printf("deleted %zu key%s matching %s\n", n, n == 1 ? "" : "s", pattern->c_str());
    std::fflush(stdout);
    return kExitOk;
}

}  // namespace yooni::app::cli
