// A single Redis server (REDIS_URL or REDIS_HOST/...): one pipelined
// connection per worker io_context, SCAN-based pattern delete.
#pragma once

#include <yooni/redis/client.hpp>

#include <memory>

namespace yooni::redis {

struct StandaloneOptions {
    ConnectionOptions connection;            // host, port, credentials, db, TLS, deadlines
    std::chrono::milliseconds health_interval{1000};  // PING from the control thread: readiness
    std::size_t scan_count = 1000;           // SCAN COUNT hint
    std::size_t unlink_batch = 500;          // keys per UNLINK
};

class Standalone final : public Client {
public:
    explicit Standalone(StandaloneOptions options);
    ~Standalone() override;

    awaitable<result<std::vector<OwnedReply>>> run(std::vector<Command> commands, Deadline deadline) override;
    awaitable<result<std::optional<ClusterInfo>>> cluster_info(Deadline deadline) override;
    ClientStatus status() const override;
    bool ready() const override;
    std::string last_error() const override;
    std::string_view kind() const override { return "redis"; }
    void start() override;
    void stop() override;

protected:
    awaitable<result<std::size_t>> unlink_matching(std::string pattern, Deadline deadline) override;
    void attach_tracking(std::shared_ptr<const ConnectionOptions::Tracking> hooks) override;

public:

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace yooni::redis
