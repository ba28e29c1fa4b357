// Private to src/app: the operator commands (issue 5 item 2) that talk to
// Redis directly with the service's settings: cluster info|nodes|slots,
// stats, get, set, del, healthcheck, and `config check --json`.
//
// Every command prints aligned text for people, or with --json exactly one
// JSON document on stdout (stable keys; on failure {"error", "exit_code"}).
// Errors also go to stderr as one line.
#pragma once

#include <memory>
#include <optional>

namespace CLI {
class App;
}

namespace yooni::app::cli {

// Exit codes of every command (README "Command line").
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;     // Redis unreachable or failing, deadline passed, service unhealthy
constexpr int kExitUsage = 2;       // bad settings or command line; the memory backend (lives in the service)
constexpr int kExitNotFound = 3;    // get of a missing key
constexpr int kExitNotCluster = 4;  // cluster info|nodes|slots without REDIS_CLUSTER_ENABLED
constexpr int kExitClusterNotOk = 5;  // cluster info|slots: cluster_state not ok, or slots no live master serves

struct Commands;

// Adds the sub-commands to `app` and --json to `config_check`. The returned
// object holds the parsed options: keep it alive until run_parsed().
std::shared_ptr<Commands> add_commands(CLI::App& app, CLI::App& config_check);

// Runs the command parsed, if it is one of these; nullopt otherwise. Throws
// config::ConfigError on bad settings (the caller prints it, exit 2).
std::optional<int> run_parsed(const Commands& commands);

}  // namespace yooni::app::cli
