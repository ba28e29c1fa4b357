// Looks variables up (environment over .env, names in any case), records
// where each value came from, and turns bad text into the one-line
// ConfigError `NAME="value": expected ...` with secrets masked.
#pragma once

#include "config/values.hpp"
#include "yooni/config/settings.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace yooni::config::detail {

// A value as found, before validation.
struct RawValue {
    std::string text;
    Source source = Source::default_value;
    int line = 0;  // .env line; 0 for the environment
};

// `name` (upper case) in the environment, else in .env. Like
// pydantic-settings with case_sensitive=False any spelling matches; the
// exact upper-case spelling is preferred in the environment, and in .env
// the spelling on the latest line wins, as it would in a dict built line
// by line.
std::optional<RawValue> find_variable(const Environment& environment, std::string_view name);

// The value as a message shows it: "***" for secrets, REDIS_URL with its
// password masked, anything else quoted and escaped.
std::string shown_value(std::string_view name, std::string_view value);

// Used once, on the thread that starts the service; throws ConfigError.
class Reader {
public:
    Reader(const Environment& environment, LoadedSettings& loaded)
        : environment_(environment), loaded_(loaded) {}

    // The raw text, recording its source; nullopt when the variable is not given.
    std::optional<std::string> raw(std::string_view name);

    // Throws `NAME=<shown value>: expected <expected>`, prefixed with
    // `.env line N: ` when the value came from .env.
    [[noreturn]] void fail(std::string_view name, std::string_view value, std::string_view expected) const;

    bool boolean(std::string_view name, bool fallback);
    std::int64_t integer(std::string_view name, std::int64_t fallback, std::int64_t min, std::int64_t max,
                         std::string_view expected);
    // For secrets and optional strings "" means unset (our rule; pydantic keeps "").
    std::optional<std::string> optional_text(std::string_view name);
    Secret secret(std::string_view name);

private:
    const Environment& environment_;
    LoadedSettings& loaded_;
};

}  // namespace yooni::config::detail
