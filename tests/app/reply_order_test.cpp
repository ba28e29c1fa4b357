// Every answer is its own key's value or an error (issue #10): after a
// request with several replies (a write and its WAIT, a node's MGET group)
// timed out half way, the link must not hand later callers the replies of
// the request that gave up. Real redis-server processes, the real service,
// replicas paused with SIGSTOP while the service's deadlines pass.
#include "support/redis_cluster.hpp"
#include "support/redis_server.hpp"
#include "support/service.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <signal.h>

#include <future>
#include <thread>

namespace yooni::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

std::string value_of(const std::string& key) { return json::serialize(json::object{{"key", key}}); }

// The key a stored value names, or "" when the text is no such value.
std::string key_in(const json::value& v) {
    const auto* o = v.if_object();
    const auto* k = o ? o->if_contains("key") : nullptr;
    return k && k->is_string() ? std::string{k->get_string()} : std::string{};
}

// What one GET answered, checked: its own value (true), an error status
// (false), or a wrong answer (a test failure naming both keys).
bool check_get(const HttpResponse& r, const std::string& key) {
    if (r.status != 200) {
        EXPECT_TRUE(r.status >= 500 || r.status == 0) << "GET " << key << " answered " << r.status << " " << r.body;
        return false;
    }
    boost::system::error_code ec;
    const auto doc = json::parse(r.body, ec);
    EXPECT_FALSE(ec) << "GET " << key << " answered " << r.body;
    EXPECT_EQ(ec ? std::string{} : key_in(doc), key) << "GET " << key << " answered another key's value: " << r.body;
    return !ec && key_in(doc) == key;
}

// One batch get checked the same way: every key's own value, none missing.
bool check_batch(const HttpResponse& r, const std::vector<std::string>& keys) {
    if (r.status != 200) {
        EXPECT_TRUE(r.status >= 500 || r.status == 0) << "batch get answered " << r.status << " " << r.body;
        return false;
    }
    boost::system::error_code ec;
    const auto doc = json::parse(r.body, ec);
    if (ec || !doc.is_object() || !doc.at("values").is_object()) {
        ADD_FAILURE() << "batch get answered " << r.body;
        return false;
    }
    const auto& values = doc.at("values").get_object();
    EXPECT_EQ(doc.at("missing").as_array().size(), 0u) << "keys that exist reported missing: " << r.body;
    bool all = values.size() == keys.size();
    for (const auto& k : keys) {
        const auto* v = values.if_contains(k);
        if (!v) {
            all = false;
            continue;
        }
        EXPECT_EQ(key_in(*v), k) << "batch get gave key " << k << " another key's value: " << json::serialize(*v);
        all = all && key_in(*v) == k;
    }
    return all;
}

std::string batch_body(const std::vector<std::string>& keys) {
    json::array a;
    for (const auto& k : keys) a.emplace_back(k);
    return json::serialize(json::object{{"keys", a}});
}

// Keeps a process paused for as long as it lives; resumes it however the test ends.
class Paused {
public:
    explicit Paused(int pid) : pid_(pid) { ::kill(pid_, SIGSTOP); }
    ~Paused() { ::kill(pid_, SIGCONT); }
    Paused(const Paused&) = delete;
    Paused& operator=(const Paused&) = delete;

private:
    int pid_;
};

// Linked to exactly our replica (its port), and online.
bool replica_linked(RedisServer& master, std::uint16_t replica_port) {
    const auto info = master.cli({"INFO", "replication"});
    return info.out.find("connected_slaves:1") != std::string::npos &&
           info.out.find("port=" + std::to_string(replica_port) + ",state=online") != std::string::npos;
}

// The reproduction of issue #10 as written: a standalone master with one
// replica, writes that WAIT for it, the replica paused, a write timed out
// between its SET's reply and its WAIT's; then four GETs at once.
TEST(ReplyOrder, StandaloneGetsAfterAWriteTimedOutWaitingForAPausedReplica) {
    // A password, so that no other test's replica that keeps retrying a port
    // this master now has can attach and answer the WAIT.
    const std::string password = "reply-order-pw";
    RedisServer master{{.password = password}};
    RedisServer replica{{.extra_args = {"--replicaof", "127.0.0.1", std::to_string(master.port()), "--masterauth",
                                        password}}};
    for (int i = 0; i < 600 && !replica_linked(master, replica.port()); ++i) std::this_thread::sleep_for(50ms);
    ASSERT_TRUE(replica_linked(master, replica.port())) << master.cli({"INFO", "replication"}).out;

    ServiceOptions opt;
    opt.env = {"REDIS_URL=redis://:" + password + "@127.0.0.1:" + std::to_string(master.port()) + "/0",
               "REDIS_WAIT_REPLICAS=1",
               "REDIS_WAIT_TIMEOUT_MS=3000", "HTTP_REQUEST_TIMEOUT_MS=1000", "WORKER_THREADS=1"};
    Service svc{opt};
    const std::vector<std::string> keys{"a", "b", "c", "d"};
    for (const auto& k : keys) ASSERT_EQ(svc.put("/api/v1/cache/" + k, value_of(k)).status, 200) << k;

    Paused paused{replica.pid()};
    const auto timed_out = svc.put("/api/v1/cache/e", value_of("e"));
    EXPECT_EQ(timed_out.status, 504) << timed_out.body << "\n" << master.cli({"INFO", "replication"}).out;

    // Rounds of four GETs sent together, until a round answers all four
    // (the WAIT returns after its 3 s): every answer on the way is checked.
    int rounds = 0, good_rounds = 0;
    while (good_rounds < 3 && rounds < 60 && !HasFailure()) {
        ++rounds;
        std::vector<std::future<HttpResponse>> answers;
        for (const auto& k : keys)
            answers.push_back(std::async(std::launch::async, [&svc, k] { return svc.get("/api/v1/cache/" + k); }));
        int good = 0;
        for (std::size_t i = 0; i < keys.size(); ++i) good += check_get(answers[i].get(), keys[i]) ? 1 : 0;
        if (good == 4) ++good_rounds;
    }
    EXPECT_EQ(good_rounds, 3) << "after " << rounds << " rounds";
    // And one more write timed out the same way, with the GETs right behind it.
    auto late_write = std::async(std::launch::async, [&svc] { return svc.put("/api/v1/cache/f", value_of("f")); });
    for (int i = 0; i < 20 && !HasFailure(); ++i)
        for (const auto& k : keys) check_get(svc.get("/api/v1/cache/" + k), k);
    EXPECT_NE(late_write.get().status, 200);
}

// The cluster case: one master's replica paused with REDIS_WAIT_REPLICAS=1,
// writes to that master timing out between their SET and WAIT replies, and
// batch gets across every node with deadlines that cut groups in half.
TEST(ReplyOrder, ClusterBatchGetsAcrossNodesWhileWritesTimeOutWaiting) {
    // A password, for the same reason as above.
    RedisCluster cluster{{.password = "reply-order-cluster-pw"}};
    ServiceOptions opt;
    opt.env = {"REDIS_CLUSTER_ENABLED=true", "REDIS_CLUSTER_PASSWORD=reply-order-cluster-pw",
               "REDIS_CLUSTER_NODES=[\"127.0.0.1:" + std::to_string(cluster.any_port()) + "\"]",
               "REDIS_WAIT_REPLICAS=1", "REDIS_WAIT_TIMEOUT_MS=2000", "HTTP_REQUEST_TIMEOUT_MS=700",
               "WORKER_THREADS=1"};
    Service svc{opt};
    std::vector<std::string> keys;
    for (int i = 0; i < 30; ++i) keys.push_back("order:" + std::to_string(i));
    for (const auto& k : keys) ASSERT_EQ(svc.put("/api/v1/cache/" + k, value_of(k)).status, 200) << k;

    const auto master = cluster.port_for_slot(cluster.key_slot(keys[0]));
    const auto replicas = cluster.replicas_of(master);
    ASSERT_FALSE(replicas.empty());
    cluster.pause_node(replicas.front());
    struct Resume {
        RedisCluster& c;
        std::uint16_t port;
        ~Resume() { c.resume_node(port); }
    } resume{cluster, replicas.front()};

    // A writer times out three times on the paused replica's master while
    // readers fetch every key, in batches and one by one, during and after.
    std::atomic<int> writes_failed{0};
    auto writer = std::async(std::launch::async, [&] {
        for (int i = 0; i < 3; ++i)
            if (svc.put("/api/v1/cache/" + keys[0], value_of(keys[0])).status != 200) writes_failed.fetch_add(1);
    });
    int good_batches = 0, batches = 0;
    bool writer_done = false;
    // Reads do not queue behind the writes' WAIT (those have links of their
    // own), so batches go fast: the cap only ends a broken run.
    while (!(writer_done && good_batches >= 3) && batches < 30000 && !HasFailure()) {
        std::vector<std::future<HttpResponse>> answers;
        for (int t = 0; t < 3; ++t)
            answers.push_back(std::async(std::launch::async,
                                         [&] { return svc.post("/api/v1/batch/get", batch_body(keys), kReaderToken); }));
        for (std::size_t i = 0; i < 5; ++i) check_get(svc.get("/api/v1/cache/" + keys[i]), keys[i]);
        for (auto& a : answers) {
            ++batches;
            const bool good = check_batch(a.get(), keys);
            if (writer_done) good_batches += good ? 1 : 0;
        }
        writer_done = writer.wait_for(0s) == std::future_status::ready;
    }
    writer.get();
    EXPECT_GE(writes_failed.load(), 3) << "the writes never timed out: the case was not produced";
    EXPECT_GE(good_batches, 3) << "of " << batches << " batches";
}

}  // namespace
}  // namespace yooni::test
