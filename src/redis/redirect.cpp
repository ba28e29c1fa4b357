#include "yooni/redis/redirect.hpp"

#include "yooni/redis/key_slot.hpp"

#include <charconv>

namespace yooni::redis {
namespace {

// The text up to the first space (or all of it) and what follows that space.
std::pair<std::string_view, std::string_view> split_word(std::string_view text) {
    const auto space = text.find(' ');
    if (space == std::string_view::npos) return {text, {}};
    return {text.substr(0, space), text.substr(space + 1)};
}

template <typename T>
std::optional<T> parse_unsigned(std::string_view digits) {
    // Slots and ports have at most five digits; the length cap also keeps a
    // long digit run from overflowing. from_chars stops at the first non-digit,
    // so the end check refuses "12x" and a trailing blank.
    if (digits.empty() || digits.size() > 5) return std::nullopt;
    T value{};
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
    return value;
}

}  // namespace

std::optional<Redirect> parse_redirect(std::string_view error_text) {
    const auto [word, rest] = split_word(error_text);
    Redirect::Kind kind;
    if (word == "MOVED") {
        kind = Redirect::Kind::moved;
    } else if (word == "ASK") {
        kind = Redirect::Kind::ask;
    } else {
        return std::nullopt;
    }
    const auto [slot_text, endpoint] = split_word(rest);
    const auto slot = parse_unsigned<std::uint32_t>(slot_text);
    if (!slot || *slot >= kSlotCount) return std::nullopt;
    // One token only: a space inside the endpoint means this is not the format we know.
    if (endpoint.empty() || endpoint.find(' ') != std::string_view::npos) return std::nullopt;

    std::string_view host;
    std::string_view port_text;
    if (endpoint.front() == '[') {
        const auto close = endpoint.find(']');
        if (close == std::string_view::npos || close + 1 >= endpoint.size() || endpoint[close + 1] != ':') {
            return std::nullopt;
        }
        host = endpoint.substr(1, close - 1);
        port_text = endpoint.substr(close + 2);
    } else {
        // Redis writes IPv6 endpoints unbracketed ("::1:7000"); the port never holds a ':'.
        const auto colon = endpoint.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        host = endpoint.substr(0, colon);
        port_text = endpoint.substr(colon + 1);
    }
    const auto port = parse_unsigned<std::uint32_t>(port_text);
    if (!port || *port == 0 || *port > 65535) return std::nullopt;
    return Redirect{kind, static_cast<std::uint16_t>(*slot), std::string{host},
                    static_cast<std::uint16_t>(*port)};
}

ErrorKind classify_error(std::string_view error_text) {
    const auto word = split_word(error_text).first;
    if (word == "MOVED") return ErrorKind::moved;
    if (word == "ASK") return ErrorKind::ask;
    if (word == "TRYAGAIN") return ErrorKind::tryagain;
    if (word == "CLUSTERDOWN") return ErrorKind::clusterdown;
    if (word == "LOADING") return ErrorKind::loading;
    if (word == "READONLY") return ErrorKind::readonly;
    if (word == "MASTERDOWN") return ErrorKind::masterdown;
    if (word == "NOAUTH" || word == "WRONGPASS") return ErrorKind::auth;
    return ErrorKind::other;
}

}  // namespace yooni::redis
