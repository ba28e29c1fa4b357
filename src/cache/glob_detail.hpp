// Internals of glob_match shared with its tests: the matcher reports how much
// work it did, so a test can check the O(pattern x key) bound by counting
// steps instead of timing.
#pragma once

#include <cstddef>
#include <string_view>

namespace yooni::cache::detail {

struct GlobOutcome {
    bool matched = false;
    std::size_t steps = 0;  // pattern bytes examined, over all attempts
};

GlobOutcome glob_match_counted(std::string_view pattern, std::string_view key);

}  // namespace yooni::cache::detail
