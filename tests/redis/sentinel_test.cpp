// The Sentinel client against real Sentinels (tests/support/redis_sentinel):
// a failover asked of the Sentinels while callers write and read (without
// WAIT no call fails; with WAIT every acknowledged write is read back from
// the new master), and a master killed outright (calls fail only until a
// replica is promoted, then recover by themselves).
#include <yooni/redis/sentinel.hpp>

#include "support/eventually.hpp"
#include "support/asio_run.hpp"
#include "support/redis_sentinel.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <csignal>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

namespace yooni::redis {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

SentinelOptions options_for(const test::RedisSentinelSetup& setup) {
    SentinelOptions o;
    for (int i = 0; i < setup.options().sentinels; ++i) o.sentinels.push_back({"127.0.0.1", setup.sentinel_port(i)});
    o.master_name = setup.options().master_name;
    const auto sentinel_password = setup.options().sentinel_password;
    o.sentinel_connection.credentials = [sentinel_password] { return Credentials{{}, sentinel_password}; };
    o.sentinel_connection.connect_timeout = 1000ms;
    const auto password = setup.options().password;
    o.connection.credentials = [password] { return Credentials{{}, password}; };
    o.connection.connect_timeout = 1000ms;
    o.health_interval = 200ms;
    return o;
}

std::uint16_t master_port(const Sentinel& client) {
    const auto s = std::get<SentinelStatus>(client.status());
    auto a = NodeAddress::parse(s.master);
    return a ? a->port : 0;
}

using test::eventually;
// Callers writing and reading back their own keys until told to stop.
struct Load {
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> ok{0}, failed{0};
    std::mutex mutex;
    WaitFor wait;  // what every write waits for
    struct Ack {
        std::string value;
        Clock::time_point started, acknowledged;  // the write's
        std::vector<std::string> maybe;  // values of failed writes since: they may have run
    };
    std::map<std::string, Ack> acknowledged;  // key -> the last value written and acknowledged, and when
    std::vector<std::pair<Clock::time_point, std::string>> failures;  // when the failed call started, why
    std::atomic<int> running{0};

    void fail(Clock::time_point started, const std::string& why) {
        failed.fetch_add(1);
        std::lock_guard lock{mutex};
        failures.emplace_back(started, why);
    }
};

asio::awaitable<void> caller(Sentinel* client, Load* load, int id) {
    for (int i = 0; !load->stop.load(); ++i) {
        const std::string key = "k" + std::to_string(id) + ":" + std::to_string(i % 50);
        const std::string value = std::to_string(i);
        const KeyValue item{key, value, 0s};
        const WaitFor wait = load->wait;
        auto started = Clock::now();
        auto written = co_await client->set(item, wait, started + 5s);
        if (!written) {
            load->fail(started, "SET " + written.error().message());
            std::lock_guard lock{load->mutex};
            if (auto at = load->acknowledged.find(key); at != load->acknowledged.end()) at->second.maybe.push_back(value);
            continue;
        }
        {
            std::lock_guard lock{load->mutex};
            load->acknowledged[key] = Load::Ack{value, started, Clock::now(), {}};
        }
        started = Clock::now();
        auto read = co_await client->get(key, started + 5s);
        if (!read) {
            load->fail(started, "GET " + read.error().message());
            continue;
        }
        // Only this caller writes the key: a read must see its last write.
        if (*read != std::optional<std::string>{value}) {
            load->fail(started, "GET " + key + " answered " + read->value_or("(nil)") + ", wrote " + value);
            continue;
        }
        load->ok.fetch_add(1);
    }
    load->running.fetch_sub(1);
}

// Worker threads running the callers, like the service's workers: one
// io_context per thread (a connection belongs to one worker).
struct Workers {
    static constexpr int kThreads = 2;
    std::vector<std::unique_ptr<asio::io_context>> contexts;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    std::vector<std::thread> threads;
    Load* load = nullptr;
    void start(Sentinel& client, Load& l, int callers) {
        load = &l;
        l.running = callers;
        for (int t = 0; t < kThreads; ++t) {
            contexts.push_back(std::make_unique<asio::io_context>(1));
            guards.emplace_back(contexts.back()->get_executor());
        }
        for (int c = 0; c < callers; ++c)
            asio::co_spawn(*contexts[static_cast<std::size_t>(c % kThreads)], caller(&client, &l, c), asio::detached);
        for (auto& ioc : contexts) threads.emplace_back([ioc = ioc.get()] { ioc->run(); });
    }
    void finish(Load& l) {
        l.stop = true;
        eventually([&] { return l.running.load() == 0; });
        guards.clear();
        for (auto& ioc : contexts) ioc->stop();
        for (auto& t : threads) t.join();
        threads.clear();
        load = nullptr;
    }
    ~Workers() {
        if (load) finish(*load);
    }
};

std::string first_failures(Load& load) {
    std::lock_guard lock{load.mutex};
    std::string out = std::to_string(load.failed.load()) + " failed calls";
    for (std::size_t i = 0; i < load.failures.size() && i < 5; ++i) out += "; " + load.failures[i].second;
    return out;
}

// SENTINEL FAILOVER while 4 callers write and read: the order of events
// and what the callers saw, for the two tests below.
struct FailoverRun {
    Load load;
    Clock::time_point asked, switched;
    Clock::time_point replica_back;  // the new master has a replica online again
    std::uint64_t retries = 0, failovers = 0;
};

void failover_under_load(test::RedisSentinelSetup& setup, FailoverRun& run) {
    Sentinel client{options_for(setup)};
    client.start();
    ASSERT_TRUE(eventually([&] { return client.ready(); })) << client.last_error();
    ASSERT_EQ(master_port(client), setup.node(0).port());

    Workers workers;
    workers.start(client, run.load, 4);
    ASSERT_TRUE(eventually([&] { return run.load.ok.load() >= 200; })) << first_failures(run.load);

    run.asked = Clock::now();
    const auto failover = setup.sentinel_cli(0, {"SENTINEL", "FAILOVER", setup.options().master_name});
    ASSERT_EQ(failover.out, "OK\n") << failover.out << failover.err;
    ASSERT_TRUE(eventually([&] { return master_port(client) == setup.node(1).port(); }))
        << client.last_error() << setup.logs();
    run.switched = Clock::now();
    // Writes that wait for a replica: the old master comes back as the new
    // master's replica (the Sentinels wait a while before they reconfigure
    // it, then a full sync).
    if (run.load.wait.replicas > 0) {
        ASSERT_TRUE(eventually([&] {
            return setup.node(1).cli({"INFO", "replication"}).out.find("state=online") != std::string::npos;
        })) << setup.logs();
    }
    run.replica_back = Clock::now();
    // Calls go on against the new master for a while.
    const auto ok_at_switch = run.load.ok.load();
    ASSERT_TRUE(eventually([&] { return run.load.ok.load() >= ok_at_switch + 500; })) << client.last_error();
    workers.finish(run.load);
    client.stop();
    const auto s = std::get<SentinelStatus>(client.status());
    run.retries = s.retries;
    run.failovers = s.failovers;
    std::cout << "failover (WAIT " << run.load.wait.replicas << "): " << run.load.ok.load() << " calls ok, "
              << run.load.failed.load() << " failed; switched "
              << std::chrono::duration_cast<std::chrono::milliseconds>(run.switched - run.asked).count()
              << " ms after SENTINEL FAILOVER; ";
    if (run.load.wait.replicas > 0)
        std::cout << "a replica online again after "
                  << std::chrono::duration_cast<std::chrono::milliseconds>(run.replica_back - run.asked).count()
                  << " ms; ";
    std::cout << "retries " << run.retries << "\n";
}

// Acknowledged writes the new master does not have, split by whether they
// ran while the switch was under way (acknowledged after SENTINEL FAILOVER
// was asked, started before the client had moved).
struct Lost {
    std::size_t during = 0, outside = 0;
    std::vector<std::string> examples;
};

Lost lost_writes(test::RedisSentinelSetup& setup, const FailoverRun& run) {
    Lost lost;
    for (const auto& [key, ack] : run.load.acknowledged) {
        const auto got = setup.node(1).cli({"GET", key});
        if (got.out == ack.value + "\n") continue;
        bool unacknowledged = false;  // a later write that failed, yet ran
        for (const auto& v : ack.maybe) unacknowledged = unacknowledged || got.out == v + "\n";
        if (unacknowledged) continue;
        (ack.acknowledged >= run.asked && ack.started <= run.switched ? lost.during : lost.outside) += 1;
        if (lost.examples.size() < 5)
            lost.examples.push_back(key + ": acknowledged " + ack.value + ", the new master has " + got.out);
    }
    return lost;
}

// Without WAIT no call fails: writes the old master refuses (NOREPLICAS,
// READONLY) are sent again to the new one. Redis replicates asynchronously,
// so a write the old master acknowledged in the instant between the
// replica's promotion and its noticing the replica gone (min-replicas-to-write
// counts the replica until then) can be missing from the new master; every
// write acknowledged outside the switch is there.
TEST(Sentinel, FailoverUnderLoadFailsNoCall) {
    test::RedisSentinelSetup setup;
    FailoverRun run;
    failover_under_load(setup, run);
    if (HasFatalFailure()) return;
    for (std::size_t i = 0; i < run.load.failures.size() && i < 10; ++i) ADD_FAILURE() << run.load.failures[i].second;
    EXPECT_EQ(run.load.failed.load(), 0u);
    EXPECT_EQ(run.failovers, 1u);
    ASSERT_FALSE(run.load.acknowledged.empty());
    const auto lost = lost_writes(setup, run);
    std::cout << "acknowledged writes missing from the new master: " << lost.during << " during the switch, "
              << lost.outside << " outside it, of " << run.load.acknowledged.size() << " keys\n";
    for (const auto& e : lost.examples) std::cout << "  " << e << "\n";
    EXPECT_EQ(lost.outside, 0u);
}

// With WAIT 1 (REDIS_WAIT_REPLICAS=1) no acknowledged write is lost, not
// even in the switch: a write the old master took after the promotion gets
// no replica's confirmation and fails (not_replicated, or the link the old
// master drops as it becomes a replica), never acknowledged. The price:
// the new master has no replica until the old one has synced from it, and
// writes fail meanwhile. Only writes fail, only until a replica is online
// again, and no read is ever wrong.
TEST(Sentinel, FailoverUnderLoadWithWaitLosesNoAcknowledgedWrite) {
    test::RedisSentinelSetup setup;
    FailoverRun run;
    run.load.wait = WaitFor{1, 1000ms};
    failover_under_load(setup, run);
    if (HasFatalFailure()) return;
    for (const auto& [when, why] : run.load.failures) {
        EXPECT_EQ(why.rfind("SET ", 0), 0u) << why;
        EXPECT_LT(when, run.replica_back) << why;
    }
    EXPECT_EQ(run.failovers, 1u);
    ASSERT_FALSE(run.load.acknowledged.empty());
    const auto lost = lost_writes(setup, run);
    for (const auto& e : lost.examples) ADD_FAILURE() << e;
    EXPECT_EQ(lost.during + lost.outside, 0u) << "of " << run.load.acknowledged.size() << " keys";
}

TEST(Sentinel, KilledMasterFailsCallsOnlyUntilTheReplicaIsPromoted) {
    test::RedisSentinelSetup setup;
    Sentinel client{options_for(setup)};
    client.start();
    ASSERT_TRUE(eventually([&] { return client.ready(); })) << client.last_error();

    Load load;
    Workers workers;
    workers.start(client, load, 4);
    ASSERT_TRUE(eventually([&] { return load.ok.load() >= 200; })) << first_failures(load);

    const auto killed = Clock::now();
    ::kill(setup.node(0).pid(), SIGKILL);
    ASSERT_TRUE(eventually([&] { return master_port(client) == setup.node(1).port() && client.ready(); }))
        << client.last_error() << setup.logs();
    const auto switched = Clock::now();
    const auto ok_at_switch = load.ok.load();
    ASSERT_TRUE(eventually([&] { return load.ok.load() >= ok_at_switch + 500; })) << client.last_error();
    workers.finish(load);
    client.stop();

    std::cout << "master killed: " << load.failed.load() << " calls failed; the client used the promoted replica "
              << std::chrono::duration_cast<std::chrono::milliseconds>(switched - killed).count()
              << " ms after the kill; " << load.ok.load() << " calls ok\n";
    {
        std::map<std::string, int> reasons;
        for (const auto& [when, why] : load.failures) ++reasons[why];
        for (const auto& [why, n] : reasons) std::cout << "  " << n << " x " << why << "\n";
    }
    // Every failure is of a call that started before the client knew the new
    // master: writes in flight when the link broke (they may have run, so
    // they are not sent again), and, at times, a read-back of a write the
    // dying master acknowledged but had not yet streamed to its replica
    // (Redis replicates asynchronously: REDIS_WAIT_REPLICAS closes that gap,
    // at the price of refused writes while no replica is attached).
    for (const auto& [when, why] : load.failures)
        EXPECT_LT(when, switched) << why << " at +"
                                  << std::chrono::duration_cast<std::chrono::milliseconds>(when - killed).count()
                                  << " ms";
    // Callers wrote their keys again after the switch: the new master has them.
    EXPECT_GE(std::get<SentinelStatus>(client.status()).failovers, 1u);
}

// Roles swapped behind the client's back, without a +switch-master event
// (the Sentinels told to monitor the new master by hand) and without the
// client's own ROLE checks: the write refused with READONLY by the old
// master starts the new lookup, and is sent again to the new master.
TEST(Sentinel, AWriteRefusedAsReadonlyIsSentAgainToTheNewMaster) {
    test::RedisSentinelSetup setup;
    auto options = options_for(setup);
    options.health_interval = std::chrono::hours{1};
    Sentinel client{options};
    client.start();
    ASSERT_TRUE(eventually([&] { return client.ready(); })) << client.last_error();
    asio::io_context ioc;
    const KeyValue first{"ro:1", "before", 0s};
    ASSERT_TRUE(test::run_on(ioc, client.set(first, {}, Clock::now() + 5s)));

    const auto& name = setup.options().master_name;
    for (int i = 0; i < 3; ++i) ASSERT_EQ(setup.sentinel_cli(i, {"SENTINEL", "REMOVE", name}).out, "OK\n");
    ASSERT_EQ(setup.node(1).cli({"REPLICAOF", "NO", "ONE"}).out, "OK\n");
    ASSERT_EQ(setup.node(0).cli({"REPLICAOF", "127.0.0.1", std::to_string(setup.node(1).port())}).out, "OK\n");
    ASSERT_TRUE(eventually([&] {
        return setup.node(0).cli({"INFO", "replication"}).out.find("master_link_status:up") != std::string::npos;
    }));
    for (int i = 0; i < 3; ++i) {
        ASSERT_EQ(setup.sentinel_cli(i, {"SENTINEL", "MONITOR", name, "127.0.0.1", std::to_string(setup.node(1).port()), "2"}).out,
                  "OK\n");
        ASSERT_EQ(setup.sentinel_cli(i, {"SENTINEL", "SET", name, "auth-pass", setup.options().password}).out, "OK\n");
    }
    EXPECT_EQ(master_port(client), setup.node(0).port());  // nothing told the client yet

    const KeyValue second{"ro:1", "after", 0s};
    auto written = test::run_on(ioc, client.set(second, {}, Clock::now() + 5s));
    ASSERT_TRUE(written) << written.error().message() << "; " << client.last_error();
    EXPECT_EQ(master_port(client), setup.node(1).port());
    const auto s = std::get<SentinelStatus>(client.status());
    EXPECT_GE(s.retries, 1u);
    EXPECT_EQ(s.failovers, 1u);
    EXPECT_EQ(setup.node(1).cli({"GET", "ro:1"}).out, "after\n");
    client.stop();
}

// The Sentinel followed for +switch-master stops: the subscription moves to
// another one, and a failover is then learnt from its event alone (no calls,
// no ROLE checks to notice it otherwise).
TEST(Sentinel, TheSubscriptionMovesToAnotherSentinelWhenItsOwnStops) {
    test::RedisSentinelSetup setup;
    auto options = options_for(setup);
    options.health_interval = std::chrono::hours{1};
    Sentinel client{options};
    client.start();
    auto followed = [&] { return std::get<SentinelStatus>(client.status()).subscribed; };
    ASSERT_TRUE(eventually([&] { return client.ready() && !followed().empty(); })) << client.last_error();
    const auto first = followed();
    int stopped = -1;
    for (int i = 0; i < 3; ++i)
        if (first == "127.0.0.1:" + std::to_string(setup.sentinel_port(i))) stopped = i;
    ASSERT_GE(stopped, 0) << first;
    setup.stop_sentinel(stopped);
    ASSERT_TRUE(eventually([&] { return !followed().empty() && followed() != first; })) << followed();

    const int other = (stopped + 1) % 3;
    ASSERT_EQ(setup.sentinel_cli(other, {"SENTINEL", "FAILOVER", setup.options().master_name}).out, "OK\n");
    ASSERT_TRUE(eventually([&] { return master_port(client) == setup.node(1).port(); }))
        << client.last_error() << setup.logs();
    EXPECT_GE(std::get<SentinelStatus>(client.status()).switch_events, 1u);
    client.stop();
}

TEST(Sentinel, ReadsGoToAHealthyReplicaAndToTheMasterWhenItIsGone) {
    test::RedisSentinelSetup setup;
    auto options = options_for(setup);
    options.read_from_replicas = true;
    Sentinel client{options};
    client.start();
    const auto replica = "127.0.0.1:" + std::to_string(setup.node(1).port());
    ASSERT_TRUE(eventually([&] {
        const auto s = std::get<SentinelStatus>(client.status());
        return client.ready() && s.replicas == std::vector<std::string>{replica};
    })) << client.last_error();
    asio::io_context ioc;
    const KeyValue item{"r:1", "v", 0s};
    ASSERT_TRUE(test::run_on(ioc, client.set(item, {}, Clock::now() + 5s)));
    ASSERT_EQ(setup.node(1).cli({"WAIT", "0", "0"}).exit_code, 0);
    auto gets_on = [](test::RedisServer& node) {
        const auto info = node.cli({"INFO", "commandstats"}).out;
        const auto at = info.find("cmdstat_get:calls=");
        return at == std::string::npos ? 0 : std::stoi(info.substr(at + 18));
    };
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(test::run_on(ioc, client.get("r:1", Clock::now() + 5s)));
    EXPECT_GE(gets_on(setup.node(1)), 20);
    EXPECT_EQ(gets_on(setup.node(0)), 0);

    // The replica killed: reads fall back to the master at once, and the
    // replica leaves the list once the Sentinels flag it down.
    ::kill(setup.node(1).pid(), SIGKILL);
    for (int i = 0; i < 20; ++i) {
        auto got = test::run_on(ioc, client.get("r:1", Clock::now() + 5s));
        ASSERT_TRUE(got) << got.error().message();
        EXPECT_EQ(*got, std::optional<std::string>{"v"});
    }
    EXPECT_TRUE(eventually([&] { return std::get<SentinelStatus>(client.status()).replicas.empty(); }))
        << client.last_error();
    client.stop();
}

}  // namespace
}  // namespace yooni::redis
