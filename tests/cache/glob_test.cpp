// glob_match against Redis's own KEYS on a real server, plus the quirks and
// the work bound spelled out as single behaviours.
#include "yooni/cache/glob.hpp"

#include "cache/glob_detail.hpp"
#include "support/process.hpp"
#include "support/redis_server.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

namespace yooni::cache {
namespace {

using namespace std::string_literals;

// Keys with every byte the rules treat specially, the empty key, non-ASCII
// (UTF-8 and stray high bytes) and long runs for the star backtracking.
const std::vector<std::string> kKeys = {
    ""s, "a", "b", "z", "m", "A", "Z", "ab", "ba", "abc", "abd", "aXc", "a-c", "a]c", "a^c",
    "a\\c", "a*c", "a?c", "a[c", "abcabc", "hello", "hallo", "hxllo", "heeeello", "hllo",
    "user:1", "user:12", "user:123", "user:abc", "{user:1}:orders", "product:123", "product:9",
    "-", "]", "^", "[", "\\", "*", "?", "!", "x\ny", "\x7f", "\x80", "\xff", "a\xff" "b",
    "\xc3\xa9", "caf\xc3\xa9", "\xed\x95\x9c\xea\xb8\x80",  // é, café, 한글
    std::string(30, 'a'), std::string(29, 'a') + "b", "abababababababababab",
};

const std::vector<std::string> kPatterns = {
    "*", "**", "", "a", "?", "??", "?*", "*?", "a*", "*c", "a*c", "a?c", "*a*", "*b",
    "h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "[a-c]*", "[c-a]*", "[z-a]",
    "[^a-y]", "[A-Z]", "a[-]c", "a[\\-]c", "a[]]c", "a[^]]c", "a[\\]]c", "a[]c", "a[^]c",
    "a\\*c", "a\\?c", "a\\[c", "a\\\\c", "\\", "a\\", "\\a", "[", "a[", "a[b", "a[bc", "a[^",
    "[^", "[a-", "[a-]", "[\\]", "[!a]", "[[]", "[\\\\]", "[*]", "[?]", "[a-c-e]",
    "user:*", "user:?", "user:[0-9]*", "user:[0-9][0-9]", "{user:1}*", "\\{user*", "*:*",
    "product:[^0-8]*", "x?y", "x*", "[\x80-\xff]*", "[a-\xff]", "[\xc3]*", "*\xa9",
    "\xed\x95\x9c*", "caf?", "caf??", "*a*a*a*a*a*a*a*a*a*b", "*a*a*a*a*a*a*a*a*a*a*a*c",
    "a*b*c*", "*ab*ab*ab*", "*[b]*[b]", "[ab][ab]*",
};

std::string hex(const std::string& bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += kDigits[c >> 4];
        out += kDigits[c & 15];
    }
    return out;
}

// Sets every key, then prints, per pattern, the hex of what KEYS returns.
constexpr const char* kPythonKeys = R"(
import json, sys, redis
req = json.load(sys.stdin)
r = redis.Redis(host="127.0.0.1", port=req["port"])
r.flushall()
for k in req["keys"]:
    r.set(bytes.fromhex(k), b"1")
print(json.dumps([sorted(k.hex() for k in r.keys(bytes.fromhex(p))) for p in req["patterns"]]))
)";

TEST(GlobMatch, AgreesWithRedisKeysOnEveryPatternInTable) {
    test::RedisServer server;
    boost::json::object request;
    request["port"] = server.port();
    boost::json::array keys, patterns;
    for (const auto& k : kKeys) keys.emplace_back(hex(k));
    for (const auto& p : kPatterns) patterns.emplace_back(hex(p));
    request["keys"] = std::move(keys);
    request["patterns"] = std::move(patterns);

    auto run = test::run_python(kPythonKeys, {}, boost::json::serialize(request));
    ASSERT_EQ(run.exit_code, 0) << run.err;
    auto replies = boost::json::parse(run.out).as_array();
    ASSERT_EQ(replies.size(), kPatterns.size());

    for (std::size_t i = 0; i < kPatterns.size(); ++i) {
        std::set<std::string> by_redis;
        for (const auto& k : replies[i].as_array()) by_redis.insert(std::string{k.as_string()});
        for (const auto& key : kKeys) {
            EXPECT_EQ(glob_match(kPatterns[i], key), by_redis.count(hex(key)) == 1)
                << "pattern hex " << hex(kPatterns[i]) << " key hex " << hex(key);
        }
    }
}

TEST(GlobMatch, StarMatchesAnyRunIncludingNone) {
    EXPECT_TRUE(glob_match("user:*", "user:"));
    EXPECT_TRUE(glob_match("user:*", "user:123:orders"));
    EXPECT_TRUE(glob_match("*:orders", "{user:1}:orders"));
    EXPECT_FALSE(glob_match("user:*", "product:1"));
}

TEST(GlobMatch, LoneStarMatchesEmptyKeyButOtherPatternsDoNot) {
    EXPECT_TRUE(glob_match("*", ""));
    EXPECT_FALSE(glob_match("**", ""));
    EXPECT_FALSE(glob_match("?*", ""));
    EXPECT_TRUE(glob_match("", ""));
}

TEST(GlobMatch, ReversedRangeMatchesLikeForwardRange) {
    for (char c = 'a'; c <= 'z'; ++c) {
        const std::string key(1, c);
        EXPECT_EQ(glob_match("[z-a]", key), glob_match("[a-z]", key)) << key;
    }
    EXPECT_FALSE(glob_match("[z-a]", "A"));
}

TEST(GlobMatch, NegatedClassExcludesItsMembers) {
    EXPECT_FALSE(glob_match("h[^e]llo", "hello"));
    EXPECT_TRUE(glob_match("h[^e]llo", "hallo"));
    EXPECT_FALSE(glob_match("h[^e]llo", "hllo"));
}

TEST(GlobMatch, UnterminatedBracketRunsToPatternEnd) {
    EXPECT_TRUE(glob_match("a[bc", "ab"));
    EXPECT_TRUE(glob_match("a[bc", "ac"));
    EXPECT_FALSE(glob_match("a[bc", "a["));
    EXPECT_FALSE(glob_match("a[bc", "abc"));
    EXPECT_FALSE(glob_match("[", "["));
}

TEST(GlobMatch, BackslashEscapesMetacharactersInAndOutOfBrackets) {
    EXPECT_TRUE(glob_match("a\\*c", "a*c"));
    EXPECT_FALSE(glob_match("a\\*c", "abc"));
    EXPECT_TRUE(glob_match("a[\\]]c", "a]c"));
    EXPECT_TRUE(glob_match("a[\\-]c", "a-c"));
    EXPECT_FALSE(glob_match("a[\\-]c", "a\\c"));
}

TEST(GlobMatch, TrailingBackslashMatchesBackslash) {
    EXPECT_TRUE(glob_match("a\\", "a\\"));
    EXPECT_FALSE(glob_match("a\\", "a"));
}

TEST(GlobMatch, PatternOverLimitNeverMatches) {
    const std::string at_limit(kMaxGlobPatternBytes, '*');
    const std::string over_limit(kMaxGlobPatternBytes + 1, '*');
    EXPECT_TRUE(glob_match(at_limit, "anything"));
    EXPECT_FALSE(glob_match(over_limit, "anything"));
}

std::string hostile_pattern(int stars) {
    std::string p;
    for (int i = 0; i < stars; ++i) p += "*a";
    return p + "b";
}

TEST(GlobMatch, HostileStarPatternWorkStaysWithinPatternTimesKey) {
    const std::string pattern = hostile_pattern(64);
    const std::string key(10'000, 'a');
    auto outcome = detail::glob_match_counted(pattern, key);
    EXPECT_FALSE(outcome.matched);
    EXPECT_LE(outcome.steps, (pattern.size() + 1) * (key.size() + 1));
}

TEST(GlobMatch, HostileStarPatternOverTenThousandKeysFinishesFast) {
    const std::string pattern = hostile_pattern(64);
    std::vector<std::string> keys;
    for (int i = 0; i < 10'000; ++i) keys.emplace_back(200 + i % 800, 'a');

    // Fast means bounded work, counted in steps (glob_match is glob_match_counted's
    // answer): at most (pattern + 1) x (key + 1) per key, where an exponential
    // matcher would not finish at all. The time taken is recorded, not judged:
    // a loaded machine stretches it.
    const auto start = std::chrono::steady_clock::now();
    std::size_t matches = 0, steps = 0, bound = 0;
    for (const auto& key : keys) {
        const auto outcome = detail::glob_match_counted(pattern, key);
        matches += outcome.matched;
        steps += outcome.steps;
        bound += (pattern.size() + 1) * (key.size() + 1);
    }
    const auto elapsed = std::chrono::steady_clock::now() - start;

    EXPECT_EQ(matches, 0u);
    EXPECT_LE(steps, bound);
    RecordProperty("steps", std::to_string(steps));
    RecordProperty("elapsed_ms",
                   static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()));
}

}  // namespace
}  // namespace yooni::cache
