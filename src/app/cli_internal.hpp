// Private to the operator commands (src/app/cli*.cpp, see cli.hpp): what the
// command files share. cli.cpp parses and dispatches; each command lives in
// the file of its job:
//
//   cli_output.cpp       error lines, JSON documents, aligned tables and pairs
//   cli_config.cpp       the settings as loaded; `config check --json`
//   cli_session.hpp/cpp  the Redis client of one command (Session)
//   cli_cluster.cpp      cluster info|nodes|slots (and Sentinel's view)
//   cli_stats.cpp        stats
//   cli_cache.cpp        get, set, del [--pattern]
//   cli_healthcheck.cpp  healthcheck: GET /readyz with Beast's HTTP client
//
// cli_healthcheck.cpp is the only one that includes Beast (each unit that
// does costs ~30 s at -O2): keep Beast out of this header and the others.
#pragma once

#include "app/cli.hpp"

#include <yooni/config/settings.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace yooni::app::cli {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

// What every command runs with: its name, --json, the settings, the deadline.
struct Context {
    std::string name;  // "cluster info": names the command in error lines
    bool json = false;
    config::LoadedSettings loaded;
    std::chrono::milliseconds timeout{5000};
    Deadline deadline;

    const config::Settings& settings() const { return loaded.settings; }
};

// ---------------------------------------------------------------- output (cli_output.cpp)

void print_json(const boost::json::value& v);

// One error line on stderr; with --json also {"error", "exit_code"} on stdout.
int fail(const Context& ctx, int code, const std::string& message);

// Columns separated by two spaces; `right` columns (numbers) right-aligned.
void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                 const std::vector<bool>& right);

// "name  value" lines, names padded to one column.
void print_pairs(const std::vector<std::pair<std::string, std::string>>& pairs);

// A JSON value as table text: "-" for null, empty strings and empty arrays.
std::string text_of(const boost::json::value& v);

// Nested objects flattened as "outer.inner".
void flatten(const boost::json::object& o, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>& out);

std::string human_bytes(std::int64_t bytes);

std::string join(const std::vector<std::string>& items, std::string_view sep = ", ");

// ---------------------------------------------------------------- the commands

// cli_config.cpp
config::LoadedSettings load_settings();
int config_check_json();

// cli_cluster.cpp
int cluster_info(const Context& ctx);
int cluster_nodes(const Context& ctx);
int cluster_slots(const Context& ctx);

// cli_stats.cpp
int stats(const Context& ctx);

// cli_cache.cpp. `del` may lengthen ctx's deadline (a pattern delete).
int get_key(const Context& ctx, const std::string& key);
int set_key(const Context& ctx, const std::string& key, std::string value, std::optional<long long> ttl);
int delete_keys(Context& ctx, const std::string& key, const std::optional<std::string>& pattern,
                std::optional<long long> timeout_flag);

// cli_healthcheck.cpp
int healthcheck(const Context& ctx, const std::optional<std::string>& url_text);

}  // namespace yooni::app::cli
