// The bearer check alone (bench/run-auth-bench.sh): Authenticator::authenticate
// of one Authorization header value, ns per call, side by side in one run:
//   jwt/cached      a hot client's HS256 JWT, answered from the verified-token cache
//                   (also from 2 threads at once, the lock shared: CPU per call)
//   jwt/uncached    the same token with the cache off (bound 0): HMAC + two JSON parses
//   jwt/churn       8192 distinct tokens in turn, twice the cache's bound: every
//                   call misses, verifies and evicts (the cache's worst case)
//   jwt/verify      verify_jwt alone, without the header parsing and static-token pass
//   static          a static token (API_TOKENS), for scale
// The tokens are minted as the Python system does (mint_jwt: python-jose's
// header, sub, jti, iat, exp, roles).
#include <yooni/http/jwt.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using yooni::config::Role;
using yooni::config::Secret;
using yooni::config::StaticToken;
using yooni::http::Authenticator;
using yooni::http::JwtOptions;

const std::string kSecret = "auth-bench-secret-key-0123456789abcdef0123";
const std::string kStatic = "auth-bench-static-token-0123456789abcdef01234567";
const auto kNow = std::chrono::system_clock::time_point{std::chrono::seconds{1'700'000'000}};

JwtOptions options() {
    JwtOptions o;
    o.secret = kSecret;
    return o;
}

std::vector<StaticToken> static_tokens() {
    return {StaticToken{"bench-static", Role::admin, Secret{kStatic}}};
}

std::string bearer_jwt(std::string_view subject) {
    return "Bearer " + yooni::http::mint_jwt(kSecret, subject, Role::admin, 3600s, kNow);
}

void check(bool ok, benchmark::State& state) {
    if (!ok) state.SkipWithError("refused");
}

void run(benchmark::State& state, const Authenticator& auth, const std::string& header) {
    check(static_cast<bool>(auth.authenticate(header, kNow)), state);
    for (auto _ : state) {
        auto r = auth.authenticate(header, kNow);
        benchmark::DoNotOptimize(r);
    }
}

void jwt_cached(benchmark::State& state) {
    static const Authenticator auth{options(), static_tokens()};
    static const std::string header = bearer_jwt("bench");
    run(state, auth, header);
}

void jwt_uncached(benchmark::State& state) {
    static const Authenticator auth{options(), static_tokens(), 0};
    static const std::string header = bearer_jwt("bench");
    run(state, auth, header);
}

void jwt_churn(benchmark::State& state) {
    static const Authenticator auth{options(), static_tokens()};
    static const std::vector<std::string> headers = [] {
        std::vector<std::string> out;
        for (std::size_t i = 0; i < 2 * Authenticator::kDefaultTokenCacheCapacity; ++i)
            out.push_back(bearer_jwt("client-" + std::to_string(i)));
        return out;
    }();
    std::size_t i = 0;
    for (auto _ : state) {
        auto r = auth.authenticate(headers[i], kNow);
        if (!r) state.SkipWithError("refused");
        benchmark::DoNotOptimize(r);
        if (++i == headers.size()) i = 0;
    }
}

void jwt_verify(benchmark::State& state) {
    static const JwtOptions o = options();
    static const std::string token = yooni::http::mint_jwt(kSecret, "bench", Role::admin, 3600s, kNow);
    check(static_cast<bool>(yooni::http::verify_jwt(token, o, kNow)), state);
    for (auto _ : state) {
        auto r = yooni::http::verify_jwt(token, o, kNow);
        benchmark::DoNotOptimize(r);
    }
}

void static_token(benchmark::State& state) {
    static const Authenticator auth{options(), static_tokens()};
    run(state, auth, "Bearer " + kStatic);
}

BENCHMARK(jwt_cached)->Name("jwt/cached");
BENCHMARK(jwt_cached)->Name("jwt/cached")->Threads(2)->UseRealTime();
BENCHMARK(jwt_uncached)->Name("jwt/uncached");
BENCHMARK(jwt_churn)->Name("jwt/churn");
BENCHMARK(jwt_verify)->Name("jwt/verify");
BENCHMARK(static_token)->Name("static");

}  // namespace

BENCHMARK_MAIN();
