// Every variable: its default, one accepted value and one refused value
// whose message names the variable and the expected form.
#include "config/dotenv.hpp"
#include "config/text.hpp"
#include "yooni/config/settings.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <unistd.h>

namespace yooni::config {
namespace {

using namespace std::chrono_literals;

struct VariableCase {
    std::string name;
    std::string good;
    std::function<bool(const Settings&)> holds;   // what `good` must set
    std::string bad;                              // empty: every text is accepted
    std::string expected;                         // part of the "expected ..." phrase
    std::map<std::string, std::string> extra{};   // other variables the good value needs
};

// A readable file for REDIS_TLS_CA_FILE (load() checks only that it can be read).
std::string ca_file() {
    const auto path = std::filesystem::temp_directory_path() /
                      ("yooni-config-test-ca-" + std::to_string(::getpid()) + ".pem");
    if (!std::filesystem::exists(path)) std::ofstream(path) << "-----BEGIN CERTIFICATE-----\n";
    return path.string();
}

std::vector<VariableCase> cases() {
    return {
        {"REDIS_CLUSTER_ENABLED", "On", [](const Settings& s) { return s.redis.cluster_enabled; }, "maybe", "a boolean",
         {{"REDIS_CLUSTER_NODES", "n1:7000"}}},
        {"REDIS_CLUSTER_NODES", " n1:7000 , n2:7001 ",
         [](const Settings& s) { return s.redis.cluster_nodes == std::vector<std::string>{"n1:7000", "n2:7001"}; },
         "n1", "host:port"},
        {"REDIS_CLUSTER_PASSWORD", "cluster pw", [](const Settings& s) { return s.redis.cluster_password.reveal() == "cluster pw"; },
         "", ""},
        {"REDIS_SENTINEL_NODES", " s1:26379 , s2:26380 ",
         [](const Settings& s) { return s.redis.sentinel_nodes == std::vector<std::string>{"s1:26379", "s2:26380"}; },
         "s1", "host:port", {{"REDIS_SENTINEL_MASTER", "mymaster"}}},
        {"REDIS_SENTINEL_MASTER", " mymaster ", [](const Settings& s) { return s.redis.sentinel_master == "mymaster"; },
         "my master", "a master name without blanks or control characters", {{"REDIS_SENTINEL_NODES", "s1:26379"}}},
        {"REDIS_SENTINEL_PASSWORD", "sentinel pw",
         [](const Settings& s) { return s.redis.sentinel_password.reveal() == "sentinel pw"; }, "", ""},
        {"REDIS_SENTINEL_USERNAME", " watcher ", [](const Settings& s) { return s.redis.sentinel_username == "watcher"; },
         "a b", "an ACL user name without blanks or control characters"},
        {"REDIS_URL", "redis://cache.internal:6380/2",
         [](const Settings& s) { return s.redis.url == "redis://cache.internal:6380/2"; }, "http://cache.internal",
         "scheme redis:// or rediss://"},
        {"REDIS_HOST", "redis.internal", [](const Settings& s) { return s.redis.host == "redis.internal"; }, "bad host!",
         "a host name, an IPv4 address or an IPv6 address"},
        {"REDIS_PORT", "6380", [](const Settings& s) { return s.redis.port == 6380; }, "70000", "an integer port 1..65535"},
        {"REDIS_DB", "15", [](const Settings& s) { return s.redis.db == 15; }, "16", "a database number 0..15"},
        {"REDIS_PASSWORD", "p@ss w0rd ", [](const Settings& s) { return s.redis.password.reveal() == "p@ss w0rd "; }, "", ""},
        {"REDIS_SSL", "TRUE", [](const Settings& s) { return s.redis.ssl; }, "2", "a boolean"},
        {"REDIS_POOL_SIZE", "20", [](const Settings& s) { return s.redis.pool_size == 20; }, "0", "an integer 1..1000"},
        {"REDIS_FALLBACK_TO_MEMORY", " y ", [](const Settings& s) { return s.redis.fallback_to_memory; }, "enabled",
         "a boolean"},
        {"REDIS_CLUSTER_USERNAME", " app-user ", [](const Settings& s) { return s.redis.cluster_username == "app-user"; },
         "app user", "an ACL user name without blanks or control characters"},
        {"REDIS_TLS_CA_FILE", ca_file(), [](const Settings& s) { return s.redis.tls_ca_file == ca_file(); },
         "/nonexistent/yooni-ca.pem", "a readable CA file (PEM)"},
        {"REDIS_TLS_SERVER_NAME", "cache.example.com",
         [](const Settings& s) { return s.redis.tls_server_name == "cache.example.com"; }, "*.example.com",
         "the host name the server certificate is issued for"},
        {"REDIS_CLUSTER_ADDRESS_MAP", "10.0.0.1:7000=127.0.0.1:7100, [fd00::1]:7001=redis-1:7101",
         [](const Settings& s) {
             return s.redis.address_map == std::vector<std::pair<std::string, std::string>>{
                                               {"10.0.0.1:7000", "127.0.0.1:7100"}, {"[fd00::1]:7001", "redis-1:7101"}};
         },
         "10.0.0.1:7000", "announced_host:port=reachable_host:port"},
        {"REDIS_READ_FROM_REPLICAS", "yes", [](const Settings& s) { return s.redis.read_from_replicas; }, "sometimes",
         "a boolean"},
        {"REDIS_CONNECT_TIMEOUT_MS", "500", [](const Settings& s) { return s.redis.connect_timeout == 500ms; }, "0",
         "milliseconds as an integer 1..3600000"},
        {"REDIS_TCP_USER_TIMEOUT_MS", "0", [](const Settings& s) { return s.redis.tcp_user_timeout == 0ms; }, "999",
         "milliseconds as an integer 1000..600000, or 0"},
        {"REDIS_CLUSTER_REFRESH_INTERVAL_MS", "100", [](const Settings& s) { return s.redis.refresh_interval == 100ms; },
         "99", "milliseconds as an integer 100..3600000"},
        {"REDIS_WAIT_REPLICAS", "2", [](const Settings& s) { return s.redis.wait_replicas == 2; }, "6",
         "a replica count 0..5"},
        {"REDIS_WAIT_TIMEOUT_MS", "60000", [](const Settings& s) { return s.redis.wait_timeout == 60000ms; }, "60001",
         "milliseconds as an integer 1..60000"},
        {"NEAR_CACHE_MAX_BYTES", "1048576", [](const Settings& s) { return s.redis.near_cache_max_bytes == 1048576; }, "-1",
         "a byte count 0..1099511627776"},
        {"NEAR_CACHE_TTL_MS", "500", [](const Settings& s) { return s.redis.near_cache_ttl == 500ms; }, "0",
         "milliseconds as an integer 1..3600000"},
        {"NEAR_CACHE_STALE_IF_ERROR_MS", "2500",
         [](const Settings& s) { return s.redis.near_cache_stale_if_error == 2500ms; }, "-5",
         "milliseconds as an integer 0..3600000 (0 = never)"},
        {"CACHE_TTL_SECONDS", "0", [](const Settings& s) { return s.cache.ttl == 0s; }, "-1",
         "seconds as an integer 0..2147483647"},
        {"CACHE_KEY_PREFIX", "", [](const Settings& s) { return s.cache.key_prefix.empty(); }, "", ""},
        {"CACHE_COMPRESSION_ENABLED", "off", [](const Settings& s) { return !s.cache.compression_enabled; }, "nope",
         "a boolean"},
        {"CACHE_COMPRESSION_THRESHOLD", "2048", [](const Settings& s) { return s.cache.compression_threshold_bytes == 2048; },
         "1KB", "bytes as an integer 1..2147483647"},
        {"CACHE_COMPRESSION_LEVEL", "9", [](const Settings& s) { return s.cache.compression_level == 9; }, "10",
         "a gzip level 1..9"},
        {"CACHE_VALUE_FORMAT", "GZIP", [](const Settings& s) { return s.cache.value_format == ValueFormat::gzip; }, "zstd",
         "legacy or gzip"},
        {"CACHE_MEMORY_MAX_BYTES", "512MiB", [](const Settings& s) { return s.cache.memory_max_bytes == 512u << 20; },
         "512KiB", "a size 1MiB..1024GiB"},
        {"SECRET_KEY", "k", [](const Settings& s) { return s.auth.secret_key.reveal() == "k"; }, "", ""},
        {"API_TOKENS", "ci:write:abcdefghijklmnop",
         [](const Settings& s) {
             return s.auth.static_tokens.size() == 1 && s.auth.static_tokens[0].name == "ci" &&
                    s.auth.static_tokens[0].role == Role::write &&
                    s.auth.static_tokens[0].token.reveal() == "abcdefghijklmnop";
         },
         "ci:write:short", "name:role:token entries separated by commas"},
        {"AUTH_ADMIN_SUBJECTS", "alice, bob",
         [](const Settings& s) { return s.auth.admin_subjects == std::vector<std::string>{"alice", "bob"}; },
         "[{}]", "a comma list of JWT subjects or a JSON list of strings"},
        {"AUTH_DEFAULT_ROLE", " Admin", [](const Settings& s) { return s.auth.default_role == Role::admin; }, "root",
         "read, write or admin"},
        {"AUTH_AUDIENCE", " yooni-cache ", [](const Settings& s) { return s.auth.audience == "yooni-cache"; },
         "yooni\ncache", "the exact text of the claim, without control characters"},
        {"AUTH_ISSUER", "https://auth.yooni.example", [](const Settings& s) { return s.auth.issuer == "https://auth.yooni.example"; },
         "https://auth\t.example", "the exact text of the claim, without control characters"},
        {"AUTH_LEEWAY_SECONDS", "0", [](const Settings& s) { return s.auth.leeway == 0s; }, "301",
         "seconds as an integer 0..300"},
        {"API_KEY_PREFIXES", " product: , order:,",
         [](const Settings& s) { return s.auth.key_prefixes == std::vector<std::string>{"product:", "order:"}; },
         "product:,order:*", "a comma list (or JSON list) of key prefixes, each non-empty and without the glob characters"},
        {"METRICS_TOKEN", "metrics-token-0123456789",
         [](const Settings& s) { return s.auth.metrics_token.reveal() == "metrics-token-0123456789"; }, "short-token",
         "a token of 16 or more visible ASCII characters"},
        {"HOST", "::", [](const Settings& s) { return s.http.host == "::"; }, "", "a host name, an IPv4 address or an IPv6 address"},
        {"PORT", "0", [](const Settings& s) { return s.http.port == 0; }, "65536", "an integer port 0..65535"},
        {"WORKER_THREADS", "4", [](const Settings& s) { return s.http.worker_threads == 4; }, "257", "an integer 0..256"},
        {"HTTP_MAX_CONNECTIONS", "500", [](const Settings& s) { return s.http.max_connections == 500; }, "0",
         "an integer 1..1000000"},
        {"HTTP_MAX_HEADER_BYTES", "32768", [](const Settings& s) { return s.http.max_header_bytes == 32768; }, "0x4000",
         "an integer 1..1048576"},
        {"HTTP_MAX_BODY_BYTES", "1048576", [](const Settings& s) { return s.http.max_body_bytes == 1048576; }, "2147483648",
         "an integer 1..1073741824"},
        {"HTTP_MAX_RESPONSE_BYTES", "1048576", [](const Settings& s) { return s.http.max_response_bytes == 1048576; }, "4294967297",
         "an integer 1..4294967296"},
        {"HTTP_GZIP_MIN_BYTES", "0", [](const Settings& s) { return s.http.gzip_min_bytes == 0; }, "-1",
         "an integer 0..4294967296"},
        {"CACHE_MAX_KEY_BYTES", "512", [](const Settings& s) { return s.http.max_key_bytes == 512; }, "65537",
         "an integer 1..65536"},
        {"HTTP_MAX_BATCH_KEYS", "10", [](const Settings& s) { return s.http.max_batch_keys == 10; }, "100001",
         "an integer 1..100000"},
        {"HTTP_HEADER_TIMEOUT_MS", "2500", [](const Settings& s) { return s.http.header_timeout == 2500ms; }, "0",
         "milliseconds as an integer 1..3600000"},
        {"HTTP_BODY_TIMEOUT_MS", "2500", [](const Settings& s) { return s.http.body_timeout == 2500ms; }, "1.5",
         "milliseconds as an integer 1..3600000"},
        {"HTTP_WRITE_TIMEOUT_MS", "2500", [](const Settings& s) { return s.http.write_timeout == 2500ms; }, "5s",
         "milliseconds as an integer 1..3600000"},
        {"HTTP_IDLE_TIMEOUT_MS", "2500", [](const Settings& s) { return s.http.idle_timeout == 2500ms; }, "-1",
         "milliseconds as an integer 1..3600000"},
        {"HTTP_REQUEST_TIMEOUT_MS", "2500", [](const Settings& s) { return s.http.request_timeout == 2500ms; }, "",
         "milliseconds as an integer 1..3600000"},
        {"SHUTDOWN_GRACE_MS", "3600000", [](const Settings& s) { return s.http.shutdown_grace == 3600000ms; }, "3600001",
         "milliseconds as an integer 1..3600000"},
        {"LOG_LEVEL", "WARNING", [](const Settings& s) { return s.log_level == "warn"; }, "verbose",
         "trace, debug, info, warn, error, critical or off"},
    };
}

// Names the case in test output instead of dumping its bytes.
void PrintTo(const VariableCase& c, std::ostream* out) { *out << c.name; }

bool is_secret(const std::string& name) {
    for (const auto& doc : variables()) {
        if (doc.name == name) return doc.secret;
    }
    return false;
}

// The cases with a refusable value; the rest take any text (checked below).
std::vector<VariableCase> refusable_cases() {
    std::vector<VariableCase> out;
    for (auto& c : cases()) {
        if (!c.expected.empty()) out.push_back(std::move(c));
    }
    return out;
}

class EachVariable : public ::testing::TestWithParam<VariableCase> {};
class EachCheckedVariable : public ::testing::TestWithParam<VariableCase> {};

TEST_P(EachVariable, AcceptsAGoodValue) {
    const auto& c = GetParam();
    Environment environment;
    environment.env = c.extra;
    environment.env[c.name] = c.good;
    const auto loaded = load(environment);
    EXPECT_TRUE(c.holds(loaded.settings)) << c.name << "=" << c.good;
    EXPECT_EQ(loaded.sources.at(c.name), Source::environment);
}

TEST_P(EachCheckedVariable, RefusesABadValueNamingVariableValueAndExpectedForm) {
    const auto& c = GetParam();
    Environment environment;
    environment.env[c.name] = c.bad;
    try {
        load(environment);
        FAIL() << c.name << "=" << c.bad << " was accepted";
    } catch (const ConfigError& e) {
        const std::string shown = is_secret(c.name) ? "\"***\"" : detail::quoted(c.bad);
        const auto prefix = c.name + "=" + shown + ": expected ";
        const std::string message = e.what();
        EXPECT_EQ(message.rfind(prefix, 0), 0u) << message;
        EXPECT_NE(message.find(c.expected), std::string::npos) << message;
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
        EXPECT_EQ(e.variable(), c.name);
    }
}

INSTANTIATE_TEST_SUITE_P(Config, EachVariable, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(Config, EachCheckedVariable, ::testing::ValuesIn(refusable_cases()),
                         [](const auto& info) { return info.param.name; });

TEST(Variables, OnlyPasswordsKeysAndTheKeyPrefixTakeAnyText) {
    std::set<std::string> free_text;
    for (const auto& c : cases()) {
        if (c.expected.empty()) free_text.insert(c.name);
    }
    EXPECT_EQ(free_text, (std::set<std::string>{"REDIS_CLUSTER_PASSWORD", "REDIS_SENTINEL_PASSWORD", "REDIS_PASSWORD",
                                                "CACHE_KEY_PREFIX", "SECRET_KEY"}));
}

TEST(Variables, CasesCoverEveryVariable) {
    std::set<std::string> covered;
    for (const auto& c : cases()) covered.insert(c.name);
    for (const auto& doc : variables()) EXPECT_TRUE(covered.count(doc.name)) << doc.name;
    EXPECT_EQ(covered.size(), variables().size());
}

TEST(Variables, ListEveryNameOnceInUpperCase) {
    std::set<std::string> seen;
    for (const auto& doc : variables()) {
        EXPECT_TRUE(seen.insert(doc.name).second) << doc.name;
        EXPECT_FALSE(doc.meaning.empty()) << doc.name;
        for (char c : doc.name) EXPECT_TRUE((c >= 'A' && c <= 'Z') || c == '_') << doc.name;
    }
}

TEST(Variables, MarkPasswordsKeysAndTokensSecret) {
    std::set<std::string> secrets;
    for (const auto& doc : variables()) {
        if (doc.secret) secrets.insert(doc.name);
    }
    EXPECT_EQ(secrets, (std::set<std::string>{"REDIS_CLUSTER_PASSWORD", "REDIS_SENTINEL_PASSWORD", "REDIS_PASSWORD",
                                              "SECRET_KEY", "API_TOKENS", "METRICS_TOKEN"}));
}

TEST(Variables, DefaultsAreThoseOfTheHeader) {
    const auto s = load(Environment{}).settings;
    EXPECT_FALSE(s.redis.cluster_enabled);
    EXPECT_TRUE(s.redis.cluster_nodes.empty());
    EXPECT_TRUE(s.redis.cluster_password.empty());
    EXPECT_FALSE(s.redis.url.has_value());
    EXPECT_EQ(s.redis.host, "localhost");
    EXPECT_EQ(s.redis.port, 6379);
    EXPECT_EQ(s.redis.db, 0);
    EXPECT_TRUE(s.redis.password.empty());
    EXPECT_FALSE(s.redis.ssl);
    EXPECT_EQ(s.redis.pool_size, 10);
    EXPECT_FALSE(s.redis.fallback_to_memory);
    EXPECT_FALSE(s.redis.configured);
    EXPECT_TRUE(s.redis.username.empty());
    EXPECT_TRUE(s.redis.cluster_username.empty());
    EXPECT_TRUE(s.redis.tls_ca_file.empty());
    EXPECT_TRUE(s.redis.tls_server_name.empty());
    EXPECT_TRUE(s.redis.address_map.empty());
    EXPECT_FALSE(s.redis.read_from_replicas);
    EXPECT_EQ(s.redis.connect_timeout, 2000ms);
    EXPECT_EQ(s.redis.refresh_interval, 5000ms);
    EXPECT_EQ(s.redis.wait_replicas, 0);
    EXPECT_EQ(s.redis.wait_timeout, 1000ms);
    EXPECT_EQ(s.cache.ttl, 300s);
    EXPECT_EQ(s.cache.key_prefix, "yooni:");
    EXPECT_TRUE(s.cache.compression_enabled);
    EXPECT_EQ(s.cache.compression_threshold_bytes, 1024u);
    EXPECT_EQ(s.cache.compression_level, 6);
    EXPECT_EQ(s.cache.value_format, ValueFormat::legacy);
    EXPECT_EQ(s.cache.memory_max_bytes, 256u << 20);
    EXPECT_TRUE(s.auth.secret_key.empty());
    EXPECT_TRUE(s.auth.static_tokens.empty());
    EXPECT_TRUE(s.auth.admin_subjects.empty());
    EXPECT_EQ(s.auth.default_role, Role::read);
    EXPECT_TRUE(s.auth.audience.empty());
    EXPECT_TRUE(s.auth.issuer.empty());
    EXPECT_EQ(s.auth.leeway, 30s);
    EXPECT_TRUE(s.auth.key_prefixes.empty());
    EXPECT_TRUE(s.auth.metrics_token.empty());
    EXPECT_EQ(s.http.host, "127.0.0.1");
    EXPECT_EQ(s.http.port, 8000);
    EXPECT_EQ(s.http.worker_threads, 0u);
    EXPECT_EQ(s.http.max_connections, 10000u);
    EXPECT_EQ(s.http.max_header_bytes, 16u * 1024);
    EXPECT_EQ(s.http.max_body_bytes, 8u << 20);
    EXPECT_EQ(s.http.max_key_bytes, 1024u);
    EXPECT_EQ(s.http.max_batch_keys, 1000u);
    EXPECT_EQ(s.http.header_timeout, 10000ms);
    EXPECT_EQ(s.http.body_timeout, 30000ms);
    EXPECT_EQ(s.http.write_timeout, 30000ms);
    EXPECT_EQ(s.http.idle_timeout, 60000ms);
    EXPECT_EQ(s.http.request_timeout, 5000ms);
    EXPECT_EQ(s.http.shutdown_grace, 10000ms);
    EXPECT_EQ(s.log_level, "info");
}

TEST(Variables, DocumentedDefaultsAreWhatDescribePrintsForNoSettings) {
    const auto lines = describe(load(Environment{}));
    ASSERT_EQ(lines.size(), variables().size());
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const auto& doc = variables()[i];
        EXPECT_EQ(lines[i], doc.name + "=" + doc.default_text + "  (default)");
    }
}

TEST(Variables, DocumentedDefaultsLoadToTheDefaults) {
    Environment environment;
    for (const auto& doc : variables()) environment.env[doc.name] = doc.default_text;
    const auto lines = describe(load(environment));
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const auto& doc = variables()[i];
        EXPECT_EQ(lines[i], doc.name + "=" + doc.default_text + "  (env)");
    }
}

TEST(Roles, PrintAndParseTheirNames) {
    for (Role role : {Role::read, Role::write, Role::admin}) EXPECT_EQ(parse_role(to_string(role)), role);
    EXPECT_EQ(to_string(Role::admin), "admin");
    EXPECT_FALSE(parse_role("Admin").has_value());
    EXPECT_FALSE(parse_role("").has_value());
}

}  // namespace
}  // namespace yooni::config
