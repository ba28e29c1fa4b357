// The near cache: its bookkeeping alone (fills crossed by an invalidation
// or a flush are void, the byte budget, expiry), then the Standalone client
// with one against a real redis-server: a second read stays in the process,
// a write by another program is invalidated by Redis's push, a write through
// the client is read back at once, FLUSHALL, a killed link and a hung server
// flush it, misses of one key coalesce, a write crossing a read keeps the
// read's value out, stale-if-error answers while the server is gone and
// never once it answers, and a server that refuses CLIENT TRACKING leaves it
// off with reads still answered; on a cluster, a moved slot and a failover
// drop what the old owner served.
#include <yooni/redis/near_cache.hpp>
#include <yooni/redis/cluster.hpp>
#include <yooni/redis/standalone.hpp>

#include "support/eventually.hpp"
#include "support/asio_run.hpp"
#include "support/redis_cluster.hpp"
#include "support/redis_server.hpp"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>
#include <csignal>
#include <future>
#include <thread>

namespace yooni::redis {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

NearCacheOptions options(std::size_t bytes = 1 << 20) { return NearCacheOptions{bytes, 60000ms}; }

TEST(NearCache, AFillIsKeptAndReadBack) {
    NearCache near{options()};
    EXPECT_EQ(near.get("k"), std::nullopt);
    auto fill = near.begin("k");
    EXPECT_TRUE(near.complete(fill, "v", Clock::now() + 1h));
    EXPECT_EQ(near.get("k"), std::optional<std::string>{"v"});
    const auto s = near.stats();
    EXPECT_EQ(s.hits, 1u);
    EXPECT_EQ(s.misses, 1u);
    EXPECT_EQ(s.entries, 1u);
}

TEST(NearCache, AnInvalidationBetweenReadAndReplyVoidsTheFill) {
    NearCache near{options()};
    auto fill = near.begin("k");
    near.invalidate("k");  // the push came before the reply was handed over
    EXPECT_FALSE(near.complete(fill, "old", Clock::now() + 1h));
    EXPECT_EQ(near.get("k"), std::nullopt);
    EXPECT_EQ(near.stats().voided_fills, 1u);
    // Another key's invalidation leaves a fill alone.
    auto other = near.begin("k");
    near.invalidate("j");
    EXPECT_TRUE(near.complete(other, "new", Clock::now() + 1h));
}

// invalidations counts what an invalidation dropped: a key held or a fill
// under way, not a key never read (a write through the client invalidates
// before the send and after the reply; only the first finds the entry).
TEST(NearCache, OnlyAnInvalidationThatDropsSomethingIsCounted) {
    NearCache near{options()};
    near.invalidate("never-read");
    EXPECT_EQ(near.stats().invalidations, 0u);
    auto fill = near.begin("k");
    near.invalidate("k");
    EXPECT_EQ(near.stats().invalidations, 1u) << "the fill under way";
    auto again = near.begin("k");
    ASSERT_TRUE(near.complete(again, "v", Clock::now() + 1h));
    near.invalidate("k");
    near.invalidate("k");
    EXPECT_EQ(near.stats().invalidations, 2u) << "the entry, once";
}

TEST(NearCache, AFlushVoidsEveryFillUnderWayAndEveryEntry) {
    NearCache near{options()};
    auto kept = near.begin("a");
    ASSERT_TRUE(near.complete(kept, "1", Clock::now() + 1h));
    auto pending = near.begin("b");
    near.flush();
    EXPECT_FALSE(near.complete(pending, "2", Clock::now() + 1h));
    EXPECT_EQ(near.get("a"), std::nullopt);
    EXPECT_EQ(near.stats().entries, 0u);
}

TEST(NearCache, AnEntryExpires) {
    NearCache near{options()};
    const auto now = Clock::now();
    auto fill = near.begin("k");
    ASSERT_TRUE(near.complete(fill, "v", now + 10ms));
    EXPECT_TRUE(near.get("k", now));
    EXPECT_EQ(near.get("k", now + 10ms), std::nullopt);
}

TEST(NearCache, TheByteBudgetEvictsTheLeastRecentlyUsed) {
    NearCache near{options(64 * 1024)};  // 4 KiB per shard
    const std::string value(1000, 'x');
    for (int i = 0; i < 1000; ++i) {
        auto fill = near.begin("key:" + std::to_string(i));
        near.complete(fill, value, Clock::now() + 1h);
    }
    const auto s = near.stats();
    EXPECT_LE(s.bytes, 64u * 1024);
    EXPECT_GT(s.evictions, 0u);
    // A value larger than a shard's share is never kept.
    auto big = near.begin("big");
    EXPECT_FALSE(near.complete(big, std::string(8 * 1024, 'y'), Clock::now() + 1h));
}

TEST(NearCache, ALostLinkKeepsOrphansOnlyForStaleIfError) {
    auto o = options();
    o.stale_if_error = 5000ms;
    NearCache near{o};
    auto fill = near.begin("k");
    ASSERT_TRUE(near.complete(fill, "v", Clock::now() + 1h));
    auto pending = near.begin("p");
    near.orphan_all();
    EXPECT_FALSE(near.complete(pending, "late", Clock::now() + 1h)) << "a reply under way is not tracked any more";
    EXPECT_EQ(near.get("k"), std::nullopt) << "an orphan is never a hit";
    auto old = near.stale("k");
    ASSERT_TRUE(old);
    EXPECT_EQ(old->value, "v");
    EXPECT_LT(old->age, 5000ms);
    EXPECT_EQ(near.stale("k", Clock::now() + 6s), std::nullopt) << "older than the bound";
    EXPECT_EQ(near.stale("p"), std::nullopt);
    const auto s = near.stats();
    EXPECT_EQ(s.orphanings, 1u);
    EXPECT_EQ(s.stale_answers, 1u);
    EXPECT_EQ(s.flushes, 0u);
    near.invalidate("k");
    EXPECT_EQ(near.stale("k"), std::nullopt) << "an invalidation drops an orphan too";

    auto again = near.begin("j");
    ASSERT_TRUE(near.complete(again, "w", Clock::now() + 1h));
    near.orphan_all();
    EXPECT_TRUE(near.stale("j"));
    near.drop_orphans();  // a link opened: the node answers again
    EXPECT_EQ(near.stale("j"), std::nullopt);
    EXPECT_EQ(near.stats().entries, 0u);
    EXPECT_EQ(near.stats().bytes, 0u);
}

TEST(NearCache, WithoutStaleIfErrorALostLinkFlushes) {
    NearCache near{options()};
    auto fill = near.begin("k");
    ASSERT_TRUE(near.complete(fill, "v", Clock::now() + 1h));
    near.orphan_all();
    EXPECT_EQ(near.stale("k"), std::nullopt);
    EXPECT_EQ(near.stats().entries, 0u);
    EXPECT_EQ(near.stats().flushes, 1u);
}

TEST(NearCache, AFreshFillReplacesAnOrphan) {
    auto o = options();
    o.stale_if_error = 5000ms;
    NearCache near{o};
    auto first = near.begin("k");
    ASSERT_TRUE(near.complete(first, "old", Clock::now() + 1h));
    near.orphan_all();
    auto second = near.begin("k");
    ASSERT_TRUE(near.complete(second, "new", Clock::now() + 1h));
    EXPECT_EQ(near.get("k"), std::optional<std::string>{"new"});
    EXPECT_EQ(near.stale("k"), std::nullopt) << "not an orphan any more";
    EXPECT_EQ(near.stats().entries, 1u);
}

// ---- with a real server -------------------------------------------------------

Deadline in(std::chrono::milliseconds d) { return Clock::now() + d; }

StandaloneOptions local(std::uint16_t port) {
    StandaloneOptions o;
    o.connection.host = "127.0.0.1";
    o.connection.port = port;
    return o;
}

int gets_on(const test::RedisServer& server) {
    const auto info = server.cli({"INFO", "commandstats"}).out;
    const auto at = info.find("cmdstat_get:calls=");
    return at == std::string::npos ? 0 : std::stoi(info.substr(at + 18));
}

using test::eventually;
struct Live : ::testing::Test {
    test::RedisServer server;
    Standalone client{local(server.port())};
    asio::io_context ioc;
    void SetUp() override {
        client.use_near_cache(near_options());
        client.start();
    }
    void TearDown() override { client.stop(); }
    virtual NearCacheOptions near_options() { return options(); }
    std::optional<std::string> get(const std::string& key) {
        auto r = test::run_on(ioc, client.get(key, in(5s)));
        EXPECT_TRUE(r) << r.error().message();
        return r ? *r : std::nullopt;
    }
    // Runs the io_context a little: the worker reads pushes, notices links end.
    void pump() {
        ioc.restart();
        ioc.run_for(5ms);
    }
    // Runs the io_context until every future is ready.
    template <class T>
    void finish(std::vector<std::future<T>>& futures) {
        EXPECT_TRUE(eventually([&] {
            pump();
            return std::all_of(futures.begin(), futures.end(), [](auto& f) {
                return f.wait_for(0s) == std::future_status::ready;
            });
        }));
    }
};

// A long link check, for tests that hold the server stopped for a moment
// while the test's own io_context (the worker) is not always running.
struct LiveSlowCheck : Live {
    NearCacheOptions near_options() override {
        auto o = options();
        o.link_check = 60s;
        return o;
    }
};

// Twenty misses of one key at once: one GET reaches Redis, and all twenty
// get its value.
TEST_F(Live, MissesOfOneKeyAtOnceAreOneRead) {
    ASSERT_EQ(server.cli({"SET", "c:1", "v"}).out, "OK\n");
    EXPECT_EQ(get("warm"), std::nullopt);  // the tracked link is open
    const int gets = gets_on(server);
    const std::string key = "c:1";
    std::vector<std::future<result<std::optional<std::string>>>> reads;
    for (int i = 0; i < 20; ++i) reads.push_back(asio::co_spawn(ioc, client.get(key, in(5s)), asio::use_future));
    finish(reads);
    for (auto& r : reads) {
        auto got = r.get();
        ASSERT_TRUE(got) << got.error().message();
        EXPECT_EQ(*got, std::optional<std::string>{"v"});
    }
    EXPECT_EQ(gets_on(server), gets + 1);
    EXPECT_EQ(client.near_cache()->stats().coalesced, 19u);
}

// A write through the client while a read of the same key is on the wire
// (the server stopped, so the read's reply comes after the write began):
// the reply, which may be the value before the write, is not kept; the next
// read is the write's value.
TEST_F(LiveSlowCheck, AWriteWhileAReadIsInFlightKeepsTheReadsValueOut) {
    ASSERT_EQ(server.cli({"SET", "x:1", "old"}).out, "OK\n");
    EXPECT_EQ(get("warm"), std::nullopt);  // the tracked link is open
    ::kill(server.pid(), SIGSTOP);
    struct Resume {
        pid_t pid;
        ~Resume() { ::kill(pid, SIGCONT); }
    } resume{server.pid()};
    const std::string key = "x:1";
    std::vector<std::future<result<std::optional<std::string>>>> read;
    read.push_back(asio::co_spawn(ioc, client.get(key, in(30s)), asio::use_future));
    for (int i = 0; i < 4; ++i) pump();  // the GET goes out
    const KeyValue item{"x:1", "new", 0s};
    std::vector<std::future<result<void>>> write;
    write.push_back(asio::co_spawn(ioc, client.set(item, {}, in(30s)), asio::use_future));
    for (int i = 0; i < 4; ++i) pump();
    ::kill(server.pid(), SIGCONT);
    finish(read);
    finish(write);
    auto old = read[0].get();
    ASSERT_TRUE(old) << old.error().message();
    // Which link Redis serves first after SIGCONT is its own affair.
    EXPECT_TRUE(*old == std::optional<std::string>{"old"} || *old == std::optional<std::string>{"new"});
    ASSERT_TRUE(write[0].get());
    EXPECT_EQ(client.near_cache()->stats().voided_fills, 1u);
    EXPECT_EQ(get("x:1"), std::optional<std::string>{"new"});
}

// Stale-if-error: the server gone, a key read before is answered from its
// copy, with its age, and counted; a key never read fails; once the server
// answers again, what it answers wins (here: the key is gone, since the
// restarted server kept no data).
TEST(NearCacheLive, StaleIfErrorAnswersWhileTheServerIsGoneAndNeverOnceItAnswers) {
    test::RedisServer server;
    ASSERT_EQ(server.cli({"SET", "s:1", "v1"}).out, "OK\n");
    auto o = options();
    o.stale_if_error = 60s;
    Standalone client{local(server.port())};
    client.use_near_cache(o);
    client.start();
    asio::io_context ioc;
    auto read = [&](const std::string& key) { return test::run_on(ioc, client.read(key, in(2s))); };
    auto fresh = read("s:1");
    ASSERT_TRUE(fresh) << fresh.error().message();
    EXPECT_EQ(fresh->value, std::optional<std::string>{"v1"});
    EXPECT_FALSE(fresh->stale_age);

    server.stop();
    EXPECT_TRUE(eventually([&] {
        ioc.restart();
        ioc.run_for(5ms);
        return client.near_cache()->stats().orphanings > 0;
    }));
    auto stale = read("s:1");
    ASSERT_TRUE(stale) << stale.error().message();
    EXPECT_EQ(stale->value, std::optional<std::string>{"v1"});
    ASSERT_TRUE(stale->stale_age);
    EXPECT_LT(*stale->stale_age, 60s);
    EXPECT_EQ(client.near_cache()->stats().stale_answers, 1u);
    EXPECT_FALSE(read("never-read")) << "no copy: the error";

    server.start();
    EXPECT_TRUE(eventually([&] {
        auto now = read("s:1");
        return now && !now->stale_age;
    }));
    for (int i = 0; i < 5; ++i) {
        auto now = read("s:1");
        ASSERT_TRUE(now) << now.error().message();
        EXPECT_FALSE(now->stale_age);
        EXPECT_EQ(now->value, std::nullopt);
    }
    client.stop();
}

TEST_F(Live, ASecondReadIsAnsweredInTheProcess) {
    ASSERT_EQ(server.cli({"SET", "p:1", "one"}).out, "OK\n");
    EXPECT_EQ(get("p:1"), std::optional<std::string>{"one"});
    const int gets = gets_on(server);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(get("p:1"), std::optional<std::string>{"one"});
    EXPECT_EQ(gets_on(server), gets);
    ASSERT_NE(client.near_cache(), nullptr);
    EXPECT_GE(client.near_cache()->stats().hits, 10u);
}

TEST_F(Live, ABatchTakesWhatTheNearCacheHoldsAndFillsTheRest) {
    ASSERT_EQ(server.cli({"MSET", "b:1", "one", "b:2", "two"}).out, "OK\n");
    const std::vector<std::string> keys{"b:1", "b:2", "b:missing"};
    const std::vector<std::optional<std::string>> want{"one", "two", std::nullopt};
    auto first = test::run_on(ioc, client.mget(keys, in(5s)));
    ASSERT_TRUE(first);
    EXPECT_EQ(*first, want);
    const int gets = gets_on(server);
    auto second = test::run_on(ioc, client.mget(keys, in(5s)));
    ASSERT_TRUE(second);
    EXPECT_EQ(*second, want);
    EXPECT_EQ(gets_on(server), gets + 1) << "only the missing key is asked again";
    ASSERT_EQ(server.cli({"SET", "b:2", "deux"}).out, "OK\n");
    EXPECT_TRUE(eventually([&] {
        auto now = test::run_on(ioc, client.mget(keys, in(5s)));
        return now && (*now)[1] == std::optional<std::string>{"deux"};
    }));
}

TEST_F(Live, AWriteByAnotherProgramIsInvalidatedByRedis) {
    ASSERT_EQ(server.cli({"SET", "p:2", "before"}).out, "OK\n");
    EXPECT_EQ(get("p:2"), std::optional<std::string>{"before"});
    ASSERT_EQ(server.cli({"SET", "p:2", "after"}).out, "OK\n");
    EXPECT_TRUE(eventually([&] { return get("p:2") == std::optional<std::string>{"after"}; }));
    EXPECT_GE(client.near_cache()->stats().invalidations, 1u);
}

TEST_F(Live, AWriteThroughTheClientIsReadBackAtOnce) {
    for (int i = 0; i < 200; ++i) {
        const KeyValue item{"p:3", std::to_string(i), 0s};
        ASSERT_TRUE(test::run_on(ioc, client.set(item, {}, in(5s))));
        ASSERT_EQ(get("p:3"), std::optional<std::string>{std::to_string(i)}) << "round " << i;
    }
    // Each write after the first dropped the entry its previous round read
    // (Redis's own push for it may come too, finding nothing left to drop).
    EXPECT_GE(client.near_cache()->stats().invalidations, 199u);
    EXPECT_LE(client.near_cache()->stats().invalidations, 200u);
    ASSERT_TRUE(test::run_on(ioc, client.unlink({"p:3"}, in(5s))));
    EXPECT_EQ(get("p:3"), std::nullopt);
}

TEST_F(Live, TheKeysOwnTtlBoundsTheEntry) {
    ASSERT_EQ(server.cli({"SET", "p:4", "short", "PX", "300"}).out, "OK\n");
    EXPECT_EQ(get("p:4"), std::optional<std::string>{"short"});
    // Expired in Redis: the near cache no longer answers it either, whether
    // or not Redis has noticed the expiry and pushed its invalidation yet.
    EXPECT_TRUE(eventually([&] { return get("p:4") == std::nullopt; }));
}

TEST_F(Live, FlushallAndALostLinkFlushEverything) {
    ASSERT_EQ(server.cli({"SET", "p:5", "v"}).out, "OK\n");
    EXPECT_EQ(get("p:5"), std::optional<std::string>{"v"});
    const auto flushes = client.near_cache()->stats().flushes;
    ASSERT_EQ(server.cli({"FLUSHALL"}).out, "OK\n");
    // The worker reads the push (here the test runs the worker's io_context).
    EXPECT_TRUE(eventually([&] {
        ioc.restart();
        ioc.run_for(5ms);
        return client.near_cache()->stats().flushes > flushes;
    }));
    EXPECT_EQ(get("p:5"), std::nullopt);

    ASSERT_EQ(server.cli({"SET", "p:6", "v"}).out, "OK\n");
    EXPECT_EQ(get("p:6"), std::optional<std::string>{"v"});
    ASSERT_EQ(client.near_cache()->stats().entries, 1u);
    const auto before = client.near_cache()->stats().flushes;
    server.cli({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
    // The worker notices the link's end (here the test runs the worker's io_context).
    EXPECT_TRUE(eventually([&] {
        ioc.restart();
        ioc.run_for(5ms);
        return client.near_cache()->stats().flushes > before;
    }));
    EXPECT_EQ(client.near_cache()->stats().entries, 0u);
    EXPECT_EQ(get("p:6"), std::optional<std::string>{"v"});
}

// A server that hangs with its kernel still answering TCP (SIGSTOP): the
// tracking link's PING gets no answer within its interval, the link is
// reset and everything read through it dropped, well before a failover
// could promote a replica that someone then writes to.
TEST_F(Live, AHungServerDropsWhatWasReadFromIt) {
    ASSERT_EQ(server.cli({"SET", "p:8", "v"}).out, "OK\n");
    EXPECT_EQ(get("p:8"), std::optional<std::string>{"v"});
    ASSERT_EQ(client.near_cache()->stats().entries, 1u);
    const auto before = client.near_cache()->stats().flushes;
    ::kill(server.pid(), SIGSTOP);
    struct Resume {
        pid_t pid;
        ~Resume() { ::kill(pid, SIGCONT); }
    } resume{server.pid()};
    EXPECT_TRUE(eventually([&] {
        ioc.restart();
        ioc.run_for(10ms);
        return client.near_cache()->stats().flushes > before;
    }));
    EXPECT_EQ(client.near_cache()->stats().entries, 0u);
}

TEST(NearCacheLive, AServerThatRefusesTrackingLeavesItOffAndReadsStillAnswer) {
    test::RedisServer server;
    ASSERT_EQ(server.cli({"ACL", "SETUSER", "default", "-client|tracking"}).out, "OK\n");
    ASSERT_EQ(server.cli({"SET", "p:7", "v"}).out, "OK\n");
    Standalone client{local(server.port())};
    client.use_near_cache(options());
    client.start();
    asio::io_context ioc;
    for (int i = 0; i < 3; ++i) {
        auto r = test::run_on(ioc, client.get("p:7", in(5s)));
        ASSERT_TRUE(r) << r.error().message();
        EXPECT_EQ(*r, std::optional<std::string>{"v"});
    }
    EXPECT_EQ(client.near_cache(), nullptr);
    EXPECT_NE(client.near_cache_refusal().find("NOPERM"), std::string::npos) << client.near_cache_refusal();
    client.stop();
}

// ---- with a real cluster (3 masters, 3 replicas) ---------------------------------

struct LiveCluster : ::testing::Test {
    test::RedisCluster cluster{test::ClusterOptions{.masters = 3, .replicas = 1}};
    std::unique_ptr<Cluster> client;
    asio::io_context ioc;
    void SetUp() override {
        ClusterOptions o;
        o.seeds.push_back(NodeAddress{"127.0.0.1", cluster.any_port()});
        o.refresh_interval = 60s;  // moves are learnt from redirections and refresh_now() only
        client = std::make_unique<Cluster>(o);
        client->use_near_cache(options());
        client->start();
        ASSERT_TRUE(client->refresh_now(5s));
    }
    void TearDown() override { client->stop(); }
    std::optional<std::string> get(const std::string& key) {
        auto r = test::run_on(ioc, client->get(key, in(10s)));
        EXPECT_TRUE(r) << r.error().message();
        return r ? *r : std::nullopt;
    }
    std::uint16_t another_master(std::uint16_t than) {
        for (auto p : cluster.master_ports())
            if (p != than) return p;
        return 0;
    }
};

// A slot moved to another master (keys migrated, the slot reassigned): what
// the old owner served is not answered any more, though the new owner never
// saw this client's reads (its writes are not pushed to it).
TEST_F(LiveCluster, ASlotMovedToAnotherMasterIsNotAnsweredFromTheOldOwnersCopy) {
    const std::string key = "moved:1";
    const int slot = cluster.key_slot(key);
    const auto owner = cluster.port_for_slot(slot);
    ASSERT_EQ(cluster.cli(owner, {"SET", key, "before"}), "OK");
    EXPECT_EQ(get(key), std::optional<std::string>{"before"});
    EXPECT_EQ(get(key), std::optional<std::string>{"before"});
    ASSERT_GE(client->near_cache()->stats().hits, 1u);
    const auto flushes = client->near_cache()->stats().flushes;
    const auto to = another_master(owner);
    cluster.migrate_slot(slot, to);
    ASSERT_EQ(cluster.cli(to, {"SET", key, "after"}), "OK");
    // The old owner's MIGRATE deleted the key there, which Redis pushes as an
    // invalidation; the new slot map flushes the rest.
    EXPECT_TRUE(eventually([&] { return get(key) == std::optional<std::string>{"after"}; }));
    ASSERT_TRUE(client->refresh_now(5s));
    EXPECT_GT(client->near_cache()->stats().flushes, flushes);
    EXPECT_EQ(get(key), std::optional<std::string>{"after"});
}

// A failover (CLUSTER FAILOVER on the replica): the demoted master's copy is
// dropped once the new master is known, and the new master's value is read.
TEST_F(LiveCluster, AFailoverFlushesWhatTheOldMasterServed) {
    const std::string key = "failover:1";
    const auto owner = cluster.port_for_slot(cluster.key_slot(key));
    ASSERT_EQ(cluster.cli(owner, {"SET", key, "before"}), "OK");
    ASSERT_EQ(cluster.cli(owner, {"WAIT", "1", "5000"}), "1");
    EXPECT_EQ(get(key), std::optional<std::string>{"before"});
    const auto flushes = client->near_cache()->stats().flushes;
    const auto replicas = cluster.replicas_of(owner);
    ASSERT_FALSE(replicas.empty());
    cluster.failover(replicas.front());
    ASSERT_TRUE(client->refresh_now(5s));
    EXPECT_GT(client->near_cache()->stats().flushes, flushes);
    EXPECT_EQ(client->near_cache()->stats().entries, 0u);
    ASSERT_EQ(cluster.cli(replicas.front(), {"SET", key, "after"}), "OK");
    EXPECT_TRUE(eventually([&] { return get(key) == std::optional<std::string>{"after"}; }));
}

}  // namespace
}  // namespace yooni::redis
