#include "config/reader.hpp"

#include "config/redis_url.hpp"
#include "config/text.hpp"

namespace yooni::config::detail {

std::optional<RawValue> find_variable(const Environment& environment, std::string_view name) {
    const std::string exact(name);
    if (auto it = environment.env.find(exact); it != environment.env.end()) {
        return RawValue{it->second, Source::environment, 0};
    }
    for (const auto& [spelled, value] : environment.env) {
        if (iequals(spelled, name)) return RawValue{value, Source::environment, 0};
    }
    std::optional<RawValue> latest;
    for (const auto& [spelled, value] : environment.dotenv) {
        if (!iequals(spelled, name)) continue;
        const auto line_it = environment.dotenv_lines.find(spelled);
        const int line = line_it == environment.dotenv_lines.end() ? 0 : line_it->second;
        if (!latest || line > latest->line) latest = RawValue{value, Source::dotenv, line};
    }
    return latest;
}

std::string shown_value(std::string_view name, std::string_view value) {
    for (const auto& doc : variables()) {
        if (doc.name == name && doc.secret) return "\"***\"";
    }
    if (name == "REDIS_URL") return quoted(mask_redis_url(value));
    return quoted(value);
}

std::optional<std::string> Reader::raw(std::string_view name) {
    auto found = find_variable(environment_, name);
    if (!found) return std::nullopt;
    loaded_.sources[std::string(name)] = found->source;
    return std::move(found->text);
}

void Reader::fail(std::string_view name, std::string_view value, std::string_view expected) const {
    // A value from .env names its line, as .env syntax errors do.
    std::string where;
    if (auto found = find_variable(environment_, name); found && found->source == Source::dotenv && found->line > 0)
        where = ".env line " + std::to_string(found->line) + ": ";
    throw ConfigError(std::string(name), where + std::string(name) + "=" + shown_value(name, value) + ": expected " +
                                             std::string(expected));
}

bool Reader::boolean(std::string_view name, bool fallback) {
    const auto text = raw(name);
    if (!text) return fallback;
    const auto value = parse_bool(*text);
    if (!value) fail(name, *text, "a boolean: true/false, 1/0, yes/no, on/off, t/f or y/n");
    return *value;
}

std::int64_t Reader::integer(std::string_view name, std::int64_t fallback, std::int64_t min, std::int64_t max,
                             std::string_view expected) {
    const auto text = raw(name);
    if (!text) return fallback;
    const auto value = parse_int(*text);
    if (!value || *value < min || *value > max) fail(name, *text, expected);
    return *value;
}

std::optional<std::string> Reader::optional_text(std::string_view name) {
    auto text = raw(name);
    if (!text || trim(*text).empty()) return std::nullopt;
    return text;
}

Secret Reader::secret(std::string_view name) {
    // Kept byte for byte: a password may well end in a space.
    auto text = raw(name);
    if (!text || text->empty()) return Secret{};
    return Secret{std::move(*text)};
}

}  // namespace yooni::config::detail
