// Redis glob matching (the rules of KEYS/SCAN MATCH: `*`, `?`, `[a-z]`,
// `[^a]`, `\` escapes), in time O(pattern x key) whatever the pattern:
// a hostile pattern like `*a*a*a...b` cannot blow up.
#pragma once

#include <cstddef>
#include <string_view>

namespace yooni::cache {

inline constexpr std::size_t kMaxGlobPatternBytes = 1024;

// True when `key` matches `pattern` as Redis's stringmatchlen() would.
bool glob_match(std::string_view pattern, std::string_view key);

}  // namespace yooni::cache
