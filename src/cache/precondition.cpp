// The preconditions of conditional writes (If-Match, If-None-Match).
#include <yooni/cache/backend.hpp>

#include <algorithm>

namespace yooni::cache {

bool Precondition::holds(std::optional<std::string_view> current, const Sha1* kept) const {
    switch (kind) {
        case Kind::none: return true;
        case Kind::exists: return current.has_value();
        case Kind::absent: return !current.has_value();
        case Kind::tag: {
            if (!current) return false;
            const auto hash = kept ? hex_of(*kept) : sha1_hex(*current);
            return std::find(tags.begin(), tags.end(), hash) != tags.end();
        }
    }
    return false;
}

}  // namespace yooni::cache
