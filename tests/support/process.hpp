// Test support: running real programs (python3, redis-server, the service
// binary) and finding free loopback ports.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace yooni::test {

struct CommandResult {
    int exit_code = -1;      // -1 when the program could not be started or was killed
    std::string out;         // stdout
    std::string err;         // stderr
};

// Runs argv[0] (looked up on PATH) with `input` on stdin; waits at most `timeout`.
CommandResult run_command(const std::vector<std::string>& argv, const std::string& input = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Runs a Python snippet under /usr/bin/python3 (Debian's interpreter, which
// has python3-jose and python3-redis), extra args appended to sys.argv.
CommandResult run_python(const std::string& code, const std::vector<std::string>& args = {},
                         const std::string& input = {});

// A TCP port on 127.0.0.1 that was free a moment ago (bind to 0, read, close).
std::uint16_t free_port();

// A child process kept running until stop() or destruction (SIGTERM, then SIGKILL).
class ChildProcess {
public:
    ChildProcess() = default;
    // extra_env entries are "NAME=value" (override the inherited ones) or "NAME" (unset it); log_path
    // receives stdout and stderr; cwd is the child's working directory.
    ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {},
                 const std::string& log_path = {}, const std::string& cwd = {});
    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&& other) noexcept;
    ~ChildProcess();
    int pid() const { return pid_; }
    bool running();
    // Sends `signal`; returns the exit status (as from waitpid) or -1 on timeout.
    int stop(int signal = 15, std::chrono::milliseconds timeout = std::chrono::seconds(10));

private:
    int pid_ = -1;
};

// Waits until 127.0.0.1:port accepts a TCP connection.
bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A fresh temporary directory, removed at destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

}  // namespace yooni::test
