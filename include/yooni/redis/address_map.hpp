// Address translation for clusters behind NAT or in Docker: nodes announce
// addresses (in CLUSTER SLOTS and MOVED/ASK) that this client cannot reach,
// and the operator says where each one is really reachable.
//
// Setting text: "announced_host:port=reachable_host:port,..." (IPv6 as
// "[::1]:7000"); blanks around entries and empty entries are ignored.
// Callers apply the map to every address the cluster tells them about:
// topology answers and redirections alike.
//
// Immutable after parse(); safe to read from any thread.
#pragma once

#include "yooni/redis/slot_map.hpp"

#include <boost/system/result.hpp>

#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

namespace yooni::redis {

class AddressMap {
public:
    AddressMap() = default;  // empty: every address maps to itself

    // Errors name the entry (by position and text) and what is wrong with it.
    static boost::system::result<AddressMap, ParseError> parse(std::string_view text);

    // The reachable address for `announced`, or `announced` itself when it is
    // not in the map. O(log n).
    NodeAddress apply(const NodeAddress& announced) const;

    bool empty() const { return entries_.empty(); }
    std::size_t size() const { return entries_.size(); }

private:
    // Sorted by announced address, each announced address once.
    std::vector<std::pair<NodeAddress, NodeAddress>> entries_;
};

}  // namespace yooni::redis
