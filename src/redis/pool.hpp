// Connections of one client, one per (worker io_context, node): each worker
// pipelines over its own link to each node (ARCHITECTURE.md: shared nothing
// on the hot path).
//
// A worker finds its links without a lock and without copying options: its
// own table is reached through a thread-local cache and written by that
// worker only. The pool's lock is taken when a worker first uses the pool
// and when a link is opened (both rare), and by totals()/close_all().
#pragma once

#include <yooni/redis/connection.hpp>

#include <boost/asio/execution/context.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/query.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace yooni::redis::detail {

// A worker keeps up to three links to a node, by what they carry:
// - main: everything else (reads, writes without WAIT, admin commands);
// - replica_reads: READONLY reads from a cluster replica;
// - waited_writes: writes followed by WAIT. Redis runs a connection's
//   commands in order and holds a connection in WAIT up to its timeout, so
//   on a shared link one write waiting for a missing replica would hold
//   every read behind it. These links also reset when a caller's deadline
//   passes with its request on the wire (ConnectionOptions::reset_when_late):
//   Redis then drops the writes queued behind, instead of running them
//   seconds after their callers were told they failed;
// - tracked_reads: the near cache's reads, with CLIENT TRACKING on (RESP3),
//   when the pool was given tracking hooks (set_tracking).
enum class Lane : std::uint8_t { main, replica_reads, waited_writes, tracked_reads };

// The lane of commands sent together: any of the near cache's reads takes
// them to tracked_reads (a value it keeps must have been read where Redis
// tracks it); else any write that WAITs to waited_writes; the rest go on
// main (replica_reads is the caller's choice).
inline Lane lane_of(bool waits, bool tracked) {
    return tracked ? Lane::tracked_reads : waits ? Lane::waited_writes : Lane::main;
}
template <class Commands>
Lane lane_for(const Commands& commands) {
    bool waits = false, tracked = false;
    for (const auto& c : commands) {
        waits = waits || c.replies > 1;
        tracked = tracked || c.tracked;
    }
    return lane_of(waits, tracked);
}

class ConnectionPool {
public:
    ConnectionPool() : id_(next_id()) {}
    ConnectionPool(const ConnectionPool&) = delete;
    ConnectionPool& operator=(const ConnectionPool&) = delete;

    // The calling worker's link to host:port (a READONLY link when
    // `readonly`), created with make_options() on first use. Call on the
    // worker's own thread, the one running `executor`'s io_context.
    template <class MakeOptions>
    std::shared_ptr<Connection> get(const boost::asio::any_io_executor& executor, std::string_view host,
                                    std::uint16_t port, Lane lane, MakeOptions&& make_options) {
        Worker& w = worker(executor);
        const LinkView view{host, port, lane};
        if (auto it = w.links.find(view); it != w.links.end()) return it->second;
        ConnectionOptions options = make_options();
        if (lane == Lane::waited_writes) options.reset_when_late = true;
        if (lane == Lane::tracked_reads) options.tracking = tracking_;
        auto link = Connection::create(executor, std::move(options));
        std::lock_guard lock{mutex_};  // totals() may be reading the table
        w.links.emplace(LinkKey{std::string{host}, port, lane}, link);
        return link;
    }
    std::shared_ptr<Connection> get(const boost::asio::any_io_executor& executor, const ConnectionOptions& options,
                                    Lane lane = Lane::main) {
        return get(executor, options.host, options.port, options.readonly ? Lane::replica_reads : lane,
                   [&] { return options; });
    }

    // The hooks of the tracked_reads links (the near cache's). Before the
    // pool's first use.
    void set_tracking(std::shared_ptr<const ConnectionOptions::Tracking> hooks) { tracking_ = std::move(hooks); }

    // Sum of the counters of every connection (for tests and metrics).
    ConnectionStats totals() const {
        std::lock_guard lock{mutex_};
        ConnectionStats t;
        for (const auto& [context, w] : workers_)
            for (const auto& [k, c] : w->links) {
                const auto s = c->stats();
                t.connects += s.connects;
                t.connect_attempts += s.connect_attempts;
                t.writes += s.writes;
                t.commands += s.commands;
                t.abandoned += s.abandoned;
            }
        return t;
    }

    std::size_t size() const {
        std::lock_guard lock{mutex_};
        std::size_t n = 0;
        for (const auto& [context, w] : workers_) n += w->links.size();
        return n;
    }

    // Only once the io_contexts no longer run (their threads are joined).
    void close_all() {
        std::lock_guard lock{mutex_};
        for (auto& [context, w] : workers_)
            for (auto& [k, c] : w->links) c->close();
        workers_.clear();
        id_.store(next_id(), std::memory_order_release);  // every thread's cached table is stale now
    }

private:
    struct LinkView {
        std::string_view host;
        std::uint16_t port;
        Lane lane;
    };
    struct LinkKey {
        std::string host;
        std::uint16_t port;
        Lane lane;
    };
    struct LinkLess {
        using is_transparent = void;
        static auto tie(const LinkKey& k) { return std::tuple<std::string_view, std::uint16_t, Lane>{k.host, k.port, k.lane}; }
        static auto tie(const LinkView& k) { return std::tuple<std::string_view, std::uint16_t, Lane>{k.host, k.port, k.lane}; }
        template <class A, class B>
        bool operator()(const A& a, const B& b) const { return tie(a) < tie(b); }
    };
    // One worker's links: looked up by that worker alone, without a lock.
    struct Worker {
        std::map<LinkKey, std::shared_ptr<Connection>, LinkLess> links;
    };

    static std::uint64_t next_id() {
        static std::atomic<std::uint64_t> ids{0};
        return ids.fetch_add(1, std::memory_order_relaxed) + 1;
    }

    Worker& worker(const boost::asio::any_io_executor& executor) {
        auto* context = &boost::asio::query(executor, boost::asio::execution::context);
        // The last table this thread used, per pool: a worker asks the same pools again and again.
        struct Cached {
            std::uint64_t pool = 0;
            boost::asio::execution_context* context = nullptr;
            Worker* worker = nullptr;
        };
        thread_local Cached cache[4];
        const auto id = id_.load(std::memory_order_acquire);
        for (auto& c : cache)
            if (c.pool == id && c.context == context) return *c.worker;
        Worker* found;
        {
            std::lock_guard lock{mutex_};
            auto& slot = workers_[context];
            if (!slot) slot = std::make_unique<Worker>();
            found = slot.get();
        }
        thread_local unsigned next_slot = 0;
        cache[next_slot++ % 4] = Cached{id, context, found};
        return *found;
    }

    std::atomic<std::uint64_t> id_;  // new on close_all(): no thread keeps a table of before
    std::shared_ptr<const ConnectionOptions::Tracking> tracking_;
    mutable std::mutex mutex_;
    std::map<boost::asio::execution_context*, std::unique_ptr<Worker>> workers_;
};

}  // namespace yooni::redis::detail
