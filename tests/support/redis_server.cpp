#include "support/redis_server.hpp"

#include <fstream>
#include <iterator>
#include <stdexcept>

namespace yooni::test {
namespace {

// free_port() can race with another process taking the port before the
// server binds it; a few fresh ports make that practically impossible.
constexpr int kStartAttempts = 5;
constexpr auto kStartTimeout = std::chrono::seconds(10);
constexpr auto kPollInterval = std::chrono::milliseconds(50);

}  // namespace

RedisServer::RedisServer(RedisServerOptions options) : options_(std::move(options)) {
    for (int attempt = 0; attempt < kStartAttempts && !process_.running(); ++attempt) {
        port_ = options_.port != 0 ? options_.port : free_port();
        try {
            start();
        } catch (const std::runtime_error&) {
            if (attempt + 1 == kStartAttempts) throw;
        }
    }
}

RedisServer::~RedisServer() { stop(); }

void RedisServer::start() {
    std::vector<std::string> argv{"redis-server",
                                  "--port", std::to_string(port_),
                                  "--bind", "127.0.0.1",
                                  "--save", "",
                                  "--appendonly", "no",
                                  "--dir", dir_.path(),
                                  "--daemonize", "no"};
    if (!options_.password.empty()) {
        argv.push_back("--requirepass");
        argv.push_back(options_.password);
    }
    argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
    process_ = ChildProcess{argv, {}, log_path()};

    // Poll in short steps so a server that exits at once (port taken, bad
    // argument) is reported promptly instead of after the whole timeout.
    auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!process_.running()) break;
        if (wait_for_port(port_, kPollInterval)) return;
    }
    process_.stop(9);
    throw std::runtime_error("redis-server did not start on port " + std::to_string(port_) +
                             "; log:\n" + log());
}

void RedisServer::stop() {
    if (process_.running() && process_.stop(15, std::chrono::seconds(5)) == -1) process_.stop(9);
}

bool RedisServer::running() { return process_.running(); }

std::string RedisServer::log_path() const { return dir_.path() + "/redis.log"; }

std::string RedisServer::log() const {
    std::ifstream in{log_path(), std::ios::binary};
    return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

CommandResult RedisServer::cli(const std::vector<std::string>& args) const {
    return redis_cli(port_, args, options_.password);
}

CommandResult redis_cli(std::uint16_t port, const std::vector<std::string>& args,
                        const std::string& password) {
    std::vector<std::string> argv{"redis-cli", "-h", "127.0.0.1", "-p", std::to_string(port)};
    if (!password.empty()) {
        // --no-auth-warning: the warning goes to stderr and would clutter failures.
        argv.insert(argv.end(), {"--no-auth-warning", "-a", password});
    }
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, {}, std::chrono::seconds(30));
}

}  // namespace yooni::test
