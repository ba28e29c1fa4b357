#include "yooni/redis/address_map.hpp"

#include <algorithm>
#include <string>

namespace yooni::redis {
namespace {

std::string_view trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    const auto last = text.find_last_not_of(" \t\r\n");
    return text.substr(first, last - first + 1);
}

ParseError entry_error(std::size_t position, std::string_view entry, std::string_view what) {
    return ParseError{"address map entry " + std::to_string(position) + " \"" + std::string{entry} + "\": " +
                      std::string{what}};
}

}  // namespace

boost::system::result<AddressMap, ParseError> AddressMap::parse(std::string_view text) {
    AddressMap map;
    std::size_t position = 0;
    for (bool more = true; more;) {
        const auto comma = text.find(',');
        const auto entry = trim(text.substr(0, comma));
        more = comma != std::string_view::npos;
        if (more) text.remove_prefix(comma + 1);
        ++position;
        if (entry.empty()) continue;

        const auto equals = entry.find('=');
        if (equals == std::string_view::npos || entry.find('=', equals + 1) != std::string_view::npos) {
            return entry_error(position, entry, "expected announced_host:port=reachable_host:port");
        }
        const auto announced = NodeAddress::parse(trim(entry.substr(0, equals)));
        if (!announced) return entry_error(position, entry, "announced address is not host:port with a port 1..65535");
        const auto reachable = NodeAddress::parse(trim(entry.substr(equals + 1)));
        if (!reachable) return entry_error(position, entry, "reachable address is not host:port with a port 1..65535");
        map.entries_.emplace_back(*announced, *reachable);
        // Two targets for one announced address would make routing depend on
        // entry order: refuse it (the same pair twice is harmless).
        const auto clash = std::find_if(map.entries_.begin(), map.entries_.end() - 1, [&](const auto& e) {
            return e.first == *announced;
        });
        if (clash != map.entries_.end() - 1) {
            if (clash->second != *reachable) {
                return entry_error(position, entry, "announced address " + announced->to_string() + " is mapped twice");
            }
            map.entries_.pop_back();
        }
    }
    std::sort(map.entries_.begin(), map.entries_.end());
    return map;
}

NodeAddress AddressMap::apply(const NodeAddress& announced) const {
    const auto it = std::lower_bound(entries_.begin(), entries_.end(), announced,
                                     [](const auto& entry, const NodeAddress& key) { return entry.first < key; });
    if (it != entries_.end() && it->first == announced) return it->second;
    return announced;
}

}  // namespace yooni::redis
