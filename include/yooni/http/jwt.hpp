// Bearer authentication: HS256 JWTs as the Python system issued them
// (python-jose, header {"alg":"HS256","typ":"JWT"}, claims sub, jti, exp, iat)
// verified strictly, and static tokens from a setting.
//
// Strict means: exactly alg "HS256" (case-sensitive); no "crit" header;
// canonical unpadded base64url in all three parts; header and payload JSON
// objects without duplicate keys; numeric exp required and finite; nbf and iat
// honoured with leeway; sub and jti non-empty strings; the signature compared
// in constant time (CRYPTO_memcmp).
//
// Least privilege on top: only access tokens count (a "type" or "token_type"
// claim, when present, must be exactly the string "access": "refresh",
// "Refresh", "password_reset", ["refresh"] ... are refused); with an audience
// configured (AUTH_AUDIENCE) "aud" must be that string or an array of strings
// holding it (RFC 7519 4.1.3), with an issuer configured (AUTH_ISSUER) "iss"
// must be exactly it, missing claims refused; a token without a role claim
// gets default_role (read unless configured); a "key_prefixes" claim (array
// of non-empty strings) narrows the keys the token may touch, and a malformed
// one refuses the token.
#pragma once

#include <yooni/config/settings.hpp>

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace yooni::http {

using config::Role;

enum class auth_errc {
    missing = 1,        // no Authorization header
    bad_scheme,         // not "Bearer <token>"
    malformed,          // not three base64url parts, bad JSON, duplicate keys, ...
    bad_algorithm,      // alg other than HS256, or a crit header
    bad_signature,
    expired,
    not_yet_valid,      // nbf (or iat) in the future beyond leeway
    missing_claim,      // exp, sub or jti missing, empty or of the wrong type
    wrong_token_kind,   // type or token_type present and not exactly "access" (refresh, password reset ...)
    unknown_token,      // no static token matches and it is not a JWT
    wrong_audience,     // AUTH_AUDIENCE set and aud missing, malformed or not naming it
    wrong_issuer,       // AUTH_ISSUER set and iss missing or not exactly it
    bad_key_prefixes,   // key_prefixes present and not an array of non-empty strings
};
const boost::system::error_category& auth_category();
boost::system::error_code make_error_code(auth_errc e);

struct Principal {
    std::string subject;          // JWT sub, or the static token's name
    Role role = Role::read;
    bool static_token = false;
    // The JWT's key_prefixes claim: the keys the token may touch start with one
    // of these (besides API_KEY_PREFIXES). nullopt = no claim, no narrowing;
    // an empty list = no key at all.
    std::optional<std::vector<std::string>> key_prefixes;
};

struct JwtOptions {
    std::string secret;                         // HMAC key (SECRET_KEY)
    std::chrono::seconds leeway{30};
    std::vector<std::string> admin_subjects;    // subs that are admin when the token has no role claim
    Role default_role = Role::read;             // role when the token has no role claim
    std::string audience;                       // AUTH_AUDIENCE: aud must name it; empty = not checked
    std::string issuer;                         // AUTH_ISSUER: iss must equal it; empty = not checked
};

// Verifies a compact JWS and derives the role: from a "roles" claim (array of
// strings or a string) or a "scope" claim (space-separated; "cache:read",
// "cache:write", "cache:admin" or "read"/"write"/"admin"), the highest one
// named; else admin when sub is in admin_subjects; else default_role.
boost::system::result<Principal> verify_jwt(std::string_view token, const JwtOptions& options,
                                            std::chrono::system_clock::time_point now);

// Mints an access token: header {"alg":"HS256","typ":"JWT"}, claims sub, jti
// (random 128-bit hex), iat, exp = iat + ttl, roles [role], and iss and aud
// when given (AUTH_ISSUER, AUTH_AUDIENCE: so that the service accepts it).
std::string mint_jwt(std::string_view secret, std::string_view subject, Role role,
                     std::chrono::seconds ttl, std::chrono::system_clock::time_point now,
                     std::string_view audience = {}, std::string_view issuer = {});

class Authenticator {
public:
    Authenticator(JwtOptions options, std::vector<config::StaticToken> static_tokens);
    // `authorization` is the header's value, or nullopt when absent. The
    // scheme "Bearer" is matched case-insensitively. Static tokens are
    // compared in constant time against every configured token.
    boost::system::result<Principal> authenticate(std::optional<std::string_view> authorization,
                                                  std::chrono::system_clock::time_point now) const;

private:
    JwtOptions options_;
    std::vector<config::StaticToken> static_tokens_;
    // HMAC-SHA256 of each static token under a per-process key, in the order of static_tokens_.
    std::vector<std::optional<std::array<unsigned char, 32>>> token_digests_;
};

// base64url without padding (RFC 7515 §2), strict decoding: rejects padding,
// characters outside the alphabet, and non-canonical trailing bits.
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace yooni::http

template <>
struct boost::system::is_error_code_enum<yooni::http::auth_errc> : std::true_type {};
