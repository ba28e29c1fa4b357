// REDIS_URL: any text parses or is refused with a message; the masked form
// never depends on the password the parser found.
#include "config/redis_url.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace yooni::config::detail;

namespace {

// Where the password sits in the raw text, found the way a reader of the URL
// finds it: the user info of the authority, after its first ':'.
struct Span {
    std::size_t offset = std::string_view::npos;
    std::size_t size = 0;
};

Span raw_password(std::string_view text) {
    const auto separator = text.find("://");
    if (separator == std::string_view::npos) return {};
    const auto start = separator + 3;
    auto rest = text.substr(start);
    rest = rest.substr(0, rest.find('?'));
    const auto authority = rest.substr(0, rest.find('/'));
    const auto at = authority.rfind('@');
    if (at == std::string_view::npos) return {};
    const auto colon = authority.substr(0, at).find(':');
    if (colon == std::string_view::npos) return {};
    return {start + colon + 1, at - colon - 1};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text{reinterpret_cast<const char*>(data), size};
    const std::string masked = mask_redis_url(text);
    auto url = parse_redis_url(text);
    if (!url) return 0;
    if (url.value->port && *url.value->port == 0) std::abort();

    // The masked text must not depend on the password: the same URL with every
    // character of the password changed masks to the very same text. (Passwords
    // written with a %-escape or holding a character that shapes the URL are left
    // out: changing those changes where the parts begin.)
    const auto& pw = url.value->password;
    if (pw.empty() || pw.find_first_of(":@/?#&=%") != std::string::npos) return 0;
    const auto raw = raw_password(text);
    if (raw.offset == std::string_view::npos) std::abort();  // the parser found a password we cannot see
    if (text.substr(raw.offset, raw.size) != pw) return 0;  // written with %-escapes
    std::string other{text};
    for (std::size_t i = 0; i < pw.size(); ++i) {
        char& c = other[raw.offset + i];
        c = c == 'a' ? 'b' : 'a';
    }
    if (mask_redis_url(other) != masked) std::abort();
    return 0;
}
