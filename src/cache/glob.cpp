// Redis's glob rules (stringmatchlen() in util.c, Redis 7), re-expressed as
// tokens so one backtracking point suffices.
//
// Every pattern element except `*` consumes exactly one key byte, and where an
// element ends never depends on the key (only whether it matches does). So the
// pattern is a sequence of stars and one-byte matchers, for which greedy
// matching with a single restart point (the latest star) is exact: a later
// star makes every earlier one's choice irrelevant. That bounds the work by
// (pattern bytes + 1) x (key bytes + 1) whatever the pattern.
//
// Redis quirks kept on purpose, because clients compare our results with
// KEYS/SCAN on a real server:
// - a lone `*` matches every key, even the empty one (KEYS and SCAN skip the
//   matcher for it), while any other pattern matches the empty key only when
//   it is empty itself (stringmatchlen never enters its loop for "");
// - `\x` is a literal x inside and outside brackets; a trailing `\` is a
//   literal backslash;
// - `[` without `]` runs to the end of the pattern; `[]` matches nothing and
//   `[^]` any byte;
// - `[z-a]` is the range a..z; `[a-]` is a range ending at `]`;
// - range bounds compare as `char`, which is signed on x86-64, the platform
//   our servers run on: `[a-\xff]` covers \xff and the bytes up to `a`.
#include "yooni/cache/glob.hpp"

#include "cache/glob_detail.hpp"

#include <algorithm>

namespace yooni::cache {
namespace {

struct Element {
    std::size_t next;  // where the following element starts
    bool matched;
};

// A bracket class whose body starts at `i` (just after `[`), against byte c.
Element match_class(std::string_view p, std::size_t i, char c) {
    const std::size_t n = p.size();
    const bool negate = i < n && p[i] == '^';
    if (negate) ++i;
    bool matched = false;
    while (i < n) {
        if (p[i] == '\\' && i + 1 < n) {
            matched |= p[i + 1] == c;
            i += 2;
        } else if (p[i] == ']') {
            return {i + 1, matched != negate};
        } else if (i + 2 < n && p[i + 1] == '-') {
            auto low = static_cast<signed char>(p[i]);
            auto high = static_cast<signed char>(p[i + 2]);
            if (low > high) std::swap(low, high);
            const auto byte = static_cast<signed char>(c);
            matched |= byte >= low && byte <= high;
            i += 3;
        } else {
            matched |= p[i] == c;
            ++i;
        }
    }
    return {n, matched != negate};  // unterminated: the class ends with the pattern
}

// The one-byte element at `i` (not a star) against byte c.
Element match_element(std::string_view p, std::size_t i, char c) {
    switch (p[i]) {
    case '?':
        return {i + 1, true};
    case '[':
        return match_class(p, i + 1, c);
    case '\\':
        if (i + 1 < p.size()) ++i;
        return {i + 1, p[i] == c};
    default:
        return {i + 1, p[i] == c};
    }
}

}  // namespace

namespace detail {

GlobOutcome glob_match_counted(std::string_view pattern, std::string_view key) {
    if (pattern.size() > kMaxGlobPatternBytes) return {false, 0};
    if (pattern == "*") return {true, 1};
    if (key.empty()) return {pattern.empty(), 0};

    constexpr auto kNone = std::string_view::npos;
    const std::size_t plen = pattern.size();
    std::size_t steps = 0;
    std::size_t pi = 0, ki = 0;
    std::size_t star_resume = kNone;  // pattern index just after the latest star run
    std::size_t star_key = 0;         // key index that star run currently starts matching at

    while (ki < key.size()) {
        if (pi < plen && pattern[pi] == '*') {
            for (; pi < plen && pattern[pi] == '*'; ++pi) ++steps;
            if (pi == plen) return {true, steps};  // a final star takes the rest of the key
            star_resume = pi;
            star_key = ki;
            continue;
        }
        if (pi < plen) {
            const Element e = match_element(pattern, pi, key[ki]);
            steps += e.next - pi;
            if (e.matched) {
                pi = e.next;
                ++ki;
                continue;
            }
        }
        if (star_resume == kNone) return {false, steps};
        // Let the latest star take one more byte and retry what follows it.
        pi = star_resume;
        ki = ++star_key;
        ++steps;
    }
    for (; pi < plen && pattern[pi] == '*'; ++pi) ++steps;
    return {pi == plen, steps};
}

}  // namespace detail

bool glob_match(std::string_view pattern, std::string_view key) {
    return detail::glob_match_counted(pattern, key).matched;
}

}  // namespace yooni::cache
