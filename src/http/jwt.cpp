// Bearer authentication: strict HS256 JWT verification and minting, and static
// tokens. Everything here is pure computation on the caller's thread; the only
// shared state is the per-process key for comparing static tokens, drawn once.
#include <yooni/http/jwt.hpp>

#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <set>
#include <stdexcept>

namespace yooni::http {
namespace {

// Far above any token we issue; bounds the work an unauthenticated peer can ask for.
constexpr std::size_t kMaxTokenBytes = 8 * 1024;
constexpr std::size_t kDigestBytes = 32;  // SHA-256
// The only header we emit: python-jose's, byte for byte (sorted keys, no spaces).
constexpr std::string_view kMintHeader = R"({"alg":"HS256","typ":"JWT"})";
constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

using Digest = std::array<unsigned char, kDigestBytes>;
using boost::system::result;

class AuthCategory final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "yooni.http.auth"; }
    // Fixed texts only: a message must never carry any part of the token.
    std::string message(int ev) const override {
        switch (static_cast<auth_errc>(ev)) {
        case auth_errc::missing: return "missing credentials";
        case auth_errc::bad_scheme: return "expected Bearer credentials";
        case auth_errc::malformed: return "malformed token";
        case auth_errc::bad_algorithm: return "unsupported token algorithm";
        case auth_errc::bad_signature: return "bad token signature";
        case auth_errc::expired: return "token expired";
        case auth_errc::not_yet_valid: return "token not yet valid";
        case auth_errc::missing_claim: return "token claim missing or invalid";
        case auth_errc::wrong_token_kind: return "token kind not accepted";
        case auth_errc::unknown_token: return "unknown token";
        case auth_errc::wrong_audience: return "token audience not accepted";
        case auth_errc::wrong_issuer: return "token issuer not accepted";
        case auth_errc::bad_key_prefixes: return "token key_prefixes claim invalid";
        }
        return "authentication error";
    }
};

constexpr std::array<signed char, 256> make_decode_table() {
    std::array<signed char, 256> table{};
    for (auto& entry : table) entry = -1;
    for (std::size_t i = 0; i < kAlphabet.size(); ++i)
        table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<signed char>(i);
    return table;
}
constexpr auto kDecodeTable = make_decode_table();

std::string_view as_chars(const Digest& digest) {
    return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

// HMAC-SHA256 (RFC 2104) with the key's inner and outer pads hashed once per
// key and thread: OpenSSL 3's one-shot HMAC() looks SHA-256 up by name under
// locks on every call, about a microsecond, on the path of every request.
class PreparedKey {
public:
    explicit PreparedKey(std::string_view key) : key_(key), inner_(EVP_MD_CTX_new()), outer_(EVP_MD_CTX_new()) {
        std::array<unsigned char, 64> block{};
        if (key.size() > block.size()) {
            unsigned int n = 0;
            EVP_Digest(key.data(), key.size(), block.data(), &n, sha256(), nullptr);
        } else {
            std::copy(key.begin(), key.end(), block.begin());
        }
        std::array<unsigned char, 64> ipad{}, opad{};
        for (std::size_t i = 0; i < block.size(); ++i) {
            ipad[i] = static_cast<unsigned char>(block[i] ^ 0x36);
            opad[i] = static_cast<unsigned char>(block[i] ^ 0x5c);
        }
        ok_ = inner_ && outer_ && EVP_DigestInit_ex(inner_, sha256(), nullptr) == 1 &&
              EVP_DigestUpdate(inner_, ipad.data(), ipad.size()) == 1 &&
              EVP_DigestInit_ex(outer_, sha256(), nullptr) == 1 &&
              EVP_DigestUpdate(outer_, opad.data(), opad.size()) == 1;
        OPENSSL_cleanse(block.data(), block.size());
        OPENSSL_cleanse(ipad.data(), ipad.size());
        OPENSSL_cleanse(opad.data(), opad.size());
    }
    ~PreparedKey() {
        EVP_MD_CTX_free(inner_);
        EVP_MD_CTX_free(outer_);
        OPENSSL_cleanse(key_.data(), key_.size());
    }
    PreparedKey(const PreparedKey&) = delete;
    PreparedKey& operator=(const PreparedKey&) = delete;

    bool same_key(std::string_view key) const { return key_ == key; }

    std::optional<Digest> sign(std::string_view data) const {
        thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> work_owner{EVP_MD_CTX_new(),
                                                                                          &EVP_MD_CTX_free};
        EVP_MD_CTX* work = work_owner.get();
        Digest inner_digest{}, out{};
        unsigned int n = 0;
        if (!ok_ || !work || EVP_MD_CTX_copy_ex(work, inner_) != 1 || EVP_DigestUpdate(work, data.data(), data.size()) != 1 ||
            EVP_DigestFinal_ex(work, inner_digest.data(), &n) != 1 || EVP_MD_CTX_copy_ex(work, outer_) != 1 ||
            EVP_DigestUpdate(work, inner_digest.data(), inner_digest.size()) != 1 ||
            EVP_DigestFinal_ex(work, out.data(), &n) != 1 || n != out.size())
            return std::nullopt;
        return out;
    }

private:
    static const EVP_MD* sha256() {
        static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
        return md;
    }
    std::string key_;
    EVP_MD_CTX* inner_;
    EVP_MD_CTX* outer_;
    bool ok_ = false;
};

std::optional<Digest> hmac_sha256(std::string_view key, std::string_view data) {
    // A few keys per process (SECRET_KEY, the process key): kept per thread.
    thread_local std::vector<std::unique_ptr<PreparedKey>> prepared;
    for (const auto& p : prepared)
        if (p->same_key(key)) return p->sign(data);
    if (prepared.size() >= 8) prepared.erase(prepared.begin());
    prepared.push_back(std::make_unique<PreparedKey>(key));
    return prepared.back()->sign(data);
}

// Key for comparing static tokens: both sides are hashed under it so the
// comparison is over equal-length digests, whatever the lengths of the tokens.
const Digest& process_key() {
    static const Digest key = [] {
        Digest k{};
        if (RAND_bytes(k.data(), static_cast<int>(k.size())) != 1)
            throw std::runtime_error("RAND_bytes failed");
        return k;
    }();
    return key;
}

bool iequals(std::string_view a, std::string_view b) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

// SAX pass that fails on a key repeated within one object (at any depth).
// Boost.JSON's DOM parser silently keeps one of the duplicates, which would let
// {"alg":"none","alg":"HS256"} mean different things to different parsers.
// Keys are compared after unescaping, so "sub" and "\u0073ub" collide.
class DuplicateKeyCheck {
public:
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);

    bool on_document_begin(boost::system::error_code&) { return true; }
    bool on_document_end(boost::system::error_code&) { return true; }
    bool on_array_begin(boost::system::error_code&) { return true; }
    bool on_array_end(std::size_t, boost::system::error_code&) { return true; }
    bool on_object_begin(boost::system::error_code&) {
        keys_.emplace_back();
        return true;
    }
    bool on_object_end(std::size_t, boost::system::error_code&) {
        keys_.pop_back();
        return true;
    }
    bool on_string_part(boost::json::string_view, std::size_t, boost::system::error_code&) { return true; }
    bool on_string(boost::json::string_view, std::size_t, boost::system::error_code&) { return true; }
    bool on_key_part(boost::json::string_view part, std::size_t, boost::system::error_code&) {
        pending_.append(part.data(), part.size());
        return true;
    }
    bool on_key(boost::json::string_view last, std::size_t, boost::system::error_code& ec) {
        pending_.append(last.data(), last.size());
        const bool fresh = keys_.back().insert(std::move(pending_)).second;
        pending_.clear();
        if (!fresh) ec = boost::json::error::syntax;
        return fresh;
    }
    bool on_number_part(boost::json::string_view, boost::system::error_code&) { return true; }
    bool on_int64(std::int64_t, boost::json::string_view, boost::system::error_code&) { return true; }
    bool on_uint64(std::uint64_t, boost::json::string_view, boost::system::error_code&) { return true; }
    bool on_double(double, boost::json::string_view, boost::system::error_code&) { return true; }
    bool on_bool(bool, boost::system::error_code&) { return true; }
    bool on_null(boost::system::error_code&) { return true; }
    bool on_comment_part(boost::json::string_view, boost::system::error_code&) { return true; }
    bool on_comment(boost::json::string_view, boost::system::error_code&) { return true; }

private:
    std::vector<std::set<std::string>> keys_;  // one set per open object, innermost last
    std::string pending_;                       // a key delivered in parts
};

// A JSON object without duplicate keys, in strict JSON (no comments, valid UTF-8).
std::optional<boost::json::object> parse_object(std::string_view text) {
    const boost::json::parse_options options;
    {
        boost::json::basic_parser<DuplicateKeyCheck> checker(options);
        boost::system::error_code ec;
        checker.write_some(false, text.data(), text.size(), ec);
        if (ec) return std::nullopt;
    }
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(text, ec, {}, options);
    if (ec || !value.is_object()) return std::nullopt;
    return std::move(value.as_object());
}

// A NumericDate in whole seconds: floor for "must not be before", ceil for
// "must not be after", so fractional values compare as the exact value would.
struct Seconds {
    std::int64_t floor;
    std::int64_t ceil;
};

// nullopt for numbers outside int64 (1e300, 2^64): refused rather than wrapped.
std::optional<Seconds> to_seconds(const boost::json::value& value) {
    if (const auto* i = value.if_int64()) return Seconds{*i, *i};
    if (const auto* u = value.if_uint64()) {
        if (*u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
        return Seconds{static_cast<std::int64_t>(*u), static_cast<std::int64_t>(*u)};
    }
    const double d = value.get_double();
    constexpr double kTwoPow63 = 9223372036854775808.0;  // exact in a double; int64 is [-2^63, 2^63)
    const double low = std::floor(d);
    const double high = std::ceil(d);
    if (!std::isfinite(d) || low < -kTwoPow63 || high >= kTwoPow63) return std::nullopt;
    return Seconds{static_cast<std::int64_t>(low), static_cast<std::int64_t>(high)};
}

std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
    std::int64_t sum = 0;
    if (__builtin_add_overflow(a, b, &sum))
        return b > 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
    return sum;
}

std::string_view role_name(Role role) {
    switch (role) {
    case Role::read: return "read";
    case Role::write: return "write";
    case Role::admin: return "admin";
    }
    return "read";
}

std::optional<Role> role_from_name(std::string_view name) {
    for (Role role : {Role::read, Role::write, Role::admin})
        if (name == role_name(role)) return role;
    return std::nullopt;
}

// A "roles" or "scope" claim, when present, decides alone (highest known name;
// none known means read: a token that tried to say something gets least privilege).
Role derive_role(const boost::json::object& claims, std::string_view subject, const JwtOptions& options) {
    bool claimed = false;
    std::optional<Role> best;
    auto consider = [&](std::optional<Role> role) {
        if (role && (!best || *role > *best)) best = role;
    };
    if (const auto* roles = claims.if_contains("roles")) {
        claimed = true;
        if (const auto* name = roles->if_string()) consider(role_from_name(*name));
        if (const auto* list = roles->if_array())
            for (const auto& entry : *list)
                if (const auto* name = entry.if_string()) consider(role_from_name(*name));
    }
    if (const auto* scope = claims.if_contains("scope")) {
        claimed = true;
        if (const auto* text = scope->if_string()) {
            std::string_view rest{text->data(), text->size()};
            while (!rest.empty()) {
                const auto space = rest.find(' ');
                std::string_view word = rest.substr(0, space);
                rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
                if (word.starts_with("cache:")) word.remove_prefix(6);
                consider(role_from_name(word));
            }
        }
    }
    if (claimed) return best.value_or(Role::read);
    const bool is_admin = std::find(options.admin_subjects.begin(), options.admin_subjects.end(), subject) !=
                          options.admin_subjects.end();
    return is_admin ? Role::admin : options.default_role;
}

const boost::json::string* non_empty_string(const boost::json::object& claims, std::string_view name) {
    const auto* value = claims.if_contains(name);
    const auto* text = value ? value->if_string() : nullptr;
    return (text && !text->empty()) ? text : nullptr;
}

// Only access tokens: a token kind, when stated, must be exactly "access".
// The Python system accepted refresh tokens as access tokens; a key that also
// signs password-reset or e-mail links must not make those bearer tokens here.
bool access_kind(const boost::json::object& claims) {
    for (std::string_view name : {"type", "token_type"}) {
        const auto* kind = claims.if_contains(name);
        if (!kind) continue;
        const auto* text = kind->if_string();
        if (!text || *text != "access") return false;
    }
    return true;
}

// RFC 7519 4.1.3: aud is one string or an array of strings; the token is for
// us when one of them is exactly ours. An array holding anything but strings
// is malformed and refused.
bool names_audience(const boost::json::value* aud, std::string_view audience) {
    if (!aud) return false;
    if (const auto* text = aud->if_string()) return *text == audience;
    const auto* list = aud->if_array();
    if (!list) return false;
    bool found = false;
    for (const auto& entry : *list) {
        const auto* text = entry.if_string();
        if (!text) return false;
        found = found || *text == audience;
    }
    return found;
}

// key_prefixes: an array of non-empty strings; nullopt in `out` when absent.
bool read_key_prefixes(const boost::json::object& claims, std::optional<std::vector<std::string>>& out) {
    const auto* claim = claims.if_contains("key_prefixes");
    if (!claim) return true;
    const auto* list = claim->if_array();
    if (!list) return false;
    std::vector<std::string> prefixes;
    prefixes.reserve(list->size());
    for (const auto& entry : *list) {
        const auto* text = entry.if_string();
        if (!text || text->empty()) return false;
        prefixes.emplace_back(text->data(), text->size());
    }
    out = std::move(prefixes);
    return true;
}

// Claims are read only after the signature has been checked.
result<Principal> check_claims(const boost::json::object& claims, const JwtOptions& options,
                               std::chrono::system_clock::time_point now) {
    if (!access_kind(claims)) return auth_errc::wrong_token_kind;

    const std::int64_t now_s = std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
    const std::int64_t leeway = std::max<std::int64_t>(options.leeway.count(), 0);

    const auto* exp = claims.if_contains("exp");
    if (!exp || !exp->is_number()) return auth_errc::missing_claim;
    const auto exp_s = to_seconds(*exp);
    if (!exp_s) return auth_errc::malformed;
    if (now_s > saturating_add(exp_s->floor, leeway)) return auth_errc::expired;

    for (std::string_view name : {"nbf", "iat"}) {
        const auto* value = claims.if_contains(name);
        if (!value) continue;
        const auto when = value->is_number() ? to_seconds(*value) : std::nullopt;
        if (!when) return auth_errc::malformed;
        if (when->ceil > saturating_add(now_s, leeway)) return auth_errc::not_yet_valid;
    }

    if (!options.issuer.empty()) {
        const auto* iss = claims.if_contains("iss");
        const auto* text = iss ? iss->if_string() : nullptr;
        if (!text || *text != options.issuer) return auth_errc::wrong_issuer;
    }
    if (!options.audience.empty() && !names_audience(claims.if_contains("aud"), options.audience))
        return auth_errc::wrong_audience;

    const auto* sub = non_empty_string(claims, "sub");
    if (!sub || !non_empty_string(claims, "jti")) return auth_errc::missing_claim;
    std::optional<std::vector<std::string>> key_prefixes;
    if (!read_key_prefixes(claims, key_prefixes)) return auth_errc::bad_key_prefixes;
    const std::string_view subject{sub->data(), sub->size()};
    return Principal{std::string{subject}, derive_role(claims, subject, options), false, std::move(key_prefixes)};
}

}  // namespace

const boost::system::error_category& auth_category() {
    static const AuthCategory category;
    return category;
}

boost::system::error_code make_error_code(auth_errc e) {
    return {static_cast<int>(e), auth_category()};
}

std::string base64url_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    std::uint32_t acc = 0;
    int bits = 0;
    for (unsigned char byte : bytes) {
        acc = (acc << 8) | byte;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(kAlphabet[(acc >> bits) & 0x3f]);
        }
        acc &= (1u << bits) - 1;
    }
    if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3f]);
    return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
    if (text.size() % 4 == 1) return std::nullopt;  // 6 bits cannot end a byte
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        const int sextet = kDecodeTable[static_cast<unsigned char>(c)];
        if (sextet < 0) return std::nullopt;  // includes '=' padding, '+' and '/'
        acc = (acc << 6) | static_cast<std::uint32_t>(sextet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xff));
        }
        acc &= (1u << bits) - 1;
    }
    // The 2 or 4 leftover bits must be zero, else several texts decode to the
    // same bytes (a malleable signature).
    if (acc != 0) return std::nullopt;
    return out;
}

result<Principal> verify_jwt(std::string_view token, const JwtOptions& options,
                             std::chrono::system_clock::time_point now) {
    if (options.secret.empty()) return auth_errc::bad_signature;  // anyone can sign with an empty key
    if (token.size() > kMaxTokenBytes) return auth_errc::malformed;
    const auto first_dot = token.find('.');
    const auto second_dot = first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
    if (second_dot == std::string_view::npos || token.find('.', second_dot + 1) != std::string_view::npos)
        return auth_errc::malformed;
    const std::string_view signing_input = token.substr(0, second_dot);

    const auto header_json = base64url_decode(token.substr(0, first_dot));
    const auto header = header_json ? parse_object(*header_json) : std::nullopt;
    if (!header) return auth_errc::malformed;
    // Only the algorithm we can verify: no "none", no HS512, no asymmetric
    // algorithms that would confuse the HMAC secret with a public key.
    const auto* alg = header->if_contains("alg");
    if (!alg || !alg->is_string() || alg->get_string() != "HS256") return auth_errc::bad_algorithm;
    // RFC 7515 §4.1.11: a crit extension we do not understand must be refused.
    if (header->contains("crit")) return auth_errc::bad_algorithm;
    if (const auto* typ = header->if_contains("typ")) {
        const auto* text = typ->if_string();
        if (!text || !iequals({text->data(), text->size()}, "JWT")) return auth_errc::malformed;
    }

    const auto signature = base64url_decode(token.substr(second_dot + 1));
    if (!signature) return auth_errc::malformed;
    const auto expected = hmac_sha256(options.secret, signing_input);
    if (!expected || signature->size() != expected->size() ||
        CRYPTO_memcmp(signature->data(), expected->data(), expected->size()) != 0)
        return auth_errc::bad_signature;

    const auto payload_json = base64url_decode(token.substr(first_dot + 1, second_dot - first_dot - 1));
    const auto claims = payload_json ? parse_object(*payload_json) : std::nullopt;
    if (!claims) return auth_errc::malformed;
    return check_claims(*claims, options, now);
}

std::string mint_jwt(std::string_view secret, std::string_view subject, Role role, std::chrono::seconds ttl,
                     std::chrono::system_clock::time_point now, std::string_view audience, std::string_view issuer) {
    std::array<unsigned char, 16> random{};
    if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1)
        throw std::runtime_error("RAND_bytes failed");  // a predictable jti is worse than no token
    static constexpr char kHex[] = "0123456789abcdef";
    std::string jti;
    for (unsigned char byte : random) {
        jti.push_back(kHex[byte >> 4]);
        jti.push_back(kHex[byte & 0x0f]);
    }

    const std::int64_t iat = std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
    boost::json::object claims;  // insertion order is serialisation order
    claims["sub"] = subject;
    claims["jti"] = jti;
    claims["iat"] = iat;
    claims["exp"] = saturating_add(iat, ttl.count());
    claims["roles"] = boost::json::array{role_name(role)};
    if (!issuer.empty()) claims["iss"] = issuer;
    if (!audience.empty()) claims["aud"] = audience;

    std::string token = base64url_encode(kMintHeader);
    token += '.';
    token += base64url_encode(boost::json::serialize(claims));
    const auto signature = hmac_sha256(secret, token);
    if (!signature) throw std::runtime_error("HMAC-SHA256 failed");
    token += '.';
    token += base64url_encode(as_chars(*signature));
    return token;
}

Authenticator::Authenticator(JwtOptions options, std::vector<config::StaticToken> static_tokens)
    : options_(std::move(options)), static_tokens_(std::move(static_tokens)) {
    const std::string_view key = as_chars(process_key());  // drawn here, at start-up, where a failure may still throw
    for (const auto& t : static_tokens_) token_digests_.push_back(hmac_sha256(key, t.token.reveal()));
}

result<Principal> Authenticator::authenticate(std::optional<std::string_view> authorization,
                                              std::chrono::system_clock::time_point now) const {
    if (!authorization) return auth_errc::missing;
    std::string_view value = *authorization;
    auto is_ows = [](char c) { return c == ' ' || c == '\t'; };
    while (!value.empty() && is_ows(value.front())) value.remove_prefix(1);
    while (!value.empty() && is_ows(value.back())) value.remove_suffix(1);

    // RFC 7235: scheme, then 1*SP, then the credentials; the scheme is case-insensitive.
    const auto space = value.find(' ');
    if (space == std::string_view::npos || !iequals(value.substr(0, space), "bearer")) return auth_errc::bad_scheme;
    std::string_view token = value.substr(space);
    token.remove_prefix(std::min(token.find_first_not_of(' '), token.size()));
    if (token.empty()) return auth_errc::bad_scheme;
    if (std::any_of(token.begin(), token.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; }))
        return auth_errc::malformed;

    // Every configured token is compared, without early exit, as digests under
    // a per-process key: equal lengths, and the time taken says nothing about
    // how many leading bytes matched or how long the configured tokens are.
    const std::string_view key = as_chars(process_key());
    const auto candidate = hmac_sha256(key, token);
    const config::StaticToken* match = nullptr;
    for (std::size_t i = 0; i < static_tokens_.size(); ++i) {
        const auto& configured = static_tokens_[i];
        const auto& digest = token_digests_[i];  // computed once, at start-up
        const bool equal = candidate && digest && !configured.token.empty() &&
                           CRYPTO_memcmp(candidate->data(), digest->data(), kDigestBytes) == 0;
        if (equal && match == nullptr) match = &configured;
    }
    if (match) return Principal{match->name, match->role, true};

    if (options_.secret.empty() || std::count(token.begin(), token.end(), '.') != 2) return auth_errc::unknown_token;
    return verify_jwt(token, options_, now);
}

}  // namespace yooni::http
