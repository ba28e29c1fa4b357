// The typed status and cluster state rendered as the service's JSON: the
// Python system's cluster/info shape, and /health/detailed's backend details.
#include <yooni/http/status_json.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace yooni::http {
namespace {

TEST(MonitoringClusterInfo, HasThePythonSystemsShape) {
    const std::map<std::string, std::string> info{
        {"cluster_state", "ok"},           {"cluster_slots_assigned", "16384"}, {"cluster_slots_ok", "16384"},
        {"cluster_slots_pfail", "0"},      {"cluster_slots_fail", "0"},         {"cluster_known_nodes", "6"},
        {"cluster_size", "3"},             {"cluster_current_epoch", "6"}};
    auto nodes = redis::parse_cluster_nodes(
        "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@31001 myself,master - 0 0 1 connected 0-5460\n"
        "07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004 slave "
        "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected\n");
    ASSERT_TRUE(nodes);
    redis::ClusterInfo doc{info, {}};
    for (auto& n : *nodes) doc.nodes.push_back({n, {}, {}, {}, {}});
    EXPECT_EQ(boost::json::serialize(cluster_info_json(doc)),
              R"({"cluster_enabled":true,"cluster_state":"ok","cluster_size":3,"cluster_known_nodes":6,)"
              R"("cluster_slots_assigned":16384,"cluster_slots_ok":16384,"cluster_slots_pfail":0,"cluster_slots_fail":0,)"
              R"("nodes":[{"id":"e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca","address":"127.0.0.1:30001",)"
              R"("flags":["myself","master"],"master_id":null,"ping_sent":0,"pong_recv":0,"config_epoch":1,)"
              R"("link_state":"connected","slots":["0-5460"],"hostname":"","role":"master","slot_count":5461,)"
              R"("migrating":[],"importing":[]},)"
              R"({"id":"07c37dfeb235213a872192d90877d0cd55635b91","address":"127.0.0.1:30004","flags":["slave"],)"
              R"("master_id":"e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca","ping_sent":0,"pong_recv":1426238317239,)"
              R"("config_epoch":4,"link_state":"connected","slots":[],"hostname":"","role":"replica",)"
              R"("slot_count":0,"migrating":[],"importing":[]}],"warnings":[]})");
}

TEST(MonitoringClusterInfo, MissingFieldsAreNull) {
    const auto json = cluster_info_json(redis::ClusterInfo{{{"cluster_state", "fail"}}, {}});
    EXPECT_EQ(boost::json::serialize(json),
              R"({"cluster_enabled":true,"cluster_state":"fail","cluster_size":null,"cluster_known_nodes":null,)"
              R"("cluster_slots_assigned":null,"cluster_slots_ok":null,"cluster_slots_pfail":null,)"
              R"("cluster_slots_fail":null,"nodes":[],"warnings":[]})");
}

TEST(MonitoringClusterInfo, WhatEachNodeSaidOfItselfIsAdded) {
    auto nodes = redis::parse_cluster_nodes(
        "07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004 slave "
        "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected\n");
    ASSERT_TRUE(nodes);
    redis::ClusterInfo doc{{{"cluster_state", "ok"}}, {{nodes->front(), "slave", 12, 1048576, 7}}};
    const auto node = cluster_info_json(doc).at("nodes").at(0).as_object();
    EXPECT_EQ(node.at("role"), "slave");  // INFO's word for it, as the Python system showed
    EXPECT_EQ(node.at("keys"), 12);
    EXPECT_EQ(node.at("used_memory_bytes"), 1048576);
    EXPECT_EQ(node.at("ops_per_sec"), 7);
}

TEST(MonitoringClusterInfo, NotAClusterSaysSo) {
    EXPECT_EQ(boost::json::serialize(cluster_info_json(std::nullopt)),
              R"({"cluster_enabled":false,"message":"Cache is not running in cluster mode"})");
}

TEST(StatsJson, HasThePythonSystemsFieldsAndLatencyPerOperation) {
    cache::Stats s;
    s.hits = 1;
    s.misses = 1;
    s.latency[static_cast<std::size_t>(cache::Op::get)].observe(std::chrono::milliseconds(2));
    const auto o = stats_json(s);
    EXPECT_EQ(o.at("hits").as_uint64(), 1u);
    EXPECT_EQ(o.at("misses").as_uint64(), 1u);
    EXPECT_EQ(o.at("total_requests").as_uint64(), 2u);
    EXPECT_EQ(o.at("hit_rate").as_string(), "50.00%");
    EXPECT_EQ(o.at("latency").at("get").at("count").as_uint64(), 1u);
    EXPECT_FALSE(o.at("compression").as_object().contains("space_saved_bytes"));  // nothing compressed yet
}

TEST(StatusJson, KeepsTheFieldNamesOperatorsRead) {
    EXPECT_EQ(boost::json::serialize(status_json(cache::MemoryStatus{3, 300, 1000, 1, 2})),
              R"({"backend":"memory","entries":3,"bytes":300,"max_bytes":1000,"evictions":1,"expirations":2})");
    redis::ClusterStatus c;
    c.seeds = {"127.0.0.1:7000"};
    c.connected = true;
    c.counters.moved = 5;
    c.uncovered_slots = 0;
    c.health = redis::ClusterHealth{"ok", 16384, 16384, 0, 0, 6, 3};
    const auto o = status_json(c);
    EXPECT_EQ(o.at("backend"), "redis-cluster");
    EXPECT_EQ(o.at("counters").at("moved"), 5);
    EXPECT_EQ(o.at("cluster_health").at("state"), "ok");
    EXPECT_EQ(o.at("cluster_health").at("size"), 3);
    EXPECT_EQ(o.at("seeds").at(0), "127.0.0.1:7000");
    redis::StandaloneStatus s;
    s.address = "127.0.0.1:6379";
    s.last_error = "127.0.0.1:6379: Connection refused";
    const auto so = status_json(s);
    EXPECT_EQ(so.at("backend"), "redis");
    EXPECT_EQ(so.at("last_error"), "127.0.0.1:6379: Connection refused");
    EXPECT_EQ(cache::last_error_of(s), "127.0.0.1:6379: Connection refused");
}

TEST(StatusJson, SentinelStatusNamesTheSentinelsTheMasterAndTheFailovers) {
    redis::SentinelStatus s;
    s.master_name = "mymaster";
    s.sentinels = {{"10.0.0.1:26379", true, ""}, {"10.0.0.2:26379", false, "Connection refused"}};
    s.master = "10.0.0.5:6379";
    s.connected = true;
    s.replicas = {"10.0.0.6:6379"};
    s.failovers = 2;
    s.last_error = "";
    const auto o = status_json(s);
    EXPECT_EQ(o.at("backend"), "redis-sentinel");
    EXPECT_EQ(o.at("master_name"), "mymaster");
    EXPECT_EQ(o.at("master"), "10.0.0.5:6379");
    EXPECT_EQ(o.at("connected"), true);
    EXPECT_EQ(o.at("sentinels").at(1).at("answered"), false);
    EXPECT_EQ(o.at("sentinels").at(1).at("last_error"), "Connection refused");
    EXPECT_EQ(o.at("replicas").at(0), "10.0.0.6:6379");
    EXPECT_EQ(o.at("failovers"), 2);
    // No master known: null, and the cause is the backend's last error.
    s.master.clear();
    s.connected = false;
    s.last_error = "no master confirmed for \"mymaster\"";
    EXPECT_TRUE(status_json(s).at("master").is_null());
    EXPECT_EQ(cache::last_error_of(s), "no master confirmed for \"mymaster\"");
}

}  // namespace
}  // namespace yooni::http
