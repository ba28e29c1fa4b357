// API_TOKENS: static bearer tokens for machines, "name:role:token,...".
#pragma once

#include "config/values.hpp"
#include "yooni/config/settings.hpp"

#include <string_view>
#include <vector>

namespace yooni::config::detail {

// The token is everything after the second ':' (it may hold ':'); at least
// 16 visible ASCII characters, as it travels in an Authorization header.
// Roles in any case; names unique; empty entries skipped. Problems name
// the entry by position and start with "; " to follow the expected form.
Checked<std::vector<StaticToken>> parse_static_tokens(std::string_view text);

}  // namespace yooni::config::detail
