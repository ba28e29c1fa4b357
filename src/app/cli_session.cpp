// The Redis client of one operator command (cli_session.hpp).
#include "app/cli_session.hpp"

#include "app/backend_factory.hpp"

#include <thread>

namespace yooni::app::cli {

using namespace std::chrono_literals;

std::optional<int> refuse_memory(const Context& ctx) {
    if (ctx.settings().redis.configured) return std::nullopt;
    return fail(ctx, kExitUsage,
                "the backend is the in-process memory store of the running service, which this command cannot "
                "see; configure Redis (REDIS_URL, REDIS_HOST, or REDIS_CLUSTER_ENABLED=true with "
                "REDIS_CLUSTER_NODES) or use the service's HTTP API");
}

Session::Session(const Context& ctx) : ctx_(ctx) {
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

Session::~Session() {
    if (started_) client_->stop();
}

std::string Session::target() const {
    if (!sentinel_master_.empty())
        return "Redis behind Sentinel (master \"" + sentinel_master_ + "\", Sentinels " + join(nodes_) + ")";
    return cluster_ ? "Redis Cluster (seeds " + join(nodes_) + ")" : "Redis at " + nodes_.front();
}

bool Session::connect(std::string& why) {
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

std::string Session::failure(const boost::system::error_code& ec) const {
    std::string out = ec.message() + " (" + target();
    if (auto e = client_->last_error(); !e.empty()) out += ": " + e;
    return out + ")";
}

std::string Session::timed_out() const {
    return "no answer within " + std::to_string(ctx_.timeout.count()) + " ms (" + target() +
           (client_->last_error().empty() ? std::string{} : ": " + client_->last_error()) + ")";
}

}  // namespace yooni::app::cli
