// Which keys a request may touch: API_KEY_PREFIXES (the service's share of a
// Redis it may not own alone) and a JWT's key_prefixes claim (one caller's
// share of that). Every cache route asks here before calling the cache, so
// the rule lives in one place.
#include "http/handlers.hpp"

#include <algorithm>

namespace yooni::http::detail {

namespace {

bool starts_with_one_of(std::string_view text, const std::vector<std::string>& prefixes) {
    return std::any_of(prefixes.begin(), prefixes.end(),
                       [&](const std::string& prefix) { return text.starts_with(prefix); });
}

// `text` is a key, or the literal head of a pattern: every key it stands for starts with it.
bool head_allowed(std::string_view text, const Principal* who, const ApiOptions& options) {
    if (!options.key_prefixes.empty() && !starts_with_one_of(text, options.key_prefixes)) return false;
    if (who && who->key_prefixes && !starts_with_one_of(text, *who->key_prefixes)) return false;
    return true;
}

}  // namespace

bool key_allowed(std::string_view key, const Principal* who, const ApiOptions& options) {
    return head_allowed(key, who, options);
}

bool keys_allowed(const std::vector<std::string>& keys, const Principal* who, const ApiOptions& options) {
    return std::all_of(keys.begin(), keys.end(), [&](const std::string& key) { return head_allowed(key, who, options); });
}

bool pattern_allowed(std::string_view pattern, const Principal* who, const ApiOptions& options) {
    // Redis glob: *, ? and [...] match, \ escapes. Up to the first of them the
    // pattern is literal, so each key it matches begins with that head; an
    // escaped character is not counted in it (the head only gets shorter,
    // which can refuse a pattern but never let one through).
    const auto head = pattern.substr(0, pattern.find_first_of("*?[\\"));
    return head_allowed(head, who, options);
}

Response key_outside_prefixes() { return detail_error(403, "Key outside the allowed prefixes"); }

}  // namespace yooni::http::detail
