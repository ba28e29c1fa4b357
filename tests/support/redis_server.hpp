// Test support: a real standalone redis-server on a free 127.0.0.1 port, in
// its own temporary directory, for as long as the object lives.
//
// Every suite that talks to Redis (glob rules, the Redis backends) starts its
// own server through this class so tests never share state or need a server
// installed as a service. Not thread-safe: owned by one test or fixture.
#pragma once

#include "support/process.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace yooni::test {

struct RedisServerOptions {
    // Appended after the defaults (which disable persistence), e.g.
    // {"--maxmemory", "10mb"} or {"--cluster-enabled", "yes"}; a later
    // argument overrides an earlier one, as on redis-server's command line.
    std::vector<std::string> extra_args;
    // Non-empty: the server requires it (--requirepass) and cli() sends it.
    std::string password;
    // Non-zero: listen on this port (a test that starts Redis late, on a port
    // a client already tries); zero: a free port.
    std::uint16_t port = 0;
};

class RedisServer {
public:
    // Starts the server and waits until its port accepts connections; throws
    // std::runtime_error (with the server's log) when it cannot be started.
    explicit RedisServer(RedisServerOptions options = {});
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;
    // Stops the server (SIGTERM, then SIGKILL) and removes its directory.
    ~RedisServer();

    std::uint16_t port() const { return port_; }
    const std::string& password() const { return options_.password; }
    // The server's working directory (dump files, nodes.conf, the log).
    const std::string& dir() const { return dir_.path(); }
    // What the server wrote to its log so far, for failure messages.
    std::string log() const;

    // The server's process id (to pause it with SIGSTOP, say).
    int pid() const { return process_.pid(); }
    bool running();
    // Stops the server now, e.g. to test what a client does when it goes away.
    void stop();
    // Starts it again on the same port and directory after stop().
    void start();

    // Runs redis-cli against this server (authenticated when a password is set).
    CommandResult cli(const std::vector<std::string>& args) const;

private:
    std::string log_path() const;

    RedisServerOptions options_;
    TempDir dir_;  // declared before process_: the server stops before its directory goes
    std::uint16_t port_ = 0;
    ChildProcess process_;
};

// Runs `redis-cli -h 127.0.0.1 -p <port> [-a password] args...`; the reply is
// in `out`, one line per element for array replies (redis-cli's raw mode
// when stdout is not a terminal).
CommandResult redis_cli(std::uint16_t port, const std::vector<std::string>& args,
                        const std::string& password = {});

}  // namespace yooni::test
