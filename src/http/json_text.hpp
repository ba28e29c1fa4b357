// Where a value is written inside the text of a JSON document, so that a
// part of a request body can be stored byte for byte, as it was sent
// (`batch/set` stores each item's value the way `PUT` stores a body: a
// number such as 12345678901234567890123 or 1e5 is not rewritten by a
// round trip through a double).
//
// Both functions expect text that a JSON parser has accepted; on text that
// is not JSON they return nullopt or some span of it, never read outside it.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace yooni::http::detail {

// The text of the member `name` of the object written in `object`
// (whitespace around it excluded). With the name written twice, the last
// one, as the parser keeps it. nullopt if `object` is not an object or has
// no such member.
std::optional<std::string_view> member_text(std::string_view object, std::string_view name);

// The text of each element of the array written in `array`; nullopt if it
// is not an array.
std::optional<std::vector<std::string_view>> element_texts(std::string_view array);

}  // namespace yooni::http::detail
