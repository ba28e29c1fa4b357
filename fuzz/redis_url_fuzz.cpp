// REDIS_URL: any text parses or is refused with a message; the masked form
// never shows a password the parser found.
#include "config/redis_url.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace yooni::config::detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text{reinterpret_cast<const char*>(data), size};
    const std::string masked = mask_redis_url(text);
    auto url = parse_redis_url(text);
    if (url) {
        if (url.value->port && *url.value->port == 0) std::abort();
        // A password long enough not to occur by chance, written once in the
        // URL, must be masked out of the text error messages print.
        const auto& pw = url.value->password;
        // (Not when the same text is also in a part the mask shows: the user
        // name, or what follows the last '@'.)
        const auto at = text.find(pw);
        const bool once = at != std::string_view::npos && text.find(pw, at + 1) == std::string_view::npos;
        const auto last_at = text.rfind('@');
        const bool shown_elsewhere = url.value->username.find(pw) != std::string::npos ||
                                     (last_at != std::string_view::npos && text.substr(last_at).find(pw) != std::string_view::npos);
        if (pw.size() >= 6 && once && !shown_elsewhere && masked.find(pw) != std::string::npos) std::abort();
    }
    return 0;
}
