// Issue 6: the attack table against the real binary over sockets. Every /api
// route (from yooni::http::routes(), so a new route is covered the day it is
// added) meets every hostile credential (no token, malformed headers, JWTs
// crafted byte by byte, static tokens one byte off, two Authorization
// headers) and must answer 401 with `WWW-Authenticate: Bearer` and a JSON
// {"detail"}; a 64 KiB header gets 431 or a closed connection; roles too low
// get 403; the admin token passes everywhere (so the table can fail). Then no
// secret and no credential sent may appear in the debug log or in the output of
// `yooni-cache config check`.
#include <yooni/http/api.hpp>

#include "support/http_client.hpp"
#include "support/service.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <functional>
#include <iostream>
#include <set>
#include <string>
#include <vector>

namespace yooni::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using yooni::http::Role;
using yooni::http::RouteId;
using yooni::http::RouteInfo;

// Distinctive secrets, so a grep cannot match anything else by chance.
const std::string kAttackSecret = "attack-table-SECRET-KEY-d41f7c2e9b8a6f5e4d3c2b1a0f9e8d7c";
const std::string kOtherKey = "attack-table-OTHER-KEY-0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const std::string kStaticAdmin = "attack-STATIC-admin-9f8e7d6c5b4a39281706f5e4d3c2b1a0";
const std::string kStaticWriter = "attack-STATIC-writer-8e7d6c5b4a39281706f5e4d3c2b1a0f";
const std::string kStaticReader = "attack-STATIC-reader-7d6c5b4a39281706f5e4d3c2b1a0f9e";
const std::string kApiTokens =
    "sec-ops:admin:" + kStaticAdmin + ",sec-app:write:" + kStaticWriter + ",sec-dash:read:" + kStaticReader;

const std::string kSentinelKey = "attack-target";
const std::string kSentinelValue = R"({"sentinel":"untouched"})";
const std::string kControlKey = "control-key";

using Headers = std::vector<std::pair<std::string, std::string>>;

// ---------------------------------------------------------------- crafting tokens, byte by byte

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// base64url without padding, written here rather than taken from the product.
std::string b64url(std::string_view bytes) {
    std::string out;
    std::size_t i = 0;
    auto at = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
    for (; i + 3 <= bytes.size(); i += 3) {
        const unsigned v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
        for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
    }
    if (bytes.size() - i == 1) {
        const unsigned v = at(i) << 16;
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
    } else if (bytes.size() - i == 2) {
        const unsigned v = (at(i) << 16) | (at(i + 1) << 8);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
    }
    return out;
}

std::string hmac(std::string_view key, std::string_view data, const EVP_MD* md = EVP_sha256()) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), out, &length);
    return {reinterpret_cast<const char*>(out), length};
}

// Encoded header and payload, signed with HMAC (SHA-256 unless told).
std::string sign_parts(const std::string& header_part, const std::string& payload_part,
                       std::string_view key = kAttackSecret, const EVP_MD* md = EVP_sha256()) {
    const std::string input = header_part + "." + payload_part;
    return input + "." + b64url(hmac(key, input, md));
}

std::string craft(std::string_view header_json, std::string_view payload_json, std::string_view key = kAttackSecret,
                  const EVP_MD* md = EVP_sha256()) {
    return sign_parts(b64url(header_json), b64url(payload_json), key, md);
}

std::string unsigned_token(std::string_view header_json, std::string_view payload_json) {
    return b64url(header_json) + "." + b64url(payload_json) + ".";
}

std::string with_signature(const std::string& token, const std::string& signature) {
    return token.substr(0, token.rfind('.') + 1) + signature;
}

// JSON whose length is not a multiple of 3 (spaces before the closing brace),
// so its base64url has unused trailing bits and would take padding.
std::string unaligned(std::string json) {
    while (json.size() % 3 == 0) json.insert(json.size() - 1, " ");
    return json;
}
std::string padded(const std::string& json) {
    return b64url(json) + (json.size() % 3 == 1 ? "==" : "=");
}
// Sets the lowest unused bit of the last character: a lenient decoder yields the same bytes.
std::string non_canonical(std::string part) {
    part.back() = kAlphabet[kAlphabet.find(part.back()) | 1];
    return part;
}

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

const std::string kHeader = R"({"alg":"HS256","typ":"JWT"})";

// Claims of an admin token valid now; `extra` goes before the closing brace.
std::string claims(std::int64_t now, const std::string& extra = "", const std::string& roles = R"(["admin"])") {
    static int counter = 0;
    return R"({"sub":"attacker","jti":"attack-jti-)" + std::to_string(++counter) + R"(","iat":)" +
           std::to_string(now) + R"(,"exp":)" + std::to_string(now + 3600) + R"(,"roles":)" + roles + extra + "}";
}

// A static token differing in its byte at `index` (still a printable token character).
std::string flip_byte(std::string token, std::size_t index) {
    token[index] = token[index] == 'a' ? 'b' : 'a';
    return token;
}

// ---------------------------------------------------------------- the table

struct Attack {
    std::string name;
    Headers headers;
};

Headers auth(const std::string& value) { return {{"Authorization", value}}; }

std::vector<Attack> attack_table() {
    const auto now = now_seconds();
    const auto good = [&] { return craft(kHeader, claims(now)); };
    const auto bearer_of = [](const std::string& token) { return auth("Bearer " + token); };

    std::vector<Attack> t = {
        // The header itself.
        {"no_authorization_header", {}},
        {"empty_header", auth("")},
        {"scheme_only", auth("Bearer")},
        {"scheme_and_space_only", auth("Bearer ")},
        {"no_space_after_scheme", auth("Bearer" + kStaticAdmin)},
        {"basic_scheme", auth("Basic YWRtaW46YWRtaW4=")},
        {"token_scheme_with_valid_static", auth("Token " + kStaticAdmin)},
        {"basic_scheme_with_valid_static", auth("Basic " + kStaticAdmin)},
        {"credential_without_scheme", auth(kStaticAdmin)},
        {"two_credentials_in_one_header", auth("Bearer " + kStaticAdmin + " " + kStaticAdmin)},
        {"non_ascii_credential", auth("Bearer \xc3\xa9\xff\x80")},
        {"garbage_three_parts", auth("Bearer a.b.c")},
        {"dots_only", auth("Bearer ..")},
        {"valid_static_in_cookie_only", {{"Cookie", "access_token=" + kStaticAdmin}}},
        {"valid_static_in_x_api_key_only", {{"X-API-Key", kStaticAdmin}}},
        // Two Authorization headers, whatever they hold.
        {"two_headers_both_valid", {{"Authorization", "Bearer " + kStaticAdmin}, {"Authorization", "Bearer " + kStaticAdmin}}},
        {"two_headers_valid_then_garbage", {{"Authorization", "Bearer " + kStaticAdmin}, {"Authorization", "Bearer x"}}},
        {"two_headers_garbage_then_valid", {{"Authorization", "Bearer x"}, {"Authorization", "Bearer " + kStaticAdmin}}},
        {"two_headers_jwt_and_lowercase_name", {{"Authorization", "Bearer " + good()}, {"authorization", "Bearer y"}}},
        {"two_headers_empty_then_valid", {{"Authorization", ""}, {"Authorization", "Bearer " + kStaticAdmin}}},
        // Signatures.
        {"signature_altered", [&] {
             auto tok = good();
             auto& c = tok[tok.rfind('.') + 1];
             c = c == 'A' ? 'B' : 'A';
             return bearer_of(tok);
         }()},
        {"empty_signature", bearer_of(with_signature(good(), ""))},
        {"signature_too_short", bearer_of(with_signature(good(), "AAAA"))},
        {"signed_with_another_key", bearer_of(craft(kHeader, claims(now), kOtherKey))},
        {"signed_with_empty_key", bearer_of(craft(kHeader, claims(now), ""))},
        {"signed_with_secret_plus_a_byte", bearer_of(craft(kHeader, claims(now), kAttackSecret + "x"))},
        {"signed_with_secret_prefix", bearer_of(craft(kHeader, claims(now), kAttackSecret.substr(0, 16)))},
        {"payload_escalated_after_signing", [&] {
             auto tok = craft(kHeader, claims(now, "", R"(["read"])"));
             auto first = tok.find('.');
             return bearer_of(tok.substr(0, first + 1) + b64url(claims(now)) + tok.substr(tok.rfind('.')));
         }()},
        {"signature_of_another_token", [&] {
             auto other = craft(kHeader, claims(now, "", R"(["read"])"));
             return bearer_of(with_signature(good(), other.substr(other.rfind('.') + 1)));
         }()},
        // Algorithms and headers.
        {"alg_hs512", bearer_of(craft(R"({"alg":"HS512","typ":"JWT"})", claims(now), kAttackSecret, EVP_sha512()))},
        {"alg_hs384", bearer_of(craft(R"({"alg":"HS384","typ":"JWT"})", claims(now), kAttackSecret, EVP_sha384()))},
        {"alg_rs256_hmac_signed", bearer_of(craft(R"({"alg":"RS256","typ":"JWT"})", claims(now)))},
        {"alg_rs256_unsigned", bearer_of(unsigned_token(R"({"alg":"RS256","typ":"JWT"})", claims(now)))},
        {"alg_lowercase_hs256", bearer_of(craft(R"({"alg":"hs256","typ":"JWT"})", claims(now)))},
        {"alg_missing", bearer_of(craft(R"({"typ":"JWT"})", claims(now)))},
        {"alg_not_a_string", bearer_of(craft(R"({"alg":256,"typ":"JWT"})", claims(now)))},
        {"crit_header", bearer_of(craft(R"({"alg":"HS256","typ":"JWT","crit":["exp"]})", claims(now)))},
        {"crit_header_empty", bearer_of(craft(R"({"alg":"HS256","typ":"JWT","crit":[]})", claims(now)))},
        {"jwk_header_with_attacker_key",
         bearer_of(craft(R"({"alg":"HS256","typ":"JWT","jwk":{"kty":"oct","k":")" + b64url(kOtherKey) + R"("}})",
                         claims(now), kOtherKey))},
        {"kid_dev_null_with_empty_key",
         bearer_of(craft(R"({"alg":"HS256","typ":"JWT","kid":"../../../../dev/null"})", claims(now), ""))},
        {"typ_not_jwt", bearer_of(craft(R"({"alg":"HS256","typ":"JOSE"})", claims(now)))},
        {"header_not_an_object", bearer_of(craft(R"(["HS256"])", claims(now)))},
        {"header_not_json", bearer_of(craft(R"({"alg":"HS256",})", claims(now)))},
        // Encodings.
        {"header_padded", bearer_of(sign_parts(padded(unaligned(kHeader)), b64url(claims(now))))},
        {"header_non_canonical", bearer_of(sign_parts(non_canonical(b64url(unaligned(kHeader))), b64url(claims(now))))},
        {"payload_padded", [&] {
             const auto c = unaligned(claims(now));
             return bearer_of(sign_parts(b64url(kHeader), padded(c)));
         }()},
        {"payload_non_canonical", [&] {
             const auto c = unaligned(claims(now));
             return bearer_of(sign_parts(b64url(kHeader), non_canonical(b64url(c))));
         }()},
        {"signature_padded", bearer_of(good() + "=")},
        {"signature_non_canonical", [&] {
             auto tok = good();
             return bearer_of(with_signature(tok, non_canonical(tok.substr(tok.rfind('.') + 1))));
         }()},
        {"standard_base64_alphabet", [&] {
             // '+' and '/' in place of '-' and '_' (the signature of some token has one; force it).
             auto tok = good();
             auto sig = tok.substr(tok.rfind('.') + 1);
             sig[0] = '+';
             return bearer_of(with_signature(tok, sig));
         }()},
        {"header_outside_alphabet", bearer_of(sign_parts("*" + b64url(kHeader), b64url(claims(now))))},
        {"two_parts", [&] { auto tok = good(); return bearer_of(tok.substr(0, tok.rfind('.'))); }()},
        {"four_parts", bearer_of(good() + ".AAAA")},
        // Duplicate keys.
        {"header_duplicate_alg", bearer_of(craft(R"({"alg":"none","alg":"HS256","typ":"JWT"})", claims(now)))},
        {"payload_duplicate_sub", bearer_of(craft(kHeader, claims(now, R"(,"sub":"other")")))},
        {"payload_duplicate_sub_escaped", bearer_of(craft(kHeader, claims(now, R"(,"\u0073ub":"other")")))},
        {"payload_duplicate_roles", bearer_of(craft(kHeader, claims(now, R"(,"roles":["read"])")))},
        {"payload_duplicate_exp", bearer_of(craft(kHeader, claims(now, R"(,"exp":1)")))},
        {"payload_nested_duplicate", bearer_of(craft(kHeader, claims(now, R"(,"x":{"a":1,"a":2})")))},
        {"payload_not_an_object", bearer_of(craft(kHeader, "[1]"))},
        {"payload_trailing_data", bearer_of(craft(kHeader, claims(now) + "{}"))},
        // Claims.
        {"exp_string", bearer_of(craft(kHeader, R"({"sub":"attacker","jti":"j","roles":["admin"],"exp":")" +
                                                    std::to_string(now + 3600) + "\"}"))},
        {"exp_1e300", bearer_of(craft(kHeader, R"({"sub":"attacker","jti":"j","roles":["admin"],"exp":1e300})"))},
        {"exp_beyond_int64",
         bearer_of(craft(kHeader, R"({"sub":"attacker","jti":"j","roles":["admin"],"exp":18446744073709551615})"))},
        {"exp_bool", bearer_of(craft(kHeader, R"({"sub":"attacker","jti":"j","roles":["admin"],"exp":true})"))},
        {"exp_null", bearer_of(craft(kHeader, R"({"sub":"attacker","jti":"j","roles":["admin"],"exp":null})"))},
        {"exp_missing", bearer_of(craft(kHeader, R"({"sub":"attacker","jti":"j","roles":["admin"]})"))},
        {"exp_negative", bearer_of(craft(kHeader, R"({"sub":"attacker","jti":"j","roles":["admin"],"exp":-1})"))},
        {"expired", bearer_of(craft(kHeader, R"({"sub":"attacker","jti":"j","roles":["admin"],"iat":)" +
                                                 std::to_string(now - 7200) + R"(,"exp":)" +
                                                 std::to_string(now - 3600) + "}"))},
        {"expired_beyond_leeway", bearer_of(craft(kHeader, R"({"sub":"attacker","jti":"j","roles":["admin"],"exp":)" +
                                                               std::to_string(now - 120) + "}"))},
        {"nbf_in_the_future", bearer_of(craft(kHeader, claims(now, R"(,"nbf":)" + std::to_string(now + 3600))))},
        {"nbf_string", bearer_of(craft(kHeader, claims(now, R"(,"nbf":"0")")))},
        {"iat_in_the_future", bearer_of(craft(kHeader, R"({"sub":"attacker","jti":"j","roles":["admin"],"iat":)" +
                                                           std::to_string(now + 3600) + R"(,"exp":)" +
                                                           std::to_string(now + 7200) + "}"))},
        {"refresh_token", bearer_of(craft(kHeader, claims(now, R"(,"type":"refresh")")))},
        // Token kinds other than access (issue 11): compared exactly, strings only.
        {"type_Refresh", bearer_of(craft(kHeader, claims(now, R"(,"type":"Refresh")")))},
        {"type_password_reset", bearer_of(craft(kHeader, claims(now, R"(,"type":"password_reset")")))},
        {"type_array_refresh", bearer_of(craft(kHeader, claims(now, R"(,"type":["refresh"])")))},
        {"type_access_with_a_space", bearer_of(craft(kHeader, claims(now, R"(,"type":"access ")")))},
        {"type_null", bearer_of(craft(kHeader, claims(now, R"(,"type":null)")))},
        {"token_type_refresh", bearer_of(craft(kHeader, claims(now, R"(,"token_type":"refresh")")))},
        {"token_type_refresh_type_access",
         bearer_of(craft(kHeader, claims(now, R"(,"type":"access","token_type":"refresh")")))},
        {"key_prefixes_not_a_list", bearer_of(craft(kHeader, claims(now, R"(,"key_prefixes":"attack")")))},
        {"key_prefixes_with_an_empty_prefix", bearer_of(craft(kHeader, claims(now, R"(,"key_prefixes":[""])")))},
        {"sub_missing", bearer_of(craft(kHeader, R"({"jti":"j","roles":["admin"],"exp":)" + std::to_string(now + 3600) + "}"))},
        {"sub_empty", bearer_of(craft(kHeader, R"({"sub":"","jti":"j","roles":["admin"],"exp":)" +
                                                   std::to_string(now + 3600) + "}"))},
        {"sub_number", bearer_of(craft(kHeader, R"({"sub":42,"jti":"j","roles":["admin"],"exp":)" +
                                                    std::to_string(now + 3600) + "}"))},
        {"jti_missing", bearer_of(craft(kHeader, R"({"sub":"attacker","roles":["admin"],"exp":)" +
                                                     std::to_string(now + 3600) + "}"))},
        {"jti_empty", bearer_of(craft(kHeader, R"({"sub":"attacker","jti":"","roles":["admin"],"exp":)" +
                                                   std::to_string(now + 3600) + "}"))},
        {"oversized_token", bearer_of(craft(kHeader, claims(now, ",\"pad\":\"" + std::string(9000, 'x') + "\"")))},
    };
    for (std::string alg : {"none", "None", "NONE", "nOnE"}) {
        const std::string header = R"({"alg":")" + alg + R"(","typ":"JWT"})";
        t.push_back({"alg_" + alg + "_unsigned", bearer_of(unsigned_token(header, claims(now)))});
        t.push_back({"alg_" + alg + "_signed", bearer_of(craft(header, claims(now)))});
        t.push_back({"alg_" + alg + "_signature_dropped", [&] {
                         auto tok = unsigned_token(header, claims(now));
                         return bearer_of(tok.substr(0, tok.size() - 1));
                     }()});
    }
    // Static tokens one byte off (last byte, first byte), one byte short or long, other case.
    struct Static {
        std::string who, name, token;
    };
    const std::vector<Static> statics{
        {"admin", "sec-ops", kStaticAdmin}, {"writer", "sec-app", kStaticWriter}, {"reader", "sec-dash", kStaticReader}};
    for (const auto& [who, name, token] : statics) {
        t.push_back({"static_" + who + "_last_byte_differs", bearer_of(flip_byte(token, token.size() - 1))});
        t.push_back({"static_" + who + "_first_byte_differs", bearer_of(flip_byte(token, 0))});
        t.push_back({"static_" + who + "_last_byte_missing", bearer_of(token.substr(0, token.size() - 1))});
        t.push_back({"static_" + who + "_one_byte_more", bearer_of(token + "0")});
        t.push_back({"static_" + who + "_upper_case", [&] {
                         auto up = token;
                         for (auto& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
                         return bearer_of(up);
                     }()});
        t.push_back({"static_" + who + "_name_instead_of_token", bearer_of(name)});
    }
    t.push_back({"static_token_list_entry", bearer_of("sec-ops:admin:" + kStaticAdmin)});
    return t;
}

// ---------------------------------------------------------------- the routes

struct RouteCase {
    RouteInfo info;
    std::string target;
    std::string body;
    std::string label() const { return std::string{info.method} + " " + target; }
};

// Every route with a role, {key} substituted and a valid body, so that only auth can fail.
std::vector<RouteCase> protected_routes(const std::string& key) {
    std::vector<RouteCase> out;
    for (const auto& r : yooni::http::routes()) {
        if (!r.role) continue;
        RouteCase c{r, std::string{r.path}, ""};
        if (auto pos = c.target.find("{key}"); pos != std::string::npos) c.target.replace(pos, 5, key);
        switch (r.id) {
            case RouteId::cache_put:
                c.target += "?ttl=600";
                c.body = R"({"written_by":"attacker","n":1})";
                break;
            case RouteId::cache_delete_pattern: c.target += "?pattern=" + key + "*"; break;
            case RouteId::batch_get: c.body = R"({"keys":[")" + key + R"("]})"; break;
            case RouteId::batch_set: c.body = R"({"items":[{"key":")" + key + R"(","value":{"written_by":"attacker"}}]})"; break;
            case RouteId::batch_delete: c.body = R"({"keys":[")" + key + R"("]})"; break;
            case RouteId::monitoring_stats_reset: break;  // no body
            default:
                if (r.method == "PUT" || r.method == "POST")
                    ADD_FAILURE() << "no valid body known for " << r.method << " " << r.path << ": extend protected_routes()";
        }
        out.push_back(std::move(c));
    }
    return out;
}

// ---------------------------------------------------------------- the fixture

class AttackTable : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        ServiceOptions opt;
        opt.env = {"SECRET_KEY=" + kAttackSecret, "API_TOKENS=" + kApiTokens, "LOG_LEVEL=debug", "WORKER_THREADS=2"};
        service_ = new Service(opt);
        sent_ = new std::set<std::string>;
        attacks_ = new std::vector<Attack>(attack_table());
        auto put = service_->put("/api/v1/cache/" + kSentinelKey, kSentinelValue, kStaticAdmin);
        ASSERT_EQ(put.status, 200) << put.body;
    }
    static void TearDownTestSuite() {
        delete service_;
        delete sent_;
        delete attacks_;
        service_ = nullptr;
        sent_ = nullptr;
        attacks_ = nullptr;
    }

    static HttpResponse send(const RouteCase& route, Headers headers) {
        for (const auto& [name, value] : headers) {
            sent_->insert(value);
            if (auto sp = value.find(' '); sp != std::string::npos) sent_->insert(value.substr(sp + 1));
        }
        if (route.info.method == "PUT" || route.info.method == "POST") headers.emplace_back("Content-Type", "application/json");
        return http_request(service_->port(), std::string{route.info.method}, route.target, headers, route.body);
    }

    // The 401 the issue asks for; an empty string when it is right, else what is wrong.
    static std::string check_401(const HttpResponse& r, const Headers& sent) {
        std::string wrong;
        if (r.status != 401) wrong += "status " + std::to_string(r.status) + "; ";
        const auto challenges = r.headers.equal_range("www-authenticate");
        const auto n = std::distance(challenges.first, challenges.second);
        if (n != 1 || challenges.first->second != "Bearer")
            wrong += "WWW-Authenticate '" + r.header("www-authenticate") + "' (" + std::to_string(n) + " headers); ";
        try {
            const auto body = json::parse(r.body);
            if (!body.is_object() || !body.as_object().contains("detail") || !body.at("detail").is_string())
                wrong += "no string detail; ";
        } catch (const std::exception&) {
            wrong += "body not JSON; ";
        }
        for (const auto& [name, value] : sent) {
            auto credential = value.substr(value.find(' ') == std::string::npos ? 0 : value.find(' ') + 1);
            if (credential.size() >= 8 && r.body.find(credential) != std::string::npos) wrong += "body echoes the credential; ";
        }
        if (r.body.find(kAttackSecret) != std::string::npos) wrong += "body holds SECRET_KEY; ";
        if (!wrong.empty()) wrong += "body: " + r.body.substr(0, 200);
        return wrong;
    }

    static void expect_sentinel_intact() {
        auto r = service_->get("/api/v1/cache/" + kSentinelKey, kStaticAdmin);
        EXPECT_EQ(r.status, 200) << "an attack deleted the sentinel: " << r.body;
        EXPECT_EQ(r.body, kSentinelValue) << "an attack overwrote the sentinel";
    }

    static Service* service_;
    static std::set<std::string>* sent_;  // every Authorization value and credential sent
    static std::vector<Attack>* attacks_;
};
Service* AttackTable::service_ = nullptr;
std::set<std::string>* AttackTable::sent_ = nullptr;
std::vector<Attack>* AttackTable::attacks_ = nullptr;

TEST_F(AttackTable, EveryApiRouteHasARole) {
    std::size_t protected_count = 0;
    for (const auto& r : yooni::http::routes()) {
        if (r.path.starts_with("/api")) {
            EXPECT_TRUE(r.role.has_value()) << r.method << " " << r.path << " has no role";
        }
        if (r.role) ++protected_count;
    }
    EXPECT_GE(protected_count, 11u);
}

TEST_F(AttackTable, EveryAttackOnEveryApiRouteIs401WithBearerChallenge) {
    const auto routes = protected_routes(kSentinelKey);
    std::size_t failures = 0;
    for (const auto& attack : *attacks_) {
        for (const auto& route : routes) {
            auto r = send(route, attack.headers);
            if (auto wrong = check_401(r, attack.headers); !wrong.empty()) {
                ++failures;
                ADD_FAILURE() << attack.name << " on " << route.label() << ": " << wrong;
            }
        }
    }
    RecordProperty("cases", static_cast<int>(attacks_->size()));
    RecordProperty("routes", static_cast<int>(routes.size()));
    std::cout << "[ attack table ] " << attacks_->size() << " cases x " << routes.size() << " routes = "
              << attacks_->size() * routes.size() << " requests, " << failures << " wrong\n";
    expect_sentinel_intact();
}

TEST_F(AttackTable, HeaderOf64KiBIs431OrAClosedConnection) {
    for (const auto& route : protected_routes(kSentinelKey)) {
        for (const std::string& variant : {std::string{"X-Pad: "} + std::string(64 * 1024, 'a'),
                                           "Authorization: Bearer " + std::string(64 * 1024, 'A')}) {
            std::string req = std::string{route.info.method} + " " + route.target +
                              " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + variant +
                              "\r\nContent-Type: application/json\r\nContent-Length: " +
                              std::to_string(route.body.size()) + "\r\n\r\n" + route.body;
            RawConnection c{service_->port()};
            c.send(req);  // may fail part-way when the server closes first
            // Read until the server closes; the cap only ends the wait on one that leaves it open.
            bool closed = false;
            const auto raw = c.read_all(30s, &closed);
            const auto r = parse_response(raw);
            EXPECT_TRUE(r.status == 431 || (r.status == 0 && closed))
                << route.label() << " with " << variant.substr(0, 20) << "...: status " << r.status
                << (closed ? " (closed)" : " (left open)") << " " << raw.substr(0, 200);
        }
    }
    expect_sentinel_intact();
    EXPECT_EQ(service_->get("/livez", "").status, 200);
}

std::string role_jwt(const std::string& roles_json) {
    const auto now = now_seconds();
    if (roles_json.empty())  // no role claim: AUTH_DEFAULT_ROLE (read)
        return craft(kHeader, R"({"sub":"plain-user","jti":"j-plain","iat":)" + std::to_string(now) + R"(,"exp":)" +
                                  std::to_string(now + 3600) + "}");
    return craft(kHeader, claims(now, "", roles_json));
}

TEST_F(AttackTable, ReadOnlyTokensOnWriteAndAdminRoutesAre403) {
    const std::vector<std::pair<std::string, std::string>> readers{
        {"static reader", kStaticReader}, {"jwt roles [read]", role_jwt(R"(["read"])")},
        {"jwt without roles (default read)", role_jwt("")},
        {"jwt scope cache:read", [] {
             const auto now = now_seconds();
             return craft(kHeader, R"({"sub":"scoped","jti":"j-scope","iat":)" + std::to_string(now) + R"(,"exp":)" +
                                       std::to_string(now + 3600) + R"(,"scope":"cache:read"})");
         }()}};
    std::size_t checked = 0;
    for (const auto& route : protected_routes(kSentinelKey)) {
        if (*route.info.role == Role::read) continue;
        for (const auto& [who, token] : readers) {
            auto r = send(route, auth("Bearer " + token));
            EXPECT_EQ(r.status, 403) << who << " on " << route.label() << ": " << r.body;
            EXPECT_TRUE(json::parse(r.body).as_object().contains("detail")) << r.body;
            ++checked;
        }
    }
    EXPECT_GE(checked, 4u * 6);
    expect_sentinel_intact();
}

TEST_F(AttackTable, NonAdminTokensOnAdminRoutesAre403) {
    const std::vector<std::pair<std::string, std::string>> writers{
        {"static writer", kStaticWriter},
        {"jwt roles [write]", role_jwt(R"(["write"])")},
        {"jwt scope cache:write", [] {
             const auto now = now_seconds();
             return craft(kHeader, R"({"sub":"scoped","jti":"j-scope-w","iat":)" + std::to_string(now) + R"(,"exp":)" +
                                       std::to_string(now + 3600) + R"(,"scope":"cache:write"})");
         }()}};
    std::size_t checked = 0;
    for (const auto& route : protected_routes(kSentinelKey)) {
        if (*route.info.role != Role::admin) continue;
        for (const auto& [who, token] : writers) {
            auto r = send(route, auth("Bearer " + token));
            EXPECT_EQ(r.status, 403) << who << " on " << route.label() << ": " << r.body;
            EXPECT_TRUE(json::parse(r.body).as_object().contains("detail")) << r.body;
            ++checked;
        }
    }
    EXPECT_GE(checked, 3u * 2);
    expect_sentinel_intact();
}

// Positive control: the same requests with a good credential pass, so a table
// of 401s is not just a service that refuses everything.
TEST_F(AttackTable, AdminTokensPassOnEveryRoute) {
    const std::vector<std::pair<std::string, std::string>> admins{
        {"static admin", kStaticAdmin}, {"crafted jwt roles [admin]", role_jwt(R"(["admin"])")}};
    for (const auto& [who, token] : admins) {
        for (const auto& route : protected_routes(kControlKey)) {
            auto r = send(route, auth("Bearer " + token));
            EXPECT_NE(r.status, 401) << who << " on " << route.label() << ": " << r.body;
            EXPECT_NE(r.status, 403) << who << " on " << route.label() << ": " << r.body;
            const bool miss_ok = route.info.id == RouteId::cache_get && r.status == 404;
            EXPECT_TRUE(r.status == 200 || miss_ok) << who << " on " << route.label() << ": " << r.status << " " << r.body;
        }
    }
    // Near misses of the table's cases pass, so each case fails by its one mutation, not by how it was crafted.
    const auto now = now_seconds();
    const std::vector<std::pair<std::string, std::string>> near_misses{
        {"header with spaces, unpadded and canonical", sign_parts(b64url(unaligned(kHeader)), b64url(claims(now)))},
        {"payload with spaces, unpadded and canonical", sign_parts(b64url(kHeader), b64url(unaligned(claims(now))))},
        {"header without typ", craft(R"({"alg":"HS256"})", claims(now))},
        {"nbf in the past", craft(kHeader, claims(now, R"(,"nbf":)" + std::to_string(now - 60)))},
        {"type access", craft(kHeader, claims(now, R"(,"type":"access")"))},
        {"token_type access", craft(kHeader, claims(now, R"(,"token_type":"access")"))},
        {"key_prefixes narrowing", craft(kHeader, claims(now, R"(,"key_prefixes":["control-"])"))},
        {"fractional exp", craft(kHeader, R"({"sub":"attacker","jti":"j","roles":["admin"],"exp":)" +
                                              std::to_string(now + 3600) + ".5}")},
    };
    const auto stats = protected_routes(kControlKey).front();
    ASSERT_EQ(stats.info.id, RouteId::monitoring_stats);
    for (const auto& [what, token] : near_misses) {
        auto r = send(stats, auth("Bearer " + token));
        EXPECT_EQ(r.status, 200) << what << ": " << r.body;
    }
    // Lower roles pass on the routes they hold (same credentials as the 403 tests).
    for (const auto& route : protected_routes(kControlKey)) {
        if (*route.info.role == Role::read) {
            auto r = send(route, auth("Bearer " + kStaticReader));
            EXPECT_TRUE(r.status == 200 || r.status == 404) << "reader on " << route.label() << ": " << r.status;
        }
        if (*route.info.role != Role::admin) {
            auto r = send(route, auth("Bearer " + kStaticWriter));
            EXPECT_TRUE(r.status == 200 || r.status == 404) << "writer on " << route.label() << ": " << r.status;
        }
    }
}

// ---------------------------------------------------------------- secrets

std::vector<std::string> found_in(const std::string& text, const std::vector<std::string>& secrets) {
    std::vector<std::string> found;
    for (const auto& s : secrets)
        if (!s.empty() && text.find(s) != std::string::npos) found.push_back(s);
    return found;
}

std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += "\n  " + s.substr(0, 120);
    return out;
}

TEST_F(AttackTable, NoSecretOrCredentialSentAppearsInTheDebugLog) {
    // Self-sufficient: every attack once (the table test, if it ran, sent them all on every route).
    const auto routes = protected_routes(kSentinelKey);
    const std::string refused = "http.auth_refused";
    const auto refused_before = service_->log_count(refused);
    for (const auto& attack : *attacks_) send(routes.front(), attack.headers);
    for (const auto& token : {kStaticAdmin, kStaticWriter, kStaticReader, role_jwt(R"(["admin"])")})
        send(routes.front(), auth("Bearer " + token));

    std::vector<std::string> secrets{kAttackSecret, kAttackSecret.substr(8, 24), kStaticAdmin, kStaticWriter,
                                     kStaticReader, kOtherKey};
    for (const auto& value : *sent_) {
        if (value.size() >= 12) secrets.push_back(value);
        // The signature of a JWT alone.
        if (auto dot = value.rfind('.'); dot != std::string::npos && value.size() - dot > 20)
            secrets.push_back(value.substr(dot + 1));
    }
    // Every attack was refused with a debug line: wait until the file holds them all.
    EXPECT_TRUE(service_->wait_for_log(refused, refused_before + attacks_->size()))
        << service_->log_count(refused) - refused_before << " of " << attacks_->size()
        << " refusals logged; LOG_LEVEL=debug should log each:\n" << service_->log();
    const auto log = service_->log();
    const auto leaked = found_in(log, secrets);
    EXPECT_TRUE(leaked.empty()) << leaked.size() << " secrets in the log (of " << secrets.size() << " checked):"
                                << joined(leaked);
}

const std::string kRedisPassword = "attack-REDIS-PASSWORD-6b7c8d9e0f1a2b3c";
const std::string kMetricsToken = "attack-METRICS-TOKEN-5e6f7a8b9c0d1e2f";
const std::string kClusterPassword = "attack-REDIS-CLUSTER-PASSWORD-1c2d3e4f5a6b";
const std::string kUrlPassword = "attack-REDIS-URL-PASSWORD-9a8b7c6d5e4f";

std::vector<std::string> all_secrets() {
    return {kAttackSecret, kStaticAdmin, kStaticWriter, kStaticReader, kRedisPassword, kClusterPassword, kUrlPassword,
            // distinctive middles, in case a value is cut or partly masked
            kMetricsToken,
            "SECRET-KEY-d41f7c2e", "STATIC-admin-9f8e", "STATIC-writer-8e7d", "STATIC-reader-7d6c", "PASSWORD-6b7c8d",
            "PASSWORD-1c2d3e", "PASSWORD-9a8b7c", "METRICS-TOKEN-5e6f"};
}

std::vector<std::string> secret_env() {
    return {"SECRET_KEY=" + kAttackSecret, "API_TOKENS=" + kApiTokens, "REDIS_PASSWORD=" + kRedisPassword,
            "REDIS_CLUSTER_PASSWORD=" + kClusterPassword, "METRICS_TOKEN=" + kMetricsToken,
            "REDIS_URL=redis://cacheuser:" + kUrlPassword + "@redis.internal.example:6380/3"};
}

TEST(AttackTableSecrets, ConfigCheckMasksEverySecret) {
    auto r = run_binary({"config", "check"}, secret_env());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("SECRET_KEY"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("REDIS_URL"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("***"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\nMETRICS_TOKEN=***  (env)\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("redis.internal.example"), std::string::npos) << "the URL's host is not secret:\n" << r.out;
    const auto leaked = found_in(r.out + r.err, all_secrets());
    EXPECT_TRUE(leaked.empty()) << "config check printed:" << joined(leaked);
}

TEST(AttackTableSecrets, ConfigCheckMasksSecretsReadFromDotenv) {
    std::string dotenv;
    for (const auto& e : secret_env()) dotenv += e + "\n";
    auto r = run_binary({"config", "check"}, {}, dotenv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto leaked = found_in(r.out + r.err, all_secrets());
    EXPECT_TRUE(leaked.empty()) << "config check printed:" << joined(leaked);
}

// redis-py's from_url takes the password from the query as well (?password=);
// the service ignores the parameter (and warns), but must not print it.
TEST(AttackTableSecrets, ConfigCheckMasksAPasswordGivenAsAUrlParameter) {
    auto r = run_binary({"config", "check"},
                        {"SECRET_KEY=" + kAttackSecret,
                         "REDIS_URL=redis://redis.internal.example:6380/3?password=" + kUrlPassword});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto leaked = found_in(r.out + r.err, all_secrets());
    EXPECT_TRUE(leaked.empty()) << "config check printed:" << joined(leaked);
    // And in the one-line error of a bad URL.
    auto bad = run_binary({"config", "check"},
                          {"SECRET_KEY=" + kAttackSecret,
                           "REDIS_URL=redis://redis.internal.example:99999/3?password=" + kUrlPassword});
    EXPECT_EQ(bad.exit_code, 2) << bad.err;
    const auto leaked_in_error = found_in(bad.out + bad.err, all_secrets());
    EXPECT_TRUE(leaked_in_error.empty()) << "the error printed:" << joined(leaked_in_error);
}

TEST(AttackTableSecrets, ConfigCheckOfAClusterMasksItsPassword) {
    auto r = run_binary({"config", "check"},
                        {"SECRET_KEY=" + kAttackSecret, "API_TOKENS=" + kApiTokens, "REDIS_CLUSTER_ENABLED=true",
                         R"(REDIS_CLUSTER_NODES=["redis-node1:7000"])", "REDIS_CLUSTER_PASSWORD=" + kClusterPassword,
                         "REDIS_PASSWORD=" + kRedisPassword});
    const auto leaked = found_in(r.out + r.err, all_secrets());
    EXPECT_TRUE(leaked.empty()) << "config check printed:" << joined(leaked);
}

TEST(AttackTableSecrets, BadSettingsErrorsMaskEverySecret) {
    // A bad REDIS_URL that carries a password, and a bad setting next to every secret.
    for (const auto& bad : {"REDIS_URL=redis://cacheuser:" + kUrlPassword + "@redis.internal.example:99999/3",
                            "REDIS_URL=redis://:" + kUrlPassword + "@redis.internal.example:6379/16",
                            "REDIS_URL=http://:" + kUrlPassword + "@redis.internal.example:6379/0",
                            std::string{"REDIS_PORT=70000"}}) {
        auto env = secret_env();
        env.push_back(bad);
        for (const auto& args : {std::vector<std::string>{"config", "check"}, std::vector<std::string>{"serve"}}) {
            auto r = run_binary(args, env);
            EXPECT_EQ(r.exit_code, 2) << args.front() << " with " << bad.substr(0, 10) << ": " << r.err;
            const auto leaked = found_in(r.out + r.err, all_secrets());
            EXPECT_TRUE(leaked.empty()) << args.front() << " with a bad " << bad.substr(0, bad.find('='))
                                        << " printed:" << joined(leaked);
        }
    }
}

TEST(AttackTableSecrets, TokenCommandDoesNotPrintTheKey) {
    auto r = run_binary({"token", "--sub", "ops", "--role", "admin", "--ttl", "60"}, {"SECRET_KEY=" + kAttackSecret});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(found_in(r.out + r.err, all_secrets()).empty()) << r.out << r.err;
}

}  // namespace
}  // namespace yooni::test
