// Bearer authentication: interoperability with python-jose (the Python
// system's library, run for real), a table of hostile tokens crafted byte by
// byte, role derivation, and the Authorization header with static tokens.
#include <yooni/http/jwt.hpp>

#include "support/process.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <functional>
#include <string>

namespace {

using namespace std::chrono_literals;
using yooni::config::Role;
using yooni::config::Secret;
using yooni::config::StaticToken;
using yooni::http::auth_errc;
using yooni::http::Authenticator;
using yooni::http::base64url_decode;
using yooni::http::base64url_encode;
using yooni::http::JwtOptions;
using yooni::http::make_error_code;
using yooni::http::mint_jwt;
using yooni::http::Principal;
using yooni::http::verify_jwt;

constexpr std::string_view kSecret = "a-test-secret-of-some-length-1234";
constexpr std::int64_t kNow = 1'700'000'000;
constexpr std::string_view kHeader = R"({"alg":"HS256","typ":"JWT"})";

std::chrono::system_clock::time_point at(std::int64_t seconds) {
    return std::chrono::system_clock::time_point{std::chrono::seconds{seconds}};
}

std::string hmac(std::string_view key, std::string_view data, const EVP_MD* md = EVP_sha256()) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), out, &length);
    return {reinterpret_cast<const char*>(out), length};
}

// header.payload signed with HMAC-SHA256, from raw parts (already encoded).
std::string sign_parts(std::string_view header_part, std::string_view payload_part, std::string_view key = kSecret) {
    std::string input = std::string{header_part} + "." + std::string{payload_part};
    return input + "." + base64url_encode(hmac(key, input));
}

std::string craft(std::string_view header_json, std::string_view payload_json, std::string_view key = kSecret) {
    return sign_parts(base64url_encode(header_json), base64url_encode(payload_json), key);
}

std::string unsigned_token(std::string_view header_json, std::string_view payload_json) {
    return base64url_encode(header_json) + "." + base64url_encode(payload_json) + ".";
}

// Claims valid at kNow; `extra` is spliced in before the closing brace.
std::string claims(std::string_view extra = "") {
    return std::string{R"({"sub":"42","jti":"j-1","iat":1700000000,"exp":1700003600)"} + std::string{extra} + "}";
}

// Sets the lowest unused bit of the last character (a part whose length is not
// a multiple of 4 has 2 or 4 such bits): a lenient decoder yields the same bytes.
std::string non_canonical(std::string part) {
    constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    EXPECT_NE(part.size() % 4, 0u);
    part.back() = kAlphabet[kAlphabet.find(part.back()) | 1];
    return part;
}

JwtOptions options() {
    JwtOptions o;
    o.secret = std::string{kSecret};
    return o;
}

boost::system::error_code error_of(const boost::system::result<Principal>& r) {
    return r ? boost::system::error_code{} : r.error();
}

boost::system::result<Principal> verify(std::string_view token, const JwtOptions& o = options()) {
    return verify_jwt(token, o, at(kNow));
}

Role role_of(std::string_view extra, const JwtOptions& o = options()) {
    auto r = verify(craft(kHeader, claims(extra)), o);
    EXPECT_TRUE(r) << r.error().message();
    return r ? r->role : Role::read;
}

std::string python_token(std::string_view key, std::string_view sub, std::int64_t iat, std::int64_t exp,
                         std::string_view extra_python = "") {
    const std::string code = std::string{R"(import sys
from jose import jwt
key, sub, iat, exp = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
claims = {"sub": sub, "jti": "2f1e0c4b9a8d7e6f5a4b3c2d1e0f9a8b", "exp": exp, "iat": iat})"} +
                             "\n" + std::string{extra_python} + "\nprint(jwt.encode(claims, key, algorithm=\"HS256\"), end=\"\")\n";
    auto run = yooni::test::run_python(code, {std::string{key}, std::string{sub}, std::to_string(iat), std::to_string(exp)});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return run.out;
}

// ---------------------------------------------------------------- base64url

TEST(Base64Url, EncodesRfc4648VectorsWithoutPadding) {
    EXPECT_EQ(base64url_encode(""), "");
    EXPECT_EQ(base64url_encode("f"), "Zg");
    EXPECT_EQ(base64url_encode("fo"), "Zm8");
    EXPECT_EQ(base64url_encode("foo"), "Zm9v");
    EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
    EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
    EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
    EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
}

TEST(Base64Url, RoundTripsEveryByteAtEveryLength) {
    std::string bytes;
    for (int i = 0; i < 256; ++i) {
        bytes.push_back(static_cast<char>(255 - i));
        EXPECT_EQ(base64url_decode(base64url_encode(bytes)), bytes);
    }
}

TEST(Base64Url, RejectsPaddingAndCharactersOutsideTheUrlAlphabet) {
    EXPECT_EQ(base64url_decode("Zg=="), std::nullopt);
    EXPECT_EQ(base64url_decode("Zm8="), std::nullopt);
    EXPECT_EQ(base64url_decode("+_8"), std::nullopt);
    EXPECT_EQ(base64url_decode("-/8"), std::nullopt);
    EXPECT_EQ(base64url_decode("Zm 9v"), std::nullopt);
    EXPECT_EQ(base64url_decode(std::string_view{"Zm\0v", 4}), std::nullopt);
}

TEST(Base64Url, RejectsALengthThatCannotEndOnAByte) {
    EXPECT_EQ(base64url_decode("Zm9vY"), std::nullopt);
}

TEST(Base64Url, RejectsNonZeroUnusedTrailingBits) {
    EXPECT_EQ(base64url_decode("Zh"), std::nullopt);   // "Zg" with a low bit set
    EXPECT_EQ(base64url_decode("Zm9"), std::nullopt);  // "Zm8" with a low bit set
    EXPECT_EQ(base64url_decode("Zg"), std::string{"f"});
}

// ---------------------------------------------------------------- python-jose interop

// Issue 11: an end user's access token signed with the same key, without a
// role claim, was given write; it now gets read (AUTH_DEFAULT_ROLE's default).
TEST(JwtInterop, AcceptsPythonJoseTokenWithTheDefaultRoleRead) {
    const auto token = python_token(kSecret, "42", kNow - 60, kNow + 3600);
    auto r = verify(token);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->subject, "42");
    EXPECT_EQ(r->role, Role::read);
    EXPECT_FALSE(r->static_token);
    EXPECT_FALSE(r->key_prefixes.has_value());
}

TEST(JwtInterop, AcceptsPythonJoseTokenOfAnAdminSubjectAsAdmin) {
    const auto token = python_token(kSecret, "7", kNow - 60, kNow + 3600);
    auto o = options();
    o.admin_subjects = {"1", "7"};
    auto r = verify(token, o);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->subject, "7");
    EXPECT_EQ(r->role, Role::admin);
}

TEST(JwtInterop, RefusesPythonJoseRefreshToken) {
    const auto token = python_token(kSecret, "42", kNow - 60, kNow + 7 * 86400, R"(claims["type"] = "refresh")");
    EXPECT_EQ(error_of(verify(token)), make_error_code(auth_errc::wrong_token_kind));
}

TEST(JwtInterop, RefusesPythonJosePasswordResetToken) {
    const auto token = python_token(kSecret, "42", kNow - 60, kNow + 900, R"(claims["type"] = "password_reset")");
    EXPECT_EQ(error_of(verify(token)), make_error_code(auth_errc::wrong_token_kind));
}

TEST(JwtInterop, AcceptsPythonJoseTokenWithTheConfiguredAudienceAndIssuer) {
    const auto token = python_token(kSecret, "42", kNow - 60, kNow + 3600,
                                    R"(claims["aud"] = ["shop-web", "yooni-cache"]; claims["iss"] = "https://auth.yooni.example")");
    auto o = options();
    o.audience = "yooni-cache";
    o.issuer = "https://auth.yooni.example";
    EXPECT_TRUE(verify(token, o));
}

TEST(JwtInterop, RefusesPythonJoseTokenForAnotherAudience) {
    const auto token = python_token(kSecret, "42", kNow - 60, kNow + 3600, R"(claims["aud"] = "shop-web")");
    auto o = options();
    o.audience = "yooni-cache";
    EXPECT_EQ(error_of(verify(token, o)), make_error_code(auth_errc::wrong_audience));
    EXPECT_TRUE(verify(token));  // no AUTH_AUDIENCE: aud is not checked
}

TEST(JwtInterop, RefusesPythonJoseTokenSignedWithAnotherKey) {
    const auto token = python_token("another-secret", "42", kNow - 60, kNow + 3600);
    EXPECT_EQ(error_of(verify(token)), make_error_code(auth_errc::bad_signature));
}

TEST(JwtInterop, MintedTokenDecodesInPythonJoseWithTheSameClaims) {
    const auto now = std::chrono::system_clock::now();
    const auto token = mint_jwt(kSecret, "user-9", Role::read, 3600s, now);
    auto run = yooni::test::run_python(R"(import sys, json
from jose import jwt
token = sys.stdin.read()
claims = jwt.decode(token, sys.argv[1], algorithms=["HS256"])
print(json.dumps({"header": jwt.get_unverified_header(token), "claims": claims}))
)",
                                       {std::string{kSecret}}, token);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const auto decoded = boost::json::parse(run.out).as_object();
    EXPECT_EQ(decoded.at("header"), boost::json::parse(kHeader));
    const auto& c = decoded.at("claims").as_object();
    const std::int64_t iat = std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
    EXPECT_EQ(c.size(), 5u);
    EXPECT_EQ(c.at("sub").as_string(), "user-9");
    EXPECT_EQ(c.at("iat").as_int64(), iat);
    EXPECT_EQ(c.at("exp").as_int64(), iat + 3600);
    EXPECT_EQ(c.at("roles"), boost::json::value(boost::json::array{"read"}));
    EXPECT_EQ(c.at("jti").as_string().size(), 32u);
}

// ---------------------------------------------------------------- minting

TEST(MintJwt, EmitsExactlyThePythonHeader) {
    const auto token = mint_jwt(kSecret, "42", Role::write, 60s, at(kNow));
    EXPECT_EQ(base64url_decode(token.substr(0, token.find('.'))), std::string{kHeader});
}

TEST(MintJwt, VerifiesWithTheRoleItCarries) {
    auto r = verify(mint_jwt(kSecret, "42", Role::admin, 60s, at(kNow)));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->subject, "42");
    EXPECT_EQ(r->role, Role::admin);
}

TEST(MintJwt, CarriesTheConfiguredAudienceAndIssuer) {
    auto o = options();
    o.audience = "yooni-cache";
    o.issuer = "ops";
    auto r = verify(mint_jwt(kSecret, "42", Role::write, 60s, at(kNow), "yooni-cache", "ops"), o);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->role, Role::write);
    EXPECT_EQ(error_of(verify(mint_jwt(kSecret, "42", Role::write, 60s, at(kNow)), o)),
              make_error_code(auth_errc::wrong_issuer));
}

TEST(MintJwt, DrawsAFreshHexJtiEachTime) {
    auto jti_of = [](const std::string& token) {
        const auto first = token.find('.');
        const auto payload = base64url_decode(token.substr(first + 1, token.rfind('.') - first - 1));
        return std::string{boost::json::parse(*payload).at("jti").as_string()};
    };
    const auto a = jti_of(mint_jwt(kSecret, "42", Role::read, 60s, at(kNow)));
    const auto b = jti_of(mint_jwt(kSecret, "42", Role::read, 60s, at(kNow)));
    EXPECT_EQ(a.size(), 32u);
    EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_NE(a, b);
}

// ---------------------------------------------------------------- verification: accepted

TEST(VerifyJwt, AcceptsAWellFormedToken) {
    auto r = verify(craft(kHeader, claims()));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->subject, "42");
}

TEST(VerifyJwt, AcceptsAnExpiredTokenWithinTheLeeway) {
    auto r = verify_jwt(craft(kHeader, claims()), options(), at(1700003600 + 30));
    EXPECT_TRUE(r);
}

TEST(VerifyJwt, RefusesATokenExpiredBeyondTheLeeway) {
    auto r = verify_jwt(craft(kHeader, claims()), options(), at(1700003600 + 31));
    EXPECT_EQ(error_of(r), make_error_code(auth_errc::expired));
}

TEST(VerifyJwt, AcceptsNotBeforeWithinTheLeeway) {
    EXPECT_TRUE(verify(craft(kHeader, claims(R"(,"nbf":1700000030)"))));
}

TEST(VerifyJwt, AcceptsAFractionalExpiry) {
    auto token = craft(kHeader, R"({"sub":"42","jti":"j","exp":1700000000.5})");
    EXPECT_TRUE(verify_jwt(token, options(), at(1700000030)));
    EXPECT_FALSE(verify_jwt(token, options(), at(1700000031)));
}

TEST(VerifyJwt, AcceptsTypeInAnyCaseAndWithoutTyp) {
    EXPECT_TRUE(verify(craft(R"({"alg":"HS256","typ":"jwt"})", claims())));
    EXPECT_TRUE(verify(craft(R"({"alg":"HS256"})", claims())));
}

TEST(VerifyJwt, RefusesEveryTokenWhenTheSecretIsEmpty) {
    JwtOptions o;
    EXPECT_EQ(error_of(verify(craft(kHeader, claims(), ""), o)), make_error_code(auth_errc::bad_signature));
}

TEST(VerifyJwt, ErrorMessagesNeverEchoTheToken) {
    const auto token = craft(kHeader, claims(), "other");
    auto r = verify(token);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message().find(token.substr(token.rfind('.') + 1)), std::string::npos);
    EXPECT_STREQ(r.error().category().name(), "yooni.http.auth");
}

// ---------------------------------------------------------------- verification: attack table

struct Attack {
    std::string name;
    std::function<std::string()> token;
    auth_errc expected;
};

// Names the case in failure messages instead of dumping the struct's bytes.
void PrintTo(const Attack& attack, std::ostream* os) { *os << attack.name; }

class JwtAttack : public ::testing::TestWithParam<Attack> {};

TEST_P(JwtAttack, IsRefusedWithItsError) {
    EXPECT_EQ(error_of(verify(GetParam().token())), make_error_code(GetParam().expected));
}

std::string with_signature(std::string token, std::string signature) {
    return token.substr(0, token.rfind('.') + 1) + signature;
}

std::vector<Attack> attacks() {
    const auto good = [] { return craft(kHeader, claims()); };
    std::vector<Attack> table = {
        {"signature_altered", [=] {
             auto t = good();
             auto& c = t[t.rfind('.') + 1];
             c = c == 'A' ? 'B' : 'A';
             return t;
         }, auth_errc::bad_signature},
        {"payload_swapped_after_signing", [] {
             auto t = craft(kHeader, claims());
             auto other = base64url_encode(R"({"sub":"1","jti":"j-1","exp":1700003600,"roles":["admin"]})");
             auto first = t.find('.');
             return t.substr(0, first + 1) + other + t.substr(t.rfind('.'));
         }, auth_errc::bad_signature},
        {"empty_signature", [=] { return with_signature(good(), ""); }, auth_errc::bad_signature},
        {"signature_too_short", [=] { return with_signature(good(), "AAAA"); }, auth_errc::bad_signature},
        {"signed_with_another_key", [] { return craft(kHeader, claims(), "another-key"); }, auth_errc::bad_signature},
        {"signature_padded", [=] { return good() + "="; }, auth_errc::malformed},
        {"signature_non_canonical", [=] {
             auto t = good();
             return with_signature(t, non_canonical(t.substr(t.rfind('.') + 1)));
         }, auth_errc::malformed},
        {"alg_hs512", [] {
             auto input = base64url_encode(R"({"alg":"HS512","typ":"JWT"})") + "." + base64url_encode(claims());
             return input + "." + base64url_encode(hmac(kSecret, input, EVP_sha512()));
         }, auth_errc::bad_algorithm},
        {"alg_rs256", [] { return craft(R"({"alg":"RS256","typ":"JWT"})", claims()); }, auth_errc::bad_algorithm},
        {"alg_lowercase_hs256", [] { return craft(R"({"alg":"hs256"})", claims()); }, auth_errc::bad_algorithm},
        {"alg_missing", [] { return craft(R"({"typ":"JWT"})", claims()); }, auth_errc::bad_algorithm},
        {"alg_not_a_string", [] { return craft(R"({"alg":256})", claims()); }, auth_errc::bad_algorithm},
        {"crit_header", [] { return craft(R"({"alg":"HS256","typ":"JWT","crit":["exp"]})", claims()); },
         auth_errc::bad_algorithm},
        {"typ_not_jwt", [] { return craft(R"({"alg":"HS256","typ":"JOSE"})", claims()); }, auth_errc::malformed},
        {"header_padded", [] {
             // 16 bytes of JSON encode to 22 characters; "==" completes the quantum.
             return sign_parts(base64url_encode(R"({"alg":"HS256" })") + "==", base64url_encode(claims()));
         }, auth_errc::malformed},
        {"header_non_canonical", [] {
             return sign_parts(non_canonical(base64url_encode(R"({"alg":"HS256" })")), base64url_encode(claims()));
         }, auth_errc::malformed},
        {"header_outside_alphabet", [] {
             return sign_parts("*" + base64url_encode(R"({"alg":"HS256"})"), base64url_encode(claims()));
         }, auth_errc::malformed},
        {"payload_padded", [] {
             return sign_parts(base64url_encode(kHeader), base64url_encode(claims(R"(,"x":1)")) + "==");
         }, auth_errc::malformed},
        {"payload_non_canonical", [] {
             return sign_parts(base64url_encode(kHeader), non_canonical(base64url_encode(claims(R"(,"x":1)"))));
         }, auth_errc::malformed},
        {"header_duplicate_alg", [] { return craft(R"({"alg":"none","alg":"HS256"})", claims()); }, auth_errc::malformed},
        {"header_not_an_object", [] { return craft(R"(["HS256"])", claims()); }, auth_errc::malformed},
        {"header_not_json", [] { return craft(R"({"alg":"HS256",})", claims()); }, auth_errc::malformed},
        {"payload_duplicate_sub", [] { return craft(kHeader, claims(R"(,"sub":"1")")); }, auth_errc::malformed},
        {"payload_duplicate_sub_escaped", [] { return craft(kHeader, claims(R"(,"\u0073ub":"1")")); },
         auth_errc::malformed},
        {"payload_nested_duplicate", [] { return craft(kHeader, claims(R"(,"x":{"a":1,"a":2})")); },
         auth_errc::malformed},
        {"payload_not_an_object", [] { return craft(kHeader, "[1]"); }, auth_errc::malformed},
        {"payload_trailing_data", [] { return craft(kHeader, claims() + "{}"); }, auth_errc::malformed},
        {"exp_string", [] { return craft(kHeader, R"({"sub":"42","jti":"j","exp":"1700003600"})"); },
         auth_errc::missing_claim},
        {"exp_bool", [] { return craft(kHeader, R"({"sub":"42","jti":"j","exp":true})"); }, auth_errc::missing_claim},
        {"exp_missing", [] { return craft(kHeader, R"({"sub":"42","jti":"j"})"); }, auth_errc::missing_claim},
        {"exp_1e300", [] { return craft(kHeader, R"({"sub":"42","jti":"j","exp":1e300})"); }, auth_errc::malformed},
        {"exp_beyond_int64", [] { return craft(kHeader, R"({"sub":"42","jti":"j","exp":18446744073709551615})"); },
         auth_errc::malformed},
        {"expired", [] { return craft(kHeader, R"({"sub":"42","jti":"j","exp":1699999000})"); }, auth_errc::expired},
        {"nbf_in_the_future", [] { return craft(kHeader, claims(R"(,"nbf":1700000031)")); }, auth_errc::not_yet_valid},
        {"nbf_string", [] { return craft(kHeader, claims(R"(,"nbf":"0")")); }, auth_errc::malformed},
        {"iat_beyond_leeway", [] { return craft(kHeader, R"({"sub":"42","jti":"j","iat":1700000100,"exp":1700003600})"); },
         auth_errc::not_yet_valid},
        {"type_refresh", [] { return craft(kHeader, claims(R"(,"type":"refresh")")); }, auth_errc::wrong_token_kind},
        {"type_Refresh", [] { return craft(kHeader, claims(R"(,"type":"Refresh")")); }, auth_errc::wrong_token_kind},
        {"type_REFRESH", [] { return craft(kHeader, claims(R"(,"type":"REFRESH")")); }, auth_errc::wrong_token_kind},
        {"type_password_reset", [] { return craft(kHeader, claims(R"(,"type":"password_reset")")); },
         auth_errc::wrong_token_kind},
        {"type_array_refresh", [] { return craft(kHeader, claims(R"(,"type":["refresh"])")); }, auth_errc::wrong_token_kind},
        {"type_array_access", [] { return craft(kHeader, claims(R"(,"type":["access"])")); }, auth_errc::wrong_token_kind},
        {"type_access_with_a_space", [] { return craft(kHeader, claims(R"(,"type":"access ")")); },
         auth_errc::wrong_token_kind},
        {"type_Access", [] { return craft(kHeader, claims(R"(,"type":"Access")")); }, auth_errc::wrong_token_kind},
        {"type_empty", [] { return craft(kHeader, claims(R"(,"type":"")")); }, auth_errc::wrong_token_kind},
        {"type_null", [] { return craft(kHeader, claims(R"(,"type":null)")); }, auth_errc::wrong_token_kind},
        {"type_number", [] { return craft(kHeader, claims(R"(,"type":1)")); }, auth_errc::wrong_token_kind},
        {"type_object", [] { return craft(kHeader, claims(R"(,"type":{"kind":"access"})")); }, auth_errc::wrong_token_kind},
        {"token_type_refresh", [] { return craft(kHeader, claims(R"(,"token_type":"refresh")")); },
         auth_errc::wrong_token_kind},
        {"token_type_array_refresh", [] { return craft(kHeader, claims(R"(,"token_type":["refresh"])")); },
         auth_errc::wrong_token_kind},
        {"type_access_token_type_refresh", [] { return craft(kHeader, claims(R"(,"type":"access","token_type":"refresh")")); },
         auth_errc::wrong_token_kind},
        {"type_refresh_token_type_access", [] { return craft(kHeader, claims(R"(,"type":"refresh","token_type":"access")")); },
         auth_errc::wrong_token_kind},
        {"type_escaped_refresh", [] { return craft(kHeader, claims(R"(,"type":"\u0072efresh")")); },
         auth_errc::wrong_token_kind},
        {"key_prefixes_string", [] { return craft(kHeader, claims(R"(,"key_prefixes":"product:")")); },
         auth_errc::bad_key_prefixes},
        {"key_prefixes_with_a_number", [] { return craft(kHeader, claims(R"(,"key_prefixes":["product:",1])")); },
         auth_errc::bad_key_prefixes},
        {"key_prefixes_with_an_empty_string", [] { return craft(kHeader, claims(R"(,"key_prefixes":["product:",""])")); },
         auth_errc::bad_key_prefixes},
        {"key_prefixes_null", [] { return craft(kHeader, claims(R"(,"key_prefixes":null)")); }, auth_errc::bad_key_prefixes},
        {"key_prefixes_object", [] { return craft(kHeader, claims(R"(,"key_prefixes":{"p":"product:"})")); },
         auth_errc::bad_key_prefixes},
        {"key_prefixes_nested_array", [] { return craft(kHeader, claims(R"(,"key_prefixes":[["product:"]])")); },
         auth_errc::bad_key_prefixes},
        {"sub_missing", [] { return craft(kHeader, R"({"jti":"j","exp":1700003600})"); }, auth_errc::missing_claim},
        {"sub_empty", [] { return craft(kHeader, R"({"sub":"","jti":"j","exp":1700003600})"); }, auth_errc::missing_claim},
        {"sub_number", [] { return craft(kHeader, R"({"sub":42,"jti":"j","exp":1700003600})"); }, auth_errc::missing_claim},
        {"jti_missing", [] { return craft(kHeader, R"({"sub":"42","exp":1700003600})"); }, auth_errc::missing_claim},
        {"jti_empty", [] { return craft(kHeader, R"({"sub":"42","jti":"","exp":1700003600})"); }, auth_errc::missing_claim},
        {"two_parts", [=] { auto t = good(); return t.substr(0, t.rfind('.')); }, auth_errc::malformed},
        {"four_parts", [=] { return good() + ".AAAA"; }, auth_errc::malformed},
        {"garbage", [] { return std::string{"not a token at all"}; }, auth_errc::malformed},
        {"empty", [] { return std::string{}; }, auth_errc::malformed},
        {"oversized", [] { return craft(kHeader, claims(",\"pad\":\"" + std::string(9000, 'x') + "\"")); },
         auth_errc::malformed},
    };
    for (std::string alg : {"none", "None", "NONE", "nOnE"}) {
        const std::string header = R"({"alg":")" + alg + R"(","typ":"JWT"})";
        table.push_back({"alg_" + alg + "_unsigned", [=] { return unsigned_token(header, claims()); },
                         auth_errc::bad_algorithm});
        table.push_back({"alg_" + alg + "_signed", [=] { return craft(header, claims()); }, auth_errc::bad_algorithm});
    }
    return table;
}

INSTANTIATE_TEST_SUITE_P(Table, JwtAttack, ::testing::ValuesIn(attacks()),
                         [](const ::testing::TestParamInfo<Attack>& info) { return info.param.name; });

// ---------------------------------------------------------------- roles

TEST(JwtRole, HighestNamedRoleInRolesArrayWins) {
    EXPECT_EQ(role_of(R"(,"roles":["read","admin","write"])"), Role::admin);
}

TEST(JwtRole, RolesMayBeASingleString) {
    EXPECT_EQ(role_of(R"(,"roles":"read")"), Role::read);
}

TEST(JwtRole, ScopeNamesRolesWithOrWithoutCachePrefix) {
    EXPECT_EQ(role_of(R"(,"scope":"openid cache:write read")"), Role::write);
    EXPECT_EQ(role_of(R"(,"scope":"admin")"), Role::admin);
}

TEST(JwtRole, UnknownNamesAreIgnored) {
    EXPECT_EQ(role_of(R"(,"roles":["superuser","write",7])"), Role::write);
}

TEST(JwtRole, ClaimNamingNoKnownRoleGivesRead) {
    EXPECT_EQ(role_of(R"(,"roles":["superuser"])"), Role::read);
    EXPECT_EQ(role_of(R"(,"scope":"openid profile")"), Role::read);
    EXPECT_EQ(role_of(R"(,"roles":[])"), Role::read);
}

TEST(JwtRole, RoleClaimOverridesAdminSubjects) {
    auto o = options();
    o.admin_subjects = {"42"};
    EXPECT_EQ(role_of(R"(,"roles":["read"])", o), Role::read);
}

TEST(JwtRole, WithoutClaimAdminSubjectIsAdmin) {
    auto o = options();
    o.admin_subjects = {"42"};
    EXPECT_EQ(role_of("", o), Role::admin);
}

TEST(JwtRole, WithoutClaimOtherSubjectsGetTheDefaultRole) {
    auto o = options();
    o.admin_subjects = {"4"};
    o.default_role = Role::write;  // AUTH_DEFAULT_ROLE=write
    EXPECT_EQ(role_of("", o), Role::write);
}

TEST(JwtRole, TheDefaultRoleIsRead) {
    EXPECT_EQ(JwtOptions{}.default_role, Role::read);
    EXPECT_EQ(role_of(""), Role::read);
}

TEST(JwtRole, RoleNamesAreCaseSensitive) {
    EXPECT_EQ(role_of(R"(,"roles":["ADMIN"])"), Role::read);
}

// ---------------------------------------------------------------- token kind

TEST(JwtKind, AcceptsATokenWithoutAKind) {
    EXPECT_TRUE(verify(craft(kHeader, claims())));
}

TEST(JwtKind, AcceptsTheKindAccessInEitherClaim) {
    EXPECT_TRUE(verify(craft(kHeader, claims(R"(,"type":"access")"))));
    EXPECT_TRUE(verify(craft(kHeader, claims(R"(,"token_type":"access")"))));
    EXPECT_TRUE(verify(craft(kHeader, claims(R"(,"type":"access","token_type":"access")"))));
    EXPECT_TRUE(verify(craft(kHeader, claims(R"(,"type":"\u0061ccess")"))));  // the same string, escaped
}

TEST(JwtKind, RefusalSaysTheKindIsNotAccepted) {
    auto r = verify(craft(kHeader, claims(R"(,"type":"password_reset")")));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message(), "token kind not accepted");
}

// ---------------------------------------------------------------- audience and issuer

JwtOptions with_audience(std::string audience) {
    auto o = options();
    o.audience = std::move(audience);
    return o;
}

JwtOptions with_issuer(std::string issuer) {
    auto o = options();
    o.issuer = std::move(issuer);
    return o;
}

boost::system::error_code audience_error(std::string_view extra) {
    return error_of(verify(craft(kHeader, claims(extra)), with_audience("yooni-cache")));
}

boost::system::error_code issuer_error(std::string_view extra) {
    return error_of(verify(craft(kHeader, claims(extra)), with_issuer("https://auth.yooni.example")));
}

TEST(JwtAudience, AcceptsAStringEqualToTheAudience) {
    EXPECT_EQ(audience_error(R"(,"aud":"yooni-cache")"), boost::system::error_code{});
}

TEST(JwtAudience, AcceptsAnArrayHoldingTheAudience) {
    EXPECT_EQ(audience_error(R"(,"aud":["shop-web","yooni-cache"])"), boost::system::error_code{});
    EXPECT_EQ(audience_error(R"(,"aud":["yooni-cache"])"), boost::system::error_code{});
}

TEST(JwtAudience, RefusesAMissingOrOtherAudience) {
    const auto refused = make_error_code(auth_errc::wrong_audience);
    EXPECT_EQ(audience_error(""), refused);
    EXPECT_EQ(audience_error(R"(,"aud":"shop-web")"), refused);
    EXPECT_EQ(audience_error(R"(,"aud":"Yooni-Cache")"), refused);
    EXPECT_EQ(audience_error(R"(,"aud":"yooni-cache ")"), refused);
    EXPECT_EQ(audience_error(R"(,"aud":"yooni")"), refused);
    EXPECT_EQ(audience_error(R"(,"aud":["shop-web"])"), refused);
    EXPECT_EQ(audience_error(R"(,"aud":[])"), refused);
    EXPECT_EQ(audience_error(R"(,"aud":"")"), refused);
}

TEST(JwtAudience, RefusesAnAudienceOfTheWrongType) {
    const auto refused = make_error_code(auth_errc::wrong_audience);
    EXPECT_EQ(audience_error(R"(,"aud":null)"), refused);
    EXPECT_EQ(audience_error(R"(,"aud":1)"), refused);
    EXPECT_EQ(audience_error(R"(,"aud":{"yooni-cache":true})"), refused);
    EXPECT_EQ(audience_error(R"(,"aud":[["yooni-cache"]])"), refused);
    EXPECT_EQ(audience_error(R"(,"aud":["yooni-cache",1])"), refused);  // not an array of strings
}

TEST(JwtAudience, IsNotCheckedWhenNotConfigured) {
    EXPECT_TRUE(verify(craft(kHeader, claims(R"(,"aud":"shop-web")"))));
    EXPECT_TRUE(verify(craft(kHeader, claims(R"(,"aud":1)"))));
}

TEST(JwtIssuer, AcceptsExactlyTheIssuer) {
    EXPECT_EQ(issuer_error(R"(,"iss":"https://auth.yooni.example")"), boost::system::error_code{});
}

TEST(JwtIssuer, RefusesAMissingOtherOrMistypedIssuer) {
    const auto refused = make_error_code(auth_errc::wrong_issuer);
    EXPECT_EQ(issuer_error(""), refused);
    EXPECT_EQ(issuer_error(R"(,"iss":"https://auth.yooni.example/")"), refused);
    EXPECT_EQ(issuer_error(R"(,"iss":"HTTPS://AUTH.YOONI.EXAMPLE")"), refused);
    EXPECT_EQ(issuer_error(R"(,"iss":"https://evil.example")"), refused);
    EXPECT_EQ(issuer_error(R"(,"iss":["https://auth.yooni.example"])"), refused);
    EXPECT_EQ(issuer_error(R"(,"iss":null)"), refused);
    EXPECT_EQ(issuer_error(R"(,"iss":7)"), refused);
}

TEST(JwtIssuer, IsNotCheckedWhenNotConfigured) {
    EXPECT_TRUE(verify(craft(kHeader, claims(R"(,"iss":"https://evil.example")"))));
}

TEST(JwtIssuer, BothChecksApplyWhenBothAreConfigured) {
    auto o = with_audience("yooni-cache");
    o.issuer = "ops";
    EXPECT_TRUE(verify(craft(kHeader, claims(R"(,"aud":"yooni-cache","iss":"ops")")), o));
    EXPECT_EQ(error_of(verify(craft(kHeader, claims(R"(,"aud":"yooni-cache")")), o)),
              make_error_code(auth_errc::wrong_issuer));
    EXPECT_EQ(error_of(verify(craft(kHeader, claims(R"(,"iss":"ops")")), o)), make_error_code(auth_errc::wrong_audience));
}

TEST(JwtAudience, MessagesAreFixedTexts) {
    EXPECT_EQ(make_error_code(auth_errc::wrong_audience).message(), "token audience not accepted");
    EXPECT_EQ(make_error_code(auth_errc::wrong_issuer).message(), "token issuer not accepted");
    EXPECT_EQ(make_error_code(auth_errc::bad_key_prefixes).message(), "token key_prefixes claim invalid");
}

// ---------------------------------------------------------------- key_prefixes

TEST(JwtKeyPrefixes, AbsentClaimNarrowsNothing) {
    auto r = verify(craft(kHeader, claims()));
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->key_prefixes.has_value());
}

TEST(JwtKeyPrefixes, ClaimIsCarriedInThePrincipal) {
    auto r = verify(craft(kHeader, claims(R"(,"key_prefixes":["product:a","order:"])")));
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_TRUE(r->key_prefixes.has_value());
    EXPECT_EQ(*r->key_prefixes, (std::vector<std::string>{"product:a", "order:"}));
}

TEST(JwtKeyPrefixes, AnEmptyListAllowsNoKey) {
    auto r = verify(craft(kHeader, claims(R"(,"key_prefixes":[])")));
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_TRUE(r->key_prefixes.has_value());
    EXPECT_TRUE(r->key_prefixes->empty());
}

// ---------------------------------------------------------------- Authorization header

constexpr std::string_view kStatic = "static-token-0123456789abcdef";

Authenticator authenticator(JwtOptions o = options()) {
    return Authenticator{std::move(o), {StaticToken{"deploy-bot", Role::admin, Secret{std::string{kStatic}}},
                                        StaticToken{"reader", Role::read, Secret{"reader-token-xyz"}}}};
}

boost::system::result<Principal> authenticate(std::optional<std::string_view> header) {
    return authenticator().authenticate(header, at(kNow));
}

TEST(Authenticator, AbsentHeaderIsMissing) {
    EXPECT_EQ(error_of(authenticate(std::nullopt)), make_error_code(auth_errc::missing));
}

TEST(Authenticator, StaticTokenGivesItsNameAndRole) {
    auto r = authenticate("Bearer " + std::string{kStatic});
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->subject, "deploy-bot");
    EXPECT_EQ(r->role, Role::admin);
    EXPECT_TRUE(r->static_token);
    auto second = authenticate("Bearer reader-token-xyz");
    ASSERT_TRUE(second);
    EXPECT_EQ(second->subject, "reader");
    EXPECT_EQ(second->role, Role::read);
}

TEST(Authenticator, StaticTokenDifferingInItsLastByteIsUnknown) {
    std::string token{kStatic};
    token.back() = 'g';
    EXPECT_EQ(error_of(authenticate("Bearer " + token)), make_error_code(auth_errc::unknown_token));
}

TEST(Authenticator, StaticTokenPrefixOrExtensionIsUnknown) {
    EXPECT_EQ(error_of(authenticate("Bearer " + std::string{kStatic.substr(0, 10)})),
              make_error_code(auth_errc::unknown_token));
    EXPECT_EQ(error_of(authenticate("Bearer " + std::string{kStatic} + "0")), make_error_code(auth_errc::unknown_token));
}

TEST(Authenticator, SchemeIsCaseInsensitive) {
    EXPECT_TRUE(authenticate("bearer " + std::string{kStatic}));
    EXPECT_TRUE(authenticate("BEARER " + std::string{kStatic}));
}

TEST(Authenticator, SeveralSpacesMaySeparateSchemeAndToken) {
    EXPECT_TRUE(authenticate("Bearer   " + std::string{kStatic}));
}

TEST(Authenticator, OtherSchemesAreRefused) {
    EXPECT_EQ(error_of(authenticate("Basic ZGVwbG95OnB3")), make_error_code(auth_errc::bad_scheme));
    EXPECT_EQ(error_of(authenticate(std::string{kStatic})), make_error_code(auth_errc::bad_scheme));
    EXPECT_EQ(error_of(authenticate("Bearer" + std::string{kStatic})), make_error_code(auth_errc::bad_scheme));
}

TEST(Authenticator, EmptyTokenIsABadScheme) {
    EXPECT_EQ(error_of(authenticate("Bearer")), make_error_code(auth_errc::bad_scheme));
    EXPECT_EQ(error_of(authenticate("Bearer    ")), make_error_code(auth_errc::bad_scheme));
}

TEST(Authenticator, WhitespaceInsideTheTokenIsMalformed) {
    EXPECT_EQ(error_of(authenticate("Bearer abc def")), make_error_code(auth_errc::malformed));
    EXPECT_EQ(error_of(authenticate("Bearer abc\tdef")), make_error_code(auth_errc::malformed));
}

TEST(Authenticator, StaticTokensCarryNoKeyPrefixes) {
    auto r = authenticate("Bearer " + std::string{kStatic});
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->key_prefixes.has_value());
}

TEST(Authenticator, AppliesTheAudienceToJwts) {
    auto a = authenticator(with_audience("yooni-cache"));
    EXPECT_EQ(error_of(a.authenticate("Bearer " + craft(kHeader, claims(R"(,"aud":"shop-web")")), at(kNow))),
              make_error_code(auth_errc::wrong_audience));
    EXPECT_TRUE(a.authenticate("Bearer " + craft(kHeader, claims(R"(,"aud":"yooni-cache")")), at(kNow)));
    EXPECT_TRUE(a.authenticate("Bearer " + std::string{kStatic}, at(kNow)));  // static tokens are not JWTs
}

TEST(Authenticator, AcceptsAValidJwt) {
    auto r = authenticate("Bearer " + craft(kHeader, claims()));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->subject, "42");
    EXPECT_FALSE(r->static_token);
}

TEST(Authenticator, PassesJwtErrorsThrough) {
    EXPECT_EQ(error_of(authenticate("Bearer " + craft(kHeader, claims(), "wrong"))),
              make_error_code(auth_errc::bad_signature));
}

TEST(Authenticator, RefusesJwtsWhenTheSecretIsEmpty) {
    auto r = authenticator(JwtOptions{}).authenticate("Bearer " + craft(kHeader, claims(), ""), at(kNow));
    EXPECT_EQ(error_of(r), make_error_code(auth_errc::unknown_token));
}

TEST(Authenticator, NonJwtGarbageIsUnknown) {
    EXPECT_EQ(error_of(authenticate("Bearer garbage")), make_error_code(auth_errc::unknown_token));
}

TEST(Authenticator, EmptyStaticTokenNeverMatches) {
    Authenticator a{options(), {StaticToken{"empty", Role::admin, Secret{}}}};
    EXPECT_EQ(error_of(a.authenticate("Bearer x", at(kNow))), make_error_code(auth_errc::unknown_token));
}

}  // namespace
