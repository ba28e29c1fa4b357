// The .env reader's seam for tests: parse_dotenv() with the environment
// that `${NAME}` expands against passed in rather than read from the process.
#pragma once

#include "yooni/config/settings.hpp"

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace yooni::config::detail {

// python-dotenv (what pydantic-settings calls) expands `${NAME}` and
// `${NAME:-default}` in every value, quoted or not: earlier .env lines
// first, then `process_env`, then the default, else "". `$NAME` without
// braces stays as written.
Environment parse_dotenv(std::string_view text, const std::map<std::string, std::string>& process_env);

// The whole process environment in `environ` order, and as a map for the
// expansion above.
std::vector<std::pair<std::string, std::string>> process_environment_in_order();
std::map<std::string, std::string> process_environment();

}  // namespace yooni::config::detail
