#include "support/redis_sentinel.hpp"

#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace yooni::test {
namespace {

constexpr auto kStartCap = std::chrono::seconds(60);  // a cap for a broken set-up, not a wait

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in{text};
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

// A field of a flat name/value reply as redis-cli prints it (one per line).
std::string field(const std::string& reply, const std::string& name) {
    const auto l = lines(reply);
    for (std::size_t i = 0; i + 1 < l.size(); i += 2)
        if (l[i] == name) return l[i + 1];
    return {};
}

}  // namespace

RedisSentinelSetup::RedisSentinelSetup(RedisSentinelOptions options) : options_(std::move(options)) {
    RedisServerOptions m;
    m.password = options_.password;
    m.extra_args = {"--masterauth", options_.password, "--min-replicas-to-write", "1", "--min-replicas-max-lag", "10"};
    master_ = std::make_unique<RedisServer>(m);
    RedisServerOptions r;
    r.password = options_.password;
    r.extra_args = {"--masterauth", options_.password, "--replicaof", "127.0.0.1", std::to_string(master_->port())};
    replica_ = std::make_unique<RedisServer>(r);
    sentinels_.resize(static_cast<std::size_t>(options_.sentinels));
    for (std::size_t i = 0; i < sentinels_.size(); ++i) {
        auto& s = sentinels_[i];
        s.dir = std::make_unique<TempDir>();
        s.port = free_port();
        std::ofstream conf{s.dir->path() + "/sentinel.conf"};
        conf << "port " << s.port << "\n"
             << "bind 127.0.0.1\n"
             << "daemonize no\n"
             << "dir " << s.dir->path() << "\n"
             << "requirepass " << options_.sentinel_password << "\n"
             << "sentinel sentinel-pass " << options_.sentinel_password << "\n"
             << "sentinel monitor " << options_.master_name << " 127.0.0.1 " << master_->port() << " 2\n"
             << "sentinel auth-pass " << options_.master_name << " " << options_.password << "\n"
             << "sentinel down-after-milliseconds " << options_.master_name << " 1000\n"
             << "sentinel failover-timeout " << options_.master_name << " 3000\n"
             << "sentinel parallel-syncs " << options_.master_name << " 1\n";
        conf.close();
        start_sentinel(static_cast<int>(i));
    }
    wait_until_monitored();
}

RedisSentinelSetup::~RedisSentinelSetup() {
    for (auto& s : sentinels_)
        if (s.process.running() && s.process.stop(15, std::chrono::seconds(5)) == -1) s.process.stop(9);
}

void RedisSentinelSetup::start_sentinel(int i) {
    auto& s = sentinels_[static_cast<std::size_t>(i)];
    s.process = ChildProcess{{"redis-server", s.dir->path() + "/sentinel.conf", "--sentinel"}, {},
                             s.dir->path() + "/sentinel.log"};
    if (!wait_for_port(s.port, std::chrono::seconds(10)))
        throw std::runtime_error("redis-server --sentinel did not start on port " + std::to_string(s.port) +
                                 "; logs:\n" + logs());
}

void RedisSentinelSetup::stop_sentinel(int i) {
    auto& s = sentinels_[static_cast<std::size_t>(i)];
    if (s.process.running() && s.process.stop(15, std::chrono::seconds(5)) == -1) s.process.stop(9);
}

std::string RedisSentinelSetup::sentinel_nodes() const {
    std::string out;
    for (const auto& s : sentinels_) out += (out.empty() ? "" : ",") + std::string{"127.0.0.1:"} + std::to_string(s.port);
    return out;
}

CommandResult RedisSentinelSetup::sentinel_cli(int i, const std::vector<std::string>& args) const {
    return redis_cli(sentinel_port(i), args, options_.sentinel_password);
}

std::optional<std::uint16_t> RedisSentinelSetup::master_port_seen_by(int i) const {
    auto r = sentinel_cli(i, {"SENTINEL", "get-master-addr-by-name", options_.master_name});
    const auto l = lines(r.out);
    if (r.exit_code != 0 || l.size() != 2) return std::nullopt;
    try {
        return static_cast<std::uint16_t>(std::stoi(l[1]));
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

// Every Sentinel sees the replica with its link up and the two other
// Sentinels: only then can a failover be agreed on.
void RedisSentinelSetup::wait_until_monitored() {
    const auto until = std::chrono::steady_clock::now() + kStartCap;
    for (;;) {
        bool all = true;
        for (int i = 0; i < static_cast<int>(sentinels_.size()) && all; ++i) {
            auto master = sentinel_cli(i, {"SENTINEL", "master", options_.master_name});
            const auto others = field(master.out, "num-other-sentinels");
            const auto replicas = field(master.out, "num-slaves");
            auto rep = sentinel_cli(i, {"SENTINEL", "replicas", options_.master_name});
            all = others == std::to_string(sentinels_.size() - 1) && replicas == "1" &&
                  field(rep.out, "master-link-status") == "ok" &&
                  field(rep.out, "flags") == "slave";
        }
        if (all) return;
        if (std::chrono::steady_clock::now() > until)
            throw std::runtime_error("the Sentinels did not come to monitor the master and its replica; logs:\n" + logs());
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

std::string RedisSentinelSetup::logs() const {
    std::string out = "--- master\n" + master_->log() + "--- replica\n" + replica_->log();
    for (const auto& s : sentinels_) {
        std::ifstream in{s.dir->path() + "/sentinel.log", std::ios::binary};
        out += "--- sentinel " + std::to_string(s.port) + "\n" +
               std::string{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    }
    return out;
}

}  // namespace yooni::test
