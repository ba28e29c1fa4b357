// The .env reader's seam for tests: parse_dotenv() with the environment
// that `${NAME}` expands against passed in rather than read from the process.
#pragma once

#include "yooni/config/settings.hpp"

#include <map>
#include <optional>
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

// Whether `name` is a setting's name (case ignored, as pydantic-settings does).
bool is_known(std::string_view name);

// The setting an unknown name is most likely a misspelling of: at most one
// letter added, dropped or changed (two for names of 8 characters or more),
// case ignored. None when no setting is that close, or two are equally close.
std::optional<std::string> closest_variable(std::string_view name);

}  // namespace yooni::config::detail
