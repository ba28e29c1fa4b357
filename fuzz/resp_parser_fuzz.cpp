// RESP parser: arbitrary bytes, whole and split at every third byte. The
// parser must never crash, must return the same replies however the bytes
// arrive, and a failure must stick until reset().
#include <yooni/resp/parser.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using yooni::resp::Limits;
using yooni::resp::Parser;
using yooni::resp::Reply;

struct Outcome {
    std::vector<std::size_t> reply_sizes;  // bytes of each complete reply
    std::vector<std::size_t> node_counts;
    bool failed = false;
};

// Feeds `input` in steps of `step` bytes (0 = all at once), as a socket would.
Outcome run(std::string_view input, std::size_t step, const Limits& limits) {
    Parser parser{limits};
    Outcome out;
    std::size_t consumed = 0;
    std::size_t available = step == 0 ? input.size() : std::min(step, input.size());
    for (;;) {
        Reply reply;
        auto r = parser.parse(input.substr(consumed, available - consumed), reply);
        if (!r) {
            out.failed = true;
            // A failed parser stays failed.
            Reply again;
            if (parser.parse(input.substr(consumed, available - consumed), again)) std::abort();
            return out;
        }
        if (auto n = *r) {
            if (*n == 0 || consumed + *n > available) std::abort();
            out.reply_sizes.push_back(*n);
            out.node_counts.push_back(reply.nodes.size());
            consumed += *n;
            continue;
        }
        if (available == input.size()) return out;
        available = step == 0 ? input.size() : std::min(available + step, input.size());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input{reinterpret_cast<const char*>(data), size};
    Limits limits;
    limits.max_bulk_bytes = 1u << 16;
    limits.max_aggregate_elements = 1u << 12;
    limits.max_depth = 8;
    limits.max_inline_bytes = 1u << 12;
    const Outcome whole = run(input, 0, limits);
    const Outcome split = run(input, 3, limits);
    if (whole.failed != split.failed || whole.reply_sizes != split.reply_sizes ||
        whole.node_counts != split.node_counts)
        std::abort();
    return 0;
}
