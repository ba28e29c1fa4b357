// Cluster topology parsers: bytes read as a RESP reply to CLUSTER SLOTS
// (RESP2 or RESP3), and as the text of CLUSTER NODES and CLUSTER INFO. A
// map built must only hold slots 0..16383 and addresses with a host.
#include <yooni/redis/cluster_nodes.hpp>
#include <yooni/redis/slot_map.hpp>
#include <yooni/resp/parser.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace yooni;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input{reinterpret_cast<const char*>(data), size};

    resp::Limits limits;
    limits.max_aggregate_elements = 1u << 14;
    limits.max_bulk_bytes = 1u << 16;
    resp::Parser parser{limits};
    resp::Reply reply;
    if (auto r = parser.parse(input, reply); r && *r) {
        const redis::NodeAddress seed{"127.0.0.1", 7000};
        if (auto map = redis::SlotMap::from_cluster_slots(reply, seed, 1)) {
            const auto& m = **map;
            std::size_t covered = 0;
            for (const auto& master : m.masters()) {
                if (master.host.empty() || master.port == 0) std::abort();
                for (const auto& range : m.ranges_of(master)) {
                    if (range.first > range.last || range.last > 16383) std::abort();
                    covered += range.last - range.first + 1u;
                    if (m.master_for(range.first) == nullptr || *m.master_for(range.first) != master) std::abort();
                }
            }
            if (covered + m.uncovered_slot_count() != 16384) std::abort();
            if (!m.masters().empty()) (void)m.with_slot_moved(static_cast<std::uint16_t>(size % 16384), m.masters().front());
        }
    }

    if (auto nodes = redis::parse_cluster_nodes(input)) {
        for (const auto& n : *nodes)
            if (n.slot_count > 16384) std::abort();
    }
    (void)redis::parse_cluster_info(input);
    return 0;
}
