#include "yooni/redis/server_info.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace yooni::redis {
namespace {

template <typename T>
std::optional<T> parse_number(std::string_view digits) {
    T value{};
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
    return value;
}

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
    });
}

// "keys=5,expires=1,avg_ttl=0": the value of one key=value item.
std::optional<std::int64_t> item(std::string_view list, std::string_view key) {
    while (!list.empty()) {
        const auto comma = list.find(',');
        const auto part = list.substr(0, comma);
        const auto equals = part.find('=');
        if (equals != std::string_view::npos && part.substr(0, equals) == key) {
            return parse_number<std::int64_t>(part.substr(equals + 1));
        }
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return std::nullopt;
}

}  // namespace

ServerInfo ServerInfo::parse(std::string_view text) {
    ServerInfo info;
    while (!text.empty()) {
        const auto newline = text.find('\n');
        auto line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) continue;
        if (line.front() == '#') {
            line.remove_prefix(1);
            while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
            info.sections_.push_back(Section{std::string{line}, {}});
            continue;
        }
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) continue;
        // INFO for one section may come without its header (e.g. from a proxy):
        // keep such fields in an unnamed section rather than dropping them.
        if (info.sections_.empty()) info.sections_.push_back(Section{});
        info.sections_.back().fields.emplace_back(line.substr(0, colon), line.substr(colon + 1));
    }
    return info;
}

std::optional<std::string_view> ServerInfo::get(std::string_view field) const {
    for (const auto& section : sections_) {
        for (const auto& [name, value] : section.fields) {
            if (name == field) return value;
        }
    }
    return std::nullopt;
}

std::optional<std::string_view> ServerInfo::get(std::string_view section_name, std::string_view field) const {
    for (const auto& section : sections_) {
        if (!iequals(section.name, section_name)) continue;
        for (const auto& [name, value] : section.fields) {
            if (name == field) return value;
        }
    }
    return std::nullopt;
}

std::optional<std::int64_t> ServerInfo::get_int(std::string_view field) const {
    const auto value = get(field);
    if (!value) return std::nullopt;
    return parse_number<std::int64_t>(*value);
}

std::optional<bool> ServerInfo::loading() const {
    const auto value = get_int("loading");
    if (!value) return std::nullopt;
    return *value != 0;
}

std::vector<ServerInfo::Database> ServerInfo::keyspace() const {
    std::vector<Database> databases;
    for (const auto& section : sections_) {
        if (!iequals(section.name, "Keyspace")) continue;
        for (const auto& [name, value] : section.fields) {
            if (!std::string_view{name}.starts_with("db")) continue;
            const auto index = parse_number<std::uint32_t>(std::string_view{name}.substr(2));
            const auto keys = item(value, "keys");
            if (!index || !keys) continue;
            databases.push_back(Database{*index, *keys, item(value, "expires").value_or(0)});
        }
    }
    return databases;
}

std::int64_t ServerInfo::total_keys() const {
    std::int64_t total = 0;
    for (const auto& database : keyspace()) total += database.keys;
    return total;
}

}  // namespace yooni::redis
