// Bearer authentication: any Authorization header value is either refused or
// yields a principal with a known role; a JWT accepted is in canonical
// base64url in all three parts (a mutated encoding of the same bytes must be
// refused); base64url decoding is strict and round trips.
#include <yooni/http/jwt.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace yooni;

namespace {

constexpr std::string_view kSecret = "fuzz-secret-key-0123456789abcdef";
constexpr std::string_view kStatic = "static-token-for-fuzzing-0001";

const http::Authenticator& authenticator() {
    static const http::Authenticator auth = [] {
        http::JwtOptions o;
        o.secret = std::string{kSecret};
        o.admin_subjects = {"ops"};
        std::vector<config::StaticToken> tokens;
        tokens.push_back(config::StaticToken{"deploy-bot", config::Role::write, config::Secret{std::string{kStatic}}});
        return http::Authenticator{o, tokens};
    }();
    return auth;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input{reinterpret_cast<const char*>(data), size};
    // A fixed clock: 2026-01-01T00:00:00Z, so that accepted seeds stay accepted.
    const auto now = std::chrono::system_clock::time_point{std::chrono::seconds{1767225600}};

    auto who = authenticator().authenticate(input, now);
    if (who) {
        const auto role = static_cast<int>(who->role);
        if (role < 1 || role > 3) std::abort();
        if (who->static_token && who->subject != "deploy-bot") std::abort();
    }

    http::JwtOptions o;
    o.secret = std::string{kSecret};
    if (auto p = http::verify_jwt(input, o, now)) {
        std::string_view rest = input;
        for (int part = 0; part < 3; ++part) {
            const auto dot = rest.find('.');
            if ((part < 2) == (dot == std::string_view::npos)) std::abort();
            const auto text = rest.substr(0, dot);
            auto bytes = http::base64url_decode(text);
            if (!bytes || http::base64url_encode(*bytes) != text) std::abort();
            rest = dot == std::string_view::npos ? std::string_view{} : rest.substr(dot + 1);
        }
    }

    if (auto decoded = http::base64url_decode(input)) {
        if (http::base64url_encode(*decoded) != input) std::abort();
    }
    const auto encoded = http::base64url_encode(input);
    auto back = http::base64url_decode(encoded);
    if (!back || *back != input) std::abort();
    return 0;
}
