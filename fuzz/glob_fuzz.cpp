// Glob matching (pattern delete): the first line of the input is the
// pattern, the rest the key. Runs with a short per-input timeout (see
// scripts/fuzz.sh) and its work counted: more steps than
// (pattern + 1) x (key + 1) is a bug. Checked against obvious identities
// (Redis's quirks kept: "**" does not match the empty key).
#include <yooni/cache/glob.hpp>

#include "cache/glob_detail.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using yooni::cache::glob_match;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input{reinterpret_cast<const char*>(data), size};
    const auto nl = input.find('\n');
    const auto pattern = input.substr(0, nl);
    const auto key = nl == std::string_view::npos ? std::string_view{} : input.substr(nl + 1);

    const auto counted = yooni::cache::detail::glob_match_counted(pattern, key);
    const bool m = glob_match(pattern, key);
    if (m != counted.matched) std::abort();
    if (counted.steps > (pattern.size() + 1) * (key.size() + 1)) std::abort();
    if (!glob_match("*", key)) std::abort();
    // A pattern without special characters matches exactly itself.
    if (pattern.find_first_of("*?[\\") == std::string_view::npos && m != (pattern == key)) std::abort();
    // Appending '*' never loses a match.
    // (Not for '[' or '\\': an unclosed class or a trailing escape would take the '*' in.)
    if (m && !key.empty() && pattern.size() < 1000 && pattern.find_first_of("[\\") == std::string_view::npos) {
        std::string longer{pattern};
        longer += '*';
        if (!glob_match(longer, key)) std::abort();
    }
    return 0;
}
