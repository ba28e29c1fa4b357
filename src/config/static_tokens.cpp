#include "config/static_tokens.hpp"

#include "config/text.hpp"

namespace yooni::config::detail {

Checked<std::vector<StaticToken>> parse_static_tokens(std::string_view text) {
    using Result = Checked<std::vector<StaticToken>>;
    constexpr std::size_t kMinTokenChars = 16;
    std::vector<StaticToken> tokens;
    int index = 0;
    for (auto entry : split(text, ',')) {
        if (entry.empty()) continue;  // "a:read:x," — a trailing comma is harmless
        ++index;
        const auto first = entry.find(':');
        const auto second = first == std::string_view::npos ? first : entry.find(':', first + 1);
        // Entries are named by position only: an entry written token-first
        // would otherwise print the token as its "name".
        const auto label = "entry " + std::to_string(index);
        if (second == std::string_view::npos) return Result::fail("; " + label + " has no name:role:token form");
        const auto name = trim(entry.substr(0, first));
        const auto role_text = to_lower(trim(entry.substr(first + 1, second - first - 1)));
        const auto token = trim(entry.substr(second + 1));
        if (name.empty()) return Result::fail("; " + label + " has an empty name");
        for (char c : name) {
            const auto byte = static_cast<unsigned char>(c);
            if (byte <= 0x20 || byte == 0x7f) return Result::fail("; " + label + " has a name with spaces or control characters");
        }
        const auto role = parse_role(role_text);
        if (!role) return Result::fail("; " + label + " has a role other than read, write or admin");
        if (token.size() < kMinTokenChars) return Result::fail("; " + label + " has a token shorter than 16 characters");
        for (char c : token) {
            const auto byte = static_cast<unsigned char>(c);
            // Bearer tokens travel in an HTTP header: visible ASCII only.
            if (byte <= 0x20 || byte >= 0x7f) return Result::fail("; " + label + " has a token with characters other than visible ASCII");
        }
        for (const auto& earlier : tokens) {
            if (earlier.name == name) return Result::fail("; " + label + " repeats a name; names must be unique");
        }
        tokens.push_back(StaticToken{std::string(name), *role, Secret{std::string(token)}});
    }
    return Result::ok(std::move(tokens));
}

}  // namespace yooni::config::detail
