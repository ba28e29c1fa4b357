// Starts the real `yooni-cache` binary on a free loopback port, in its own
// temporary working directory (so a test's .env is the only one it reads).
#pragma once

#include "support/http_client.hpp"
#include "support/process.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace yooni::test {

// Tokens the default environment configures (API_TOKENS).
inline const std::string kAdminToken = "admin-token-0123456789abcdef0123456789";
inline const std::string kWriterToken = "writer-token-0123456789abcdef012345678";
inline const std::string kReaderToken = "reader-token-0123456789abcdef012345678";
inline const std::string kSecretKey = "test-secret-key-for-hs256-0123456789abcdef";

struct ServiceOptions {
    std::vector<std::string> env;        // "NAME=value", added to (and overriding) the defaults
    bool default_env = true;             // SECRET_KEY, API_TOKENS, WORKER_THREADS=2
    std::string dotenv;                  // contents of .env in the working directory
    std::vector<std::string> args{"serve"};
    bool wait_ready = true;
};

class Service {
public:
    explicit Service(ServiceOptions options = {});
    std::uint16_t port() const { return port_; }
    const std::string& dir() const { return dir_.path(); }
    std::string log() const;
    // How many times `text` occurs in the log so far.
    std::size_t log_count(const std::string& text) const;
    // Waits until the log holds `text` at least `times` times; false when `cap`
    // passes first (a cap for a failing test: a passing one ends when it appears).
    bool wait_for_log(const std::string& text, std::size_t times = 1,
                      std::chrono::milliseconds cap = std::chrono::seconds(30)) const;
    ChildProcess& process() { return process_; }

    HttpResponse get(const std::string& target, const std::string& token = kAdminToken) const;
    HttpResponse put(const std::string& target, const std::string& body, const std::string& token = kWriterToken) const;
    HttpResponse del(const std::string& target, const std::string& token = kWriterToken) const;
    HttpResponse post(const std::string& target, const std::string& body, const std::string& token = kWriterToken) const;

private:
    TempDir dir_;
    std::uint16_t port_ = 0;
    ChildProcess process_;
};

// Runs the binary with arguments in a fresh directory (with an optional .env) and waits for it to exit.
CommandResult run_binary(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
                         const std::string& dotenv = {});

std::vector<std::pair<std::string, std::string>> bearer(const std::string& token);

}  // namespace yooni::test
