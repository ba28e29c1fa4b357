// The operator commands (see cli.hpp). Each Redis command builds the same
// client the service builds (backend_factory.hpp), runs one cache or client
// call on a local io_context until the deadline (HTTP_REQUEST_TIMEOUT_MS or
// --timeout), then stops the client before the io_context goes.
//
// Exceptions are allowed here (house rules for src/app). No coroutine of our
// own: the library's awaitables are spawned as they are, so none of GCC 12's
// coroutine pitfalls (temporaries in co_await expressions) can occur here.
#include "app/cli.hpp"

#include "app/backend_factory.hpp"

#include <yooni/http/status_json.hpp>
#include <yooni/cache/cache.hpp>
#include <yooni/cache/redis_backend.hpp>
#include <yooni/config/settings.hpp>
#include <yooni/redis/cluster.hpp>
#include <yooni/redis/server_info.hpp>
#include <yooni/redis/slot_map.hpp>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <future>
#include <iostream>
#include <iterator>
#include <map>
#include <set>
#include <thread>

namespace yooni::app::cli {

namespace asio = boost::asio;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;
using namespace std::chrono_literals;

struct Commands {
    CLI::App* config_check = nullptr;
    CLI::App* cluster_info = nullptr;
    CLI::App* cluster_nodes = nullptr;
    CLI::App* cluster_slots = nullptr;
    CLI::App* stats = nullptr;
    CLI::App* get = nullptr;
    CLI::App* set = nullptr;
    CLI::App* del = nullptr;
    CLI::App* healthcheck = nullptr;

    // Shared by every sub-command: only one is parsed per run.
    bool json = false;
    std::optional<long long> timeout_ms;
    std::string key;
    std::string value;
    std::optional<long long> ttl;
    std::optional<std::string> pattern;
    std::optional<std::string> url;
};

namespace {

// ---------------------------------------------------------------- output

struct Context {
    std::string name;  // "cluster info": names the command in error lines
    bool json = false;
    config::LoadedSettings loaded;
    std::chrono::milliseconds timeout{5000};
    Deadline deadline;

    const config::Settings& settings() const { return loaded.settings; }
};

void print_json(const json::value& v) {
    std::printf("%s\n", json::serialize(v).c_str());
    std::fflush(stdout);
}

// One error line on stderr; with --json also {"error", "exit_code"} on stdout.
int fail(const Context& ctx, int code, const std::string& message) {
    std::fprintf(stderr, "yooni-cache %s: %s\n", ctx.name.c_str(), message.c_str());
    if (ctx.json) print_json(json::object{{"error", message}, {"exit_code", code}});
    return code;
}

// Columns separated by two spaces; `right` columns (numbers) right-aligned.
void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                 const std::vector<bool>& right) {
    std::vector<std::size_t> width(header.size(), 0);
    auto measure = [&width](const std::vector<std::string>& row) {
        for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
    };
    measure(header);
    for (const auto& r : rows) measure(r);
    auto print_row = [&](const std::vector<std::string>& row) {
        std::string line;
        for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) {
            const std::string pad(width[i] - row[i].size(), ' ');
            const bool last = i + 1 == row.size();
            if (i < right.size() && right[i]) line += pad + row[i];
            else line += last ? row[i] : row[i] + pad;
            if (!last) line += "  ";
        }
        std::printf("%s\n", line.c_str());
    };
    print_row(header);
    for (const auto& r : rows) print_row(r);
    std::fflush(stdout);
}

// "name  value" lines, names padded to one column.
void print_pairs(const std::vector<std::pair<std::string, std::string>>& pairs) {
    std::size_t w = 0;
    for (const auto& [k, v] : pairs) w = std::max(w, k.size());
    for (const auto& [k, v] : pairs) std::printf("%s%s  %s\n", k.c_str(), std::string(w - k.size(), ' ').c_str(), v.c_str());
    std::fflush(stdout);
}

std::string text_of(const json::value& v) {
    switch (v.kind()) {
        case json::kind::null: return "-";
        case json::kind::string: return v.get_string().empty() ? "-" : std::string{v.get_string()};
        case json::kind::bool_: return v.get_bool() ? "true" : "false";
        case json::kind::array: {
            std::string out;
            for (const auto& e : v.get_array()) out += (out.empty() ? "" : ",") + text_of(e);
            return out.empty() ? "-" : out;
        }
        default: return json::serialize(v);
    }
}

// Nested objects flattened as "outer.inner".
void flatten(const json::object& o, const std::string& prefix, std::vector<std::pair<std::string, std::string>>& out) {
    for (const auto& [k, v] : o) {
        const std::string name = prefix + std::string{k};
        if (v.is_object()) flatten(v.get_object(), name + ".", out);
        else out.emplace_back(name, text_of(v));
    }
}

std::string human_bytes(std::int64_t bytes) {
    static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        ++u;
    }
    char buf[32];
    if (u == 0) std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
    else std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
    return buf;
}

std::string join(const std::vector<std::string>& items, std::string_view sep = ", ") {
    std::string out;
    for (const auto& i : items) {
        if (!out.empty()) out += sep;
        out += i;
    }
    return out;
}

// ---------------------------------------------------------------- settings

config::LoadedSettings load_settings() { return config::load(config::read_environment(".")); }

// Logs to stderr, quiet unless LOG_LEVEL was set: the command's own lines
// say what went wrong, and stdout stays the document.
void setup_logging(const config::LoadedSettings& loaded) {
    auto logger = spdlog::stderr_logger_mt("yooni-cli");
    spdlog::set_default_logger(logger);
    const auto src = loaded.sources.find("LOG_LEVEL");
    const bool explicit_level = src != loaded.sources.end() && src->second != config::Source::default_value;
    spdlog::set_level(explicit_level ? spdlog::level::from_str(loaded.settings.log_level) : spdlog::level::err);
}

std::optional<int> make_context(const Commands& c, std::string name, Context& ctx) {
    ctx.name = std::move(name);
    ctx.json = c.json;
    ctx.loaded = load_settings();
    setup_logging(ctx.loaded);
    ctx.timeout = ctx.settings().http.request_timeout;
    if (c.timeout_ms) {
        if (*c.timeout_ms <= 0 || *c.timeout_ms > 86'400'000)
            return fail(ctx, kExitUsage, "--timeout " + std::to_string(*c.timeout_ms) +
                                             ": expected milliseconds, 1..86400000");
        ctx.timeout = std::chrono::milliseconds(*c.timeout_ms);
    }
    ctx.deadline = Clock::now() + ctx.timeout;
    return std::nullopt;
}

// The memory store lives inside the service process: a separate process
// would only see an empty store of its own.
std::optional<int> refuse_memory(const Context& ctx) {
    if (ctx.settings().redis.configured) return std::nullopt;
    return fail(ctx, kExitUsage,
                "the backend is the in-process memory store of the running service, which this command cannot "
                "see; configure Redis (REDIS_URL, REDIS_HOST, or REDIS_CLUSTER_ENABLED=true with "
                "REDIS_CLUSTER_NODES) or use the service's HTTP API");
}

std::optional<int> refuse_not_cluster(const Context& ctx) {
    const auto& r = ctx.settings().redis;
    if (r.cluster_enabled) return std::nullopt;
    if (!r.sentinel_nodes.empty())
        return fail(ctx, kExitNotCluster,
                    "not in cluster mode (backend: Redis behind Sentinel, master \"" + r.sentinel_master +
                        "\"); `cluster info` shows the Sentinels' view");
    const std::string backend =
        r.configured ? "redis at " + r.host + ":" + std::to_string(r.port) : std::string{"memory"};
    return fail(ctx, kExitNotCluster,
                "not in cluster mode (backend: " + backend + "); set REDIS_CLUSTER_ENABLED=true and REDIS_CLUSTER_NODES");
}

std::optional<int> check_key(const Context& ctx, const std::string& key) {
    if (key.empty()) return fail(ctx, kExitUsage, "the key is empty");
    const auto max = ctx.settings().http.max_key_bytes;
    if (key.size() > max)
        return fail(ctx, kExitUsage, "the key has " + std::to_string(key.size()) + " bytes; CACHE_MAX_KEY_BYTES allows " +
                                         std::to_string(max));
    return std::nullopt;
}

// ---------------------------------------------------------------- Redis session

// The configured client on a local io_context, for one command.
class Session {
public:
    explicit Session(const Context& ctx) : ctx_(ctx) {
        const auto& s = ctx.settings();
        auto client = make_redis_client(s.redis);
        client_ = client.get();
        cluster_ = dynamic_cast<redis::Cluster*>(client_);
        if (cluster_) {
            nodes_ = s.redis.cluster_nodes;
        } else if (!s.redis.sentinel_nodes.empty()) {
            nodes_ = s.redis.sentinel_nodes;
            sentinel_master_ = s.redis.sentinel_master;
        } else {
            nodes_.push_back(s.redis.host + ":" + std::to_string(s.redis.port));
        }
        backend_ = std::make_unique<cache::RedisBackend>(
            std::move(client), cache::RedisBackendOptions{s.redis.wait_replicas, s.redis.wait_timeout});
        cache_ = std::make_unique<cache::Cache>(*backend_, codec::Codec{codec_options(s)},
                                                cache::CacheOptions{s.cache.ttl});
    }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    // The connections belong to io_: close them while it exists (it is not
    // running now: run_for() returned).
    ~Session() {
        if (started_) client_->stop();
    }

    redis::Client& client() { return *client_; }
    redis::Cluster* cluster() { return cluster_; }
    cache::Backend& backend() { return *backend_; }
    cache::Cache& cache() { return *cache_; }
    Deadline deadline() const { return ctx_.deadline; }

    // "Redis Cluster (seeds a, b)" or "Redis at host:port": names the nodes tried.
    std::string target() const {
        if (!sentinel_master_.empty())
            return "Redis behind Sentinel (master \"" + sentinel_master_ + "\", Sentinels " + join(nodes_) + ")";
        return cluster_ ? "Redis Cluster (seeds " + join(nodes_) + ")" : "Redis at " + nodes_.front();
    }

    // Starts the client and waits (until the deadline) for a usable
    // connection: a slot map (even partial: the cluster commands show why)
    // or an answered PING. False with `why` naming every node tried.
    bool connect(std::string& why) {
        client_->start();
        started_ = true;
        for (;;) {
            if (client_->ready() || (cluster_ && cluster_->slot_map())) return true;
            if (auto e = client_->last_error(); !e.empty()) {
                // The standalone client's error starts with its node already.
                if (!cluster_ && sentinel_master_.empty() && e.starts_with(nodes_.front() + ": "))
                    e.erase(0, nodes_.front().size() + 2);
                // A server that answered and refused (a wrong password, an
                // ACL) was reached: say what it refused, not that it is away.
                const bool refused = e.find("WRONGPASS") != std::string::npos || e.find("NOAUTH") != std::string::npos ||
                                     e.find("NOPERM") != std::string::npos || e.find("refused the connection set-up") != std::string::npos;
                why = (refused ? "Redis at " + target() + " refused the connection set-up (check REDIS_PASSWORD, the "
                                 "user of REDIS_URL, REDIS_CLUSTER_USERNAME or the REDIS_SENTINEL_* credentials): "
                               : "cannot reach " + target() + ": ") + e;
                return false;
            }
            if (Clock::now() >= ctx_.deadline) {
                why = "cannot reach " + target() + ": no answer within " + std::to_string(ctx_.timeout.count()) + " ms";
                return false;
            }
            std::this_thread::sleep_for(5ms);
        }
    }

    // Why a call failed: the error, what the client knows about the nodes, and which.
    std::string failure(const boost::system::error_code& ec) const {
        std::string out = ec.message() + " (" + target();
        if (auto e = client_->last_error(); !e.empty()) out += ": " + e;
        return out + ")";
    }

    // Runs one awaitable on the local io_context until it completes; nullopt
    // when it has not completed shortly after the deadline. `tick` runs
    // about every 10 ms meanwhile (progress lines).
    template <class T>
    std::optional<T> run(asio::awaitable<T> task, const std::function<void()>& tick = {}) {
        auto future = asio::co_spawn(io_, std::move(task), asio::use_future);
        const auto give_up = ctx_.deadline + 2s;
        while (future.wait_for(0s) != std::future_status::ready) {
            if (Clock::now() > give_up) return std::nullopt;
            if (io_.stopped()) io_.restart();
            // The client's connections keep io_ busy: never wait for run() to return.
            io_.run_for(10ms);
            if (tick) tick();
        }
        return future.get();
    }

    std::string timed_out() const {
        return "no answer within " + std::to_string(ctx_.timeout.count()) + " ms (" + target() +
               (client_->last_error().empty() ? std::string{} : ": " + client_->last_error()) + ")";
    }

private:
    const Context& ctx_;
    asio::io_context io_{1};  // first: destroyed after the client
    redis::Client* client_ = nullptr;
    redis::Cluster* cluster_ = nullptr;
    std::vector<std::string> nodes_;
    std::string sentinel_master_;  // set for Redis behind Sentinel
    std::unique_ptr<cache::RedisBackend> backend_;
    std::unique_ptr<cache::Cache> cache_;
    bool started_ = false;
};

// ---------------------------------------------------------------- cluster

std::optional<std::int64_t> int_field(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    if (it == o.end()) return std::nullopt;
    if (it->value().is_int64()) return it->value().get_int64();
    if (it->value().is_uint64()) return static_cast<std::int64_t>(it->value().get_uint64());
    return std::nullopt;
}

std::string str_field(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_string() ? std::string{it->value().get_string()} : std::string{};
}

bool has_flag(const json::object& node, std::string_view flag) {
    auto it = node.find("flags");
    if (it == node.end() || !it->value().is_array()) return false;
    for (const auto& f : it->value().get_array())
        if (f.is_string() && f.get_string() == flag) return true;
    return false;
}

// Fetches the cluster/info document (CLUSTER INFO, CLUSTER NODES, each node's INFO).
std::optional<int> fetch_cluster_info(const Context& ctx, Session& session, json::object& doc) {
    if (std::string why; !session.connect(why)) return fail(ctx, kExitFailure, why);
    auto got = session.run(session.backend().cluster_info(session.deadline()));
    if (!got) return fail(ctx, kExitFailure, session.timed_out());
    if (!*got) return fail(ctx, kExitFailure, "cannot read the cluster state: " + session.failure(got->error()));
    doc = http::cluster_info_json(**got);
    return std::nullopt;
}

// Redis behind Sentinel: the client's view of the Sentinels and the master.
int sentinel_info(const Context& ctx) {
    Session session{ctx};
    std::string why;
    session.connect(why);  // the view is shown either way: it says why no master is known
    const auto status = session.backend().status();
    auto doc = http::status_json(status);
    if (ctx.json) {
        print_json(doc);
        return kExitOk;
    }
    const auto& s = std::get<redis::SentinelStatus>(status);
    std::string sentinels, answered;
    for (const auto& n : s.sentinels) {
        sentinels += (sentinels.empty() ? "" : ",") + n.address;
        if (n.answered) answered += (answered.empty() ? "" : ",") + n.address;
    }
    std::string replicas;
    for (const auto& r : s.replicas) replicas += (replicas.empty() ? "" : ",") + r;
    print_pairs({{"master name", s.master_name},
                 {"master", s.master.empty() ? std::string{"-"} : s.master},
                 {"master confirmed", s.connected ? "yes" : "no"},
                 {"sentinels", sentinels},
                 {"sentinels answering", answered.empty() ? std::string{"-"} : answered},
                 {"following", s.subscribed.empty() ? std::string{"-"} : s.subscribed},
                 {"replicas", replicas.empty() ? std::string{"-"} : replicas},
                 {"failovers seen", std::to_string(s.failovers)},
                 {"last error", s.last_error.empty() ? std::string{"-"} : s.last_error}});
    return s.connected ? kExitOk : kExitFailure;
}

int cluster_info(const Context& ctx) {
    if (!ctx.settings().redis.sentinel_nodes.empty()) return sentinel_info(ctx);
    if (auto refused = refuse_not_cluster(ctx)) return *refused;
    Session session{ctx};
    json::object doc;
    if (auto failed = fetch_cluster_info(ctx, session, doc)) return *failed;
    doc.erase("nodes");
    const int code = str_field(doc, "cluster_state") == "ok" ? kExitOk : kExitClusterNotOk;
    if (ctx.json) {
        print_json(doc);
        return code;
    }
    auto field = [&doc](std::string_view key) {
        auto it = doc.find(key);
        return it == doc.end() ? std::string{"-"} : text_of(it->value());
    };
    print_pairs({{"state", field("cluster_state")},
                 {"slots assigned", field("cluster_slots_assigned")},
                 {"slots ok", field("cluster_slots_ok")},
                 {"slots pfail", field("cluster_slots_pfail")},
                 {"slots fail", field("cluster_slots_fail")},
                 {"known nodes", field("cluster_known_nodes")},
                 {"size (masters with slots)", field("cluster_size")}});
    if (auto it = doc.find("warnings"); it != doc.end() && it->value().is_array())
        for (const auto& w : it->value().get_array())
            if (w.is_string()) std::printf("warning: %s\n", w.get_string().c_str());
    std::fflush(stdout);
    return code;
}

int cluster_nodes(const Context& ctx) {
    if (auto refused = refuse_not_cluster(ctx)) return *refused;
    Session session{ctx};
    json::object doc;
    if (auto failed = fetch_cluster_info(ctx, session, doc)) return *failed;
    std::vector<json::object> nodes;
    if (auto it = doc.find("nodes"); it != doc.end() && it->value().is_array())
        for (const auto& n : it->value().get_array())
            if (n.is_object()) nodes.push_back(n.get_object());

    auto role_of = [](const json::object& n) {
        auto role = str_field(n, "role");
        if (role == "slave") role = "replica";  // INFO's word
        if (role.empty()) role = has_flag(n, "master") ? "master" : has_flag(n, "slave") ? "replica" : "unknown";
        return role;
    };
    // Masters by address, each followed by its replicas; then nodes of no known master.
    std::vector<json::object> ordered;
    std::vector<bool> used(nodes.size(), false);
    std::vector<std::size_t> masters;
    for (std::size_t i = 0; i < nodes.size(); ++i)
        if (role_of(nodes[i]) == "master") masters.push_back(i);
    auto by_address = [&nodes](std::size_t a, std::size_t b) {  // host, then port as a number
        const auto x = str_field(nodes[a], "address"), y = str_field(nodes[b], "address");
        const auto px = redis::NodeAddress::parse(x), py = redis::NodeAddress::parse(y);
        return px && py ? *px < *py : x < y;
    };
    std::sort(masters.begin(), masters.end(), by_address);
    for (auto m : masters) {
        ordered.push_back(nodes[m]);
        used[m] = true;
        std::vector<std::size_t> replicas;
        const auto id = str_field(nodes[m], "id");
        for (std::size_t i = 0; i < nodes.size(); ++i)
            if (!used[i] && !id.empty() && str_field(nodes[i], "master_id") == id) replicas.push_back(i);
        std::sort(replicas.begin(), replicas.end(), by_address);
        for (auto r : replicas) {
            ordered.push_back(nodes[r]);
            used[r] = true;
        }
    }
    std::vector<std::size_t> rest;
    for (std::size_t i = 0; i < nodes.size(); ++i)
        if (!used[i]) rest.push_back(i);
    std::sort(rest.begin(), rest.end(), by_address);
    for (auto r : rest) ordered.push_back(nodes[r]);

    auto nullable_int = [](const json::object& n, std::string_view key) -> json::value {
        if (auto v = int_field(n, key)) return *v;
        return nullptr;
    };
    if (ctx.json) {
        json::array out;
        for (const auto& n : ordered) {
            json::object o;
            o["id"] = str_field(n, "id");
            o["address"] = str_field(n, "address");
            o["role"] = role_of(n);
            auto master = n.find("master_id");
            o["master_id"] = master != n.end() ? master->value() : json::value(nullptr);
            o["link_state"] = str_field(n, "link_state");
            auto flags = n.find("flags");
            o["flags"] = flags != n.end() ? flags->value() : json::value(json::array{});
            o["slot_count"] = int_field(n, "slot_count").value_or(0);
            auto slots = n.find("slots");
            o["slots"] = slots != n.end() ? slots->value() : json::value(json::array{});
            o["keys"] = nullable_int(n, "keys");
            o["used_memory_bytes"] = nullable_int(n, "used_memory_bytes");
            o["ops_per_sec"] = nullable_int(n, "ops_per_sec");
            out.push_back(std::move(o));
        }
        print_json(json::object{{"nodes", std::move(out)}});
        return kExitOk;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& n : ordered) {
        auto role = role_of(n);
        if (has_flag(n, "fail")) role += " (fail)";
        else if (has_flag(n, "fail?")) role += " (pfail)";
        const auto master = str_field(n, "master_id");
        const auto num = [&n](std::string_view key) {
            auto v = int_field(n, key);
            return v ? std::to_string(*v) : std::string{"-"};
        };
        const auto mem = int_field(n, "used_memory_bytes");
        rows.push_back({str_field(n, "id").substr(0, 8), str_field(n, "address"), role,
                        master.empty() ? "-" : master.substr(0, 8), str_field(n, "link_state"), num("slot_count"),
                        num("keys"), mem ? human_bytes(*mem) : "-", num("ops_per_sec")});
    }
    print_table({"ID", "ADDRESS", "ROLE", "MASTER", "LINK", "SLOTS", "KEYS", "MEMORY", "OPS/S"}, rows,
                {false, false, false, false, false, true, true, true, true});
    return kExitOk;
}

int cluster_slots(const Context& ctx) {
    if (auto refused = refuse_not_cluster(ctx)) return *refused;
    Session session{ctx};
    if (std::string why; !session.connect(why)) return fail(ctx, kExitFailure, why);
    auto map = session.cluster()->slot_map();
    if (!map) return fail(ctx, kExitFailure, "no slot map yet: " + session.timed_out());
    // CLUSTER SLOTS still lists a failed master's slots; the nodes' flags say
    // which masters are down (so those slots are served by no one).
    std::set<std::string> failing_masters;
    std::string state = "unknown";
    if (auto info = session.run(session.backend().cluster_info(session.deadline())); info && *info && **info) {
        if (auto it = (**info)->info.find("cluster_state"); it != (**info)->info.end()) state = it->second;
        for (const auto& n : (**info)->nodes)
            if (n.node.is_master && (n.node.is_fail || n.node.is_pfail) && n.node.slot_count > 0)
                failing_masters.insert(n.node.address);
    }
    struct Row {
        redis::SlotRange range;
        redis::NodeAddress master;
        std::vector<redis::NodeAddress> replicas;
    };
    std::vector<Row> rows;
    for (const auto& m : map->masters()) {
        for (const auto& r : map->ranges_of(m)) {
            auto replicas = map->replicas_for(r.first);
            rows.push_back({r, m, {replicas.begin(), replicas.end()}});
        }
    }
    std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.range.first < b.range.first; });
    const auto uncovered = map->uncovered_ranges();
    const auto covered = redis::kSlotCount - map->uncovered_slot_count();
    std::vector<redis::SlotRange> failing;
    std::size_t failing_slots = 0;
    for (const auto& r : rows)
        if (failing_masters.contains(r.master.to_string())) {
            failing.push_back(r.range);
            failing_slots += r.range.last - r.range.first + 1;
        }
    const int code = uncovered.empty() && failing.empty() && state == "ok" ? kExitOk : kExitClusterNotOk;
    auto range_text = [](const redis::SlotRange& r) {
        return r.first == r.last ? std::to_string(r.first) : std::to_string(r.first) + "-" + std::to_string(r.last);
    };
    if (ctx.json) {
        json::array ranges;
        for (const auto& r : rows) {
            json::array replicas;
            for (const auto& a : r.replicas) replicas.emplace_back(a.to_string());
            ranges.push_back(json::object{{"first", r.range.first},
                                          {"last", r.range.last},
                                          {"count", r.range.last - r.range.first + 1},
                                          {"master", r.master.to_string()},
                                          {"master_failing", failing_masters.contains(r.master.to_string())},
                                          {"replicas", std::move(replicas)}});
        }
        json::array missing;
        for (const auto& r : uncovered) missing.push_back(json::object{{"first", r.first}, {"last", r.last}});
        json::array down;
        for (const auto& r : failing) down.push_back(json::object{{"first", r.first}, {"last", r.last}});
        print_json(json::object{{"ranges", std::move(ranges)},
                                {"cluster_state", state},
                                {"slots_covered", covered},
                                {"slots_uncovered", map->uncovered_slot_count()},
                                {"uncovered", std::move(missing)},
                                {"slots_on_failing_masters", failing_slots},
                                {"failing", std::move(down)}});
        return code;
    }
    std::vector<std::vector<std::string>> table;
    for (const auto& r : rows) {
        std::vector<std::string> replicas;
        for (const auto& a : r.replicas) replicas.push_back(a.to_string());
        const bool down = failing_masters.contains(r.master.to_string());
        table.push_back({range_text(r.range), std::to_string(r.range.last - r.range.first + 1),
                         r.master.to_string() + (down ? " (FAIL)" : ""), replicas.empty() ? "-" : join(replicas, ",")});
    }
    print_table({"SLOTS", "COUNT", "MASTER", "REPLICAS"}, table, {false, true, false, false});
    if (!failing.empty()) {
        std::vector<std::string> text;
        for (const auto& r : failing) text.push_back(range_text(r));
        std::printf("%zu slots on failing masters, served by no node until a replica takes over or the master "
                    "returns: %s\n",
                    failing_slots, join(text).c_str());
    }
    if (state != "ok") std::printf("cluster_state: %s\n", state.c_str());
    if (uncovered.empty() && failing.empty()) {
        std::printf("all %zu slots covered\n", static_cast<std::size_t>(redis::kSlotCount));
    } else if (!uncovered.empty()) {
        std::vector<std::string> text;
        for (const auto& r : uncovered) text.push_back(range_text(r));
        std::printf("%zu of %zu slots covered; served by no node: %s\n", static_cast<std::size_t>(covered),
                    static_cast<std::size_t>(redis::kSlotCount), join(text).c_str());
    }
    std::fflush(stdout);
    return code;
}

// ---------------------------------------------------------------- stats

constexpr const char* kServiceCountersNote =
    "hits, misses, sets, hit rate and latency of the cache are counted per service process: "
    "GET /api/v1/monitoring/cache/stats on the running service";

int stats(const Context& ctx) {
    if (auto refused = refuse_memory(ctx)) return *refused;
    Session session{ctx};
    if (std::string why; !session.connect(why)) return fail(ctx, kExitFailure, why);

    // INFO from every master (a cluster: routed by a slot each one serves), in parallel.
    std::vector<std::string> asked;
    std::vector<redis::Command> commands;
    const std::vector<std::string_view> info_args{"INFO"};
    if (auto* cluster = session.cluster()) {
        if (auto map = cluster->slot_map()) {
            for (const auto& m : map->masters()) {
                auto ranges = map->ranges_of(m);
                if (ranges.empty()) continue;
                commands.push_back(redis::make_command(info_args, ranges.front().first));
                asked.push_back(m.to_string());
            }
        }
    } else {
        commands.push_back(redis::make_command(info_args, 0));
        asked.push_back(ctx.settings().redis.host + ":" + std::to_string(ctx.settings().redis.port));
    }
    auto replies = session.run(session.client().run(std::move(commands), session.deadline()));
    if (!replies) return fail(ctx, kExitFailure, session.timed_out());
    if (!*replies) return fail(ctx, kExitFailure, "INFO failed: " + session.failure(replies->error()));

    const auto db = ctx.settings().redis.cluster_enabled ? 0u : static_cast<std::uint32_t>(ctx.settings().redis.db);
    std::int64_t keys = 0, memory = 0, ops = 0, hits = 0, misses = 0, expired = 0, evicted = 0, clients = 0;
    std::string version;
    json::array errors;
    for (std::size_t i = 0; i < (*replies)->size(); ++i) {
        const auto& reply = (**replies)[i];
        auto text = reply->as_string();
        if (reply->is_error() || !text) {
            errors.emplace_back(asked[i] + ": " + std::string{reply->error_message()});
            continue;
        }
        const auto info = redis::ServerInfo::parse(*text);
        for (const auto& d : info.keyspace())
            if (d.index == db) keys += d.keys;
        memory += info.used_memory_bytes().value_or(0);
        ops += info.instantaneous_ops_per_sec().value_or(0);
        hits += info.get_int("keyspace_hits").value_or(0);
        misses += info.get_int("keyspace_misses").value_or(0);
        expired += info.get_int("expired_keys").value_or(0);
        evicted += info.get_int("evicted_keys").value_or(0);
        clients += info.connected_clients().value_or(0);
        if (version.empty()) version = std::string{info.redis_version().value_or("")};
    }
    const double rate = hits + misses > 0 ? static_cast<double>(hits) / static_cast<double>(hits + misses) : 0.0;
    json::array nodes;
    for (const auto& a : asked) nodes.emplace_back(a);
    json::object server{{"nodes", std::move(nodes)},
                        {"redis_version", version},
                        {"db", db},
                        {"keys", keys},
                        {"used_memory_bytes", memory},
                        {"ops_per_sec", ops},
                        {"keyspace_hits", hits},
                        {"keyspace_misses", misses},
                        {"keyspace_hit_rate", rate},
                        {"expired_keys", expired},
                        {"evicted_keys", evicted},
                        {"connected_clients", clients},
                        {"errors", std::move(errors)}};
    auto backend = http::status_json(session.backend().status());
    if (ctx.json) {
        print_json(json::object{{"backend", std::move(backend)},
                                {"redis", std::move(server)},
                                {"service_counters", kServiceCountersNote}});
        return kExitOk;
    }
    std::vector<std::pair<std::string, std::string>> pairs;
    flatten(backend, "", pairs);
    std::printf("# backend (this command's client)\n");
    print_pairs(pairs);
    char rate_text[32];
    std::snprintf(rate_text, sizeof rate_text, "%.2f%%", rate * 100);
    std::printf("\n# redis (INFO of %zu master%s, summed)\n", asked.size(), asked.size() == 1 ? "" : "s");
    std::vector<std::pair<std::string, std::string>> redis_pairs{
        {"nodes", join(asked)},
        {"redis_version", version.empty() ? "-" : version},
        {"keys (db " + std::to_string(db) + ")", std::to_string(keys)},
        {"used_memory", human_bytes(memory) + " (" + std::to_string(memory) + " bytes)"},
        {"ops_per_sec", std::to_string(ops)},
        {"keyspace_hits", std::to_string(hits)},
        {"keyspace_misses", std::to_string(misses)},
        {"keyspace_hit_rate", rate_text},
        {"expired_keys", std::to_string(expired)},
        {"evicted_keys", std::to_string(evicted)},
        {"connected_clients", std::to_string(clients)}};
    for (const auto& e : server.at("errors").as_array()) redis_pairs.emplace_back("error", text_of(e));
    print_pairs(redis_pairs);
    std::printf("\nnote: %s\n", kServiceCountersNote);
    std::fflush(stdout);
    return kExitOk;
}

// ---------------------------------------------------------------- get, set, del

json::parse_options strict_json() {
    json::parse_options opt;
    opt.max_depth = 64;  // as the HTTP API
    return opt;
}

int get(const Context& ctx, const std::string& key) {
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

int set(const Context& ctx, const std::string& key, std::string value, std::optional<long long> ttl) {
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

int del(Context& ctx, const std::string& key, const std::optional<std::string>& pattern,
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

// ---------------------------------------------------------------- healthcheck

struct HttpUrl {
    std::string host;  // IPv6 without brackets
    std::uint16_t port = 80;
    std::string path = "/readyz";

    std::string to_string() const {
        const bool v6 = host.find(':') != std::string::npos;
        return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + path;
    }
};

// http://host[:port][/path]; no path (or "/") means /readyz.
std::optional<HttpUrl> parse_url(std::string_view text, std::string& why) {
    constexpr std::string_view scheme = "http://";
    if (!text.starts_with(scheme)) {
        why = "expected http://host:port[/path] (plain HTTP: the check runs inside the container)";
        return std::nullopt;
    }
    text.remove_prefix(scheme.size());
    HttpUrl url;
    const auto slash = text.find('/');
    std::string_view authority = text.substr(0, slash);
    if (slash != std::string_view::npos && text.substr(slash) != "/") url.path = std::string{text.substr(slash)};
    std::string_view port_text;
    if (authority.starts_with('[')) {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            why = "unclosed [ in the host";
            return std::nullopt;
        }
        url.host = std::string{authority.substr(1, close - 1)};
        auto rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                why = "expected :port after ]";
                return std::nullopt;
            }
            port_text = rest.substr(1);
        }
    } else {
        const auto colon = authority.rfind(':');
        url.host = std::string{authority.substr(0, colon)};
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    }
    if (url.host.empty()) {
        why = "no host";
        return std::nullopt;
    }
    if (!port_text.empty()) {
        unsigned long port = 0;
        for (char c : port_text) {
            if (c < '0' || c > '9' || port > 65535) {
                port = 0;
                break;
            }
            port = port * 10 + static_cast<unsigned long>(c - '0');
        }
        if (port == 0 || port > 65535) {
            why = "port \"" + std::string{port_text} + "\": expected 1..65535";
            return std::nullopt;
        }
        url.port = static_cast<std::uint16_t>(port);
    }
    return url;
}

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

int remaining_ms(Deadline deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, 1'000'000));
}

// GET over a plain TCP socket: the status code, or nullopt with `why`.
std::optional<int> http_get(const HttpUrl& url, Deadline deadline, std::string& body, std::string& why) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const auto port = std::to_string(url.port);
    if (int rc = ::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
        why = std::string{"cannot resolve "} + url.host + ": " + ::gai_strerror(rc);
        return std::nullopt;
    }
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list{found, &::freeaddrinfo};
    Fd sock;
    why = "no address";
    for (auto* a = found; a; a = a->ai_next) {
        Fd s{::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol)};
        if (s.fd < 0) {
            why = std::strerror(errno);
            continue;
        }
        int rc = ::connect(s.fd, a->ai_addr, a->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS) {
            pollfd p{s.fd, POLLOUT, 0};
            rc = ::poll(&p, 1, remaining_ms(deadline));
            if (rc == 0) {
                why = "connect timed out";
                continue;
            }
            int err = 0;
            socklen_t len = sizeof err;
            ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0) {
                why = std::strerror(err);
                continue;
            }
            rc = 0;
        }
        if (rc != 0) {
            why = std::strerror(errno);
            continue;
        }
        std::swap(sock.fd, s.fd);
        break;
    }
    if (sock.fd < 0) return std::nullopt;
    const bool v6 = url.host.find(':') != std::string::npos;
    const std::string request = "GET " + url.path + " HTTP/1.1\r\nHost: " + (v6 ? "[" + url.host + "]" : url.host) +
                                ":" + port + "\r\nUser-Agent: yooni-cache-healthcheck\r\nConnection: close\r\n\r\n";
    std::size_t sent = 0;
    while (sent < request.size()) {
        pollfd p{sock.fd, POLLOUT, 0};
        if (::poll(&p, 1, remaining_ms(deadline)) <= 0) {
            why = "timed out sending the request";
            return std::nullopt;
        }
        const auto n = ::send(sock.fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            why = std::strerror(errno);
            return std::nullopt;
        }
        if (n > 0) sent += static_cast<std::size_t>(n);
    }
    std::string response;
    char buf[4096];
    for (;;) {
        // Enough once the headers and Content-Length bytes are in.
        if (auto end = response.find("\r\n\r\n"); end != std::string::npos) {
            std::string headers = response.substr(0, end);
            std::transform(headers.begin(), headers.end(), headers.begin(), [](unsigned char c) { return std::tolower(c); });
            if (auto cl = headers.find("\r\ncontent-length:"); cl != std::string::npos) {
                const auto length = std::strtoull(headers.c_str() + cl + 17, nullptr, 10);
                if (response.size() >= end + 4 + length) break;
            }
        }
        if (response.size() > 65536) break;
        pollfd p{sock.fd, POLLIN, 0};
        if (::poll(&p, 1, remaining_ms(deadline)) <= 0) {
            if (response.find("\r\n\r\n") != std::string::npos) break;
            why = "no answer before the deadline";
            return std::nullopt;
        }
        const auto n = ::recv(sock.fd, buf, sizeof buf, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (n < 0) {
            why = std::strerror(errno);
            return std::nullopt;
        }
        if (n == 0) break;
        response.append(buf, static_cast<std::size_t>(n));
    }
    // "HTTP/1.1 200 OK"
    if (!response.starts_with("HTTP/1.") || response.size() < 12) {
        why = "not an HTTP answer";
        return std::nullopt;
    }
    const int status = std::atoi(response.c_str() + 9);
    if (status < 100 || status > 599) {
        why = "not an HTTP answer";
        return std::nullopt;
    }
    if (auto end = response.find("\r\n\r\n"); end != std::string::npos) body = response.substr(end + 4);
    return status;
}

int healthcheck(const Context& ctx, const std::optional<std::string>& url_text) {
    HttpUrl url;
    if (url_text) {
        std::string why;
        auto parsed = parse_url(*url_text, why);
        if (!parsed) return fail(ctx, kExitUsage, "--url \"" + *url_text + "\": " + why);
        url = *parsed;
    } else {
        const auto& h = ctx.settings().http;
        if (h.port == 0) return fail(ctx, kExitUsage, "PORT is 0 (any free port): give the service's address with --url");
        url.host = h.host;
        if (url.host.starts_with('[') && url.host.ends_with(']')) url.host = url.host.substr(1, url.host.size() - 2);
        // A service listening on every address answers on loopback.
        if (url.host.empty() || url.host == "0.0.0.0") url.host = "127.0.0.1";
        if (url.host == "::") url.host = "::1";
        url.port = h.port;
    }
    std::string body, why;
    const auto status = http_get(url, ctx.deadline, body, why);
    const bool healthy = status && *status == 200;
    std::string one_line = body;
    std::replace(one_line.begin(), one_line.end(), '\n', ' ');
    std::replace(one_line.begin(), one_line.end(), '\r', ' ');
    if (one_line.size() > 200) one_line = one_line.substr(0, 200) + "...";
    if (ctx.json) {
        json::object o{{"url", url.to_string()},
                       {"healthy", healthy},
                       {"status", status ? json::value(*status) : json::value(nullptr)},
                       {"error", status ? json::value(nullptr) : json::value(why)}};
        print_json(o);
    } else if (status) {
        std::printf("%s: GET %s answered %d%s%s\n", healthy ? "healthy" : "unhealthy", url.to_string().c_str(), *status,
                    one_line.empty() ? "" : " ", one_line.c_str());
    } else {
        std::printf("unhealthy: GET %s: %s\n", url.to_string().c_str(), why.c_str());
    }
    std::fflush(stdout);
    return healthy ? kExitOk : kExitFailure;
}

// ---------------------------------------------------------------- config check --json

int config_check_json() {
    auto loaded = load_settings();
    json::object settings;
    for (const auto& line : config::describe(loaded)) {
        // NAME=value  (source)
        const auto eq = line.find('=');
        const auto open = line.rfind("  (");
        if (eq == std::string::npos || open == std::string::npos || open < eq) continue;
        settings[line.substr(0, eq)] = json::object{{"value", line.substr(eq + 1, open - eq - 1)},
                                                    {"source", line.substr(open + 3, line.size() - open - 4)}};
    }
    json::array warnings;
    for (const auto& w : config::warnings(loaded)) warnings.emplace_back(w);
    print_json(json::object{{"dotenv", loaded.dotenv_path.empty() ? json::value(nullptr) : json::value(loaded.dotenv_path)},
                            {"settings", std::move(settings)},
                            {"warnings", std::move(warnings)},
                            {"ok", true}});
    return kExitOk;
}

void add_common(CLI::App* cmd, Commands& c) {
    cmd->add_flag("--json", c.json, "Print one JSON document (stable keys) instead of text");
    cmd->add_option("--timeout", c.timeout_ms, "Deadline in ms (default HTTP_REQUEST_TIMEOUT_MS)");
}

}  // namespace

std::shared_ptr<Commands> add_commands(CLI::App& app, CLI::App& config_check) {
    auto c = std::make_shared<Commands>();
    c->config_check = &config_check;
    config_check.add_flag("--json", c->json, "Print one JSON document: settings with their source, warnings");

    auto* cluster = app.add_subcommand("cluster", "Redis Cluster state, from the nodes directly");
    cluster->require_subcommand(1);
    c->cluster_info = cluster->add_subcommand("info", "Cluster state, slots ok/pfail/fail, known nodes, size");
    c->cluster_nodes = cluster->add_subcommand("nodes", "Every node: role, link, slots, keys, memory, ops/s");
    c->cluster_slots = cluster->add_subcommand("slots", "Slot ranges with their master and replicas");
    for (auto* cmd : {c->cluster_info, c->cluster_nodes, c->cluster_slots}) add_common(cmd, *c);

    c->stats = app.add_subcommand("stats", "What the backend knows: client facts and Redis INFO figures");
    add_common(c->stats, *c);

    c->get = app.add_subcommand("get", "Print the JSON document stored under KEY (exit 3 when missing)");
    c->get->add_option("key", c->key, "Cache key")->required();
    add_common(c->get, *c);

    c->set = app.add_subcommand("set", "Store a JSON document under KEY");
    c->set->add_option("key", c->key, "Cache key")->required();
    c->set->add_option("json", c->value, "JSON document; - reads it from stdin")->required();
    c->set->add_option("--ttl", c->ttl, "Seconds to live (default CACHE_TTL_SECONDS; 0 = no expiry)");
    add_common(c->set, *c);

    c->del = app.add_subcommand("del", "Delete KEY, or every key matching --pattern (a Redis glob)");
    c->del->add_option("key", c->key, "Cache key");
    c->del->add_option("--pattern", c->pattern, "Redis glob, e.g. 'product:*' (deadline at least 60 s)");
    add_common(c->del, *c);

    c->healthcheck = app.add_subcommand("healthcheck", "GET /readyz of the running service (exit 0 when 200)");
    c->healthcheck->add_option("--url", c->url, "Service address, http://HOST:PORT[/path] (default from HOST and PORT)");
    add_common(c->healthcheck, *c);

    app.footer(
        "Exit codes: 0 ok; 1 failure (Redis unreachable or failing, deadline passed, service unhealthy); "
        "2 bad settings or command line, or the memory backend (it lives in the service); "
        "3 get: key not found; 4 cluster: not in cluster mode.");
    return c;
}

std::optional<int> run_parsed(const Commands& c) {
    Context ctx;
    auto with = [&](const char* name, const std::function<int(Context&)>& body) -> int {
        if (auto bad = make_context(c, name, ctx)) return *bad;
        return body(ctx);
    };
    try {
        if (c.config_check->parsed() && c.json) return config_check_json();
        if (c.cluster_info->parsed()) return with("cluster info", cluster_info);
        if (c.cluster_nodes->parsed()) return with("cluster nodes", cluster_nodes);
        if (c.cluster_slots->parsed()) return with("cluster slots", cluster_slots);
        if (c.stats->parsed()) return with("stats", stats);
        if (c.get->parsed()) return with("get", [&c](Context& x) { return get(x, c.key); });
        if (c.set->parsed()) return with("set", [&c](Context& x) { return set(x, c.key, c.value, c.ttl); });
        if (c.del->parsed()) return with("del", [&c](Context& x) { return del(x, c.key, c.pattern, c.timeout_ms); });
        if (c.healthcheck->parsed()) return with("healthcheck", [&c](Context& x) { return healthcheck(x, c.url); });
    } catch (const config::ConfigError&) {
        throw;
    } catch (const std::exception& e) {
        return fail(ctx, kExitFailure, e.what());
    }
    return std::nullopt;
}

}  // namespace yooni::app::cli
