// Reading the text of INFO: "# Section" headers and "field:value" lines
// (CRLF), for health checks and the per-node monitoring view.
//
// Lenient on purpose: INFO gains fields and sections with every Redis
// version and with modules, and a health check must not fail because one
// line looks new. Lines that are neither headers nor "field:value" are
// skipped; a field that is missing or not a number reads as nullopt.
//
// Owns its text (copies); immutable after parse(); safe to read from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace yooni::redis {

class ServerInfo {
public:
    struct Section {
        std::string name;  // as written after "# ": "Server", "Memory", "Keyspace", ...
        std::vector<std::pair<std::string, std::string>> fields;  // in order
    };
    // One "dbN:keys=..,expires=..,avg_ttl=.." line of the Keyspace section.
    struct Database {
        std::uint32_t index = 0;
        std::int64_t keys = 0;
        std::int64_t expires = 0;
    };

    ServerInfo() = default;
    static ServerInfo parse(std::string_view text);

    const std::vector<Section>& sections() const { return sections_; }
    // The first field of that name in any section (field names are unique in
    // practice), or in one section (name compared case-insensitively).
    std::optional<std::string_view> get(std::string_view field) const;
    std::optional<std::string_view> get(std::string_view section, std::string_view field) const;
    std::optional<std::int64_t> get_int(std::string_view field) const;

    std::optional<std::string_view> redis_version() const { return get("redis_version"); }
    // "master" or "slave" (Redis's word for a replica).
    std::optional<std::string_view> role() const { return get("role"); }
    // True while the node loads its dataset (it answers LOADING meanwhile).
    std::optional<bool> loading() const;
    std::optional<std::int64_t> used_memory_bytes() const { return get_int("used_memory"); }
    std::optional<std::int64_t> instantaneous_ops_per_sec() const { return get_int("instantaneous_ops_per_sec"); }
    std::optional<std::int64_t> connected_clients() const { return get_int("connected_clients"); }
    // Replicas only: "up" or "down".
    std::optional<std::string_view> master_link_status() const { return get("master_link_status"); }
    // The Keyspace section, databases in the order listed (empty ones are not listed).
    std::vector<Database> keyspace() const;
    // Keys over every database; 0 when Keyspace lists none.
    std::int64_t total_keys() const;

private:
    std::vector<Section> sections_;
};

}  // namespace yooni::redis
