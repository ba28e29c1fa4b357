// Where a value is written in a JSON text (batch/set stores each item's value
// as written): on any input, member_text and element_texts never read past
// it; on input Boost.JSON accepts, every member and element text they find
// parses to the value the parser put at that place.
#include "http/json_text.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace yooni::http::detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input{reinterpret_cast<const char*>(data), size};
    const auto items = element_texts(input);
    (void)member_text(input, "value");

    boost::json::parse_options options;
    options.max_depth = 64;  // as the service parses bodies
    boost::system::error_code ec;
    const auto parsed = boost::json::parse(input, ec, {}, options);
    if (ec) return 0;
    if (const auto* a = parsed.if_array()) {
        if (!items || items->size() != a->size()) std::abort();
        for (std::size_t i = 0; i < a->size(); ++i)
            if (boost::json::parse((*items)[i], ec, {}, options) != (*a)[i] || ec) std::abort();
    } else if (items) {
        std::abort();
    }
    if (const auto* o = parsed.if_object()) {
        for (const auto& [name, value] : *o) {
            const auto text = member_text(input, std::string_view{name});
            if (!text || boost::json::parse(*text, ec, {}, options) != value || ec) std::abort();
        }
    } else if (member_text(input, "value")) {
        std::abort();
    }
    return 0;
}
