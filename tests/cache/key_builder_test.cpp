// python_json_dumps and build_key against CPython's json and hashlib, run at
// test time (Debian's python3), so the Python system's keys are the oracle.
#include "yooni/cache/key_builder.hpp"

#include "support/process.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace yooni::cache {
namespace {

// Parsed here, sent to Python as boost::json::serialize() (shortest
// round-trip doubles), so both sides dump the very same numbers.
const std::vector<std::string> kValues = {
    "null", "true", "false", "0", "-1", "42",
    "9223372036854775807", "-9223372036854775808", "18446744073709551615",
    "0.0", "-0.0", "1.0", "-2.5", "100.0", "0.1", "0.2", "0.30000000000000004",
    "1e-5", "1e-4", "0.0001234", "0.00001234", "1e15", "1e16", "9999999999999998.0",
    "123456789012345.0", "1234567890123456.0", "12345678901234567.0", "1e22", "1.5e300",
    "5e-324", "2.2250738585072014e-308", "1.7976931348623157e308", "3.141592653589793",
    "-1.2345678901234567e-200", "6.02214076e23",
    R"("")", R"("plain")", R"("quote \" backslash \\ slash /")", R"("\n\r\t\b\f")",
    R"("\u0000\u0001\u001f \u007f \u0080")", R"("한글 상품명 — 디지털/가전")",
    R"("emoji 😀 🇰🇷 👩‍👩‍👧")", R"("\u2028\u2029")",
    "[]", "{}", "[[], {}, [[]], {\"a\": {}}]",
    R"({"b": 1, "a": [1, 2.5, "x"], "A": null, "가": true, "z": {"y": [], "x": {}}})",
    R"({"é": 1, "z": 2, "😀": 3, "\uffff": 4, "한": 5, "": 6, "\n": 7, "\u0000": 8})",
    R"({"args": [1, "two", 3.0], "kwargs": {"sort": "desc", "limit": 10, "page": -1}})",
    R"([{"id": 1, "price": 19.99, "tags": ["새상품", "sale"]}, {"id": 2, "price": 0.5}])",
};

constexpr const char* kPythonDumps = R"(
import json, sys
values = json.load(sys.stdin)
print(json.dumps([json.dumps(v, sort_keys=True, ensure_ascii=False) for v in values]))
)";

TEST(PythonJsonDumps, MatchesPythonOnTableOfValues) {
    boost::json::array values;
    for (const auto& text : kValues) values.push_back(boost::json::parse(text));
    auto run = test::run_python(kPythonDumps, {}, boost::json::serialize(values));
    ASSERT_EQ(run.exit_code, 0) << run.err;
    auto expected = boost::json::parse(run.out).as_array();
    ASSERT_EQ(expected.size(), values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        EXPECT_EQ(python_json_dumps(values[i]), std::string{expected[i].as_string()}) << kValues[i];
    }
}

TEST(PythonJsonDumps, UsesPythonSeparatorsAndSortsKeys) {
    EXPECT_EQ(python_json_dumps(boost::json::parse(R"({"b": [1,2], "a": {"d": null, "c": true}})")),
              R"({"a": {"c": true, "d": null}, "b": [1, 2]})");
}

TEST(PythonJsonDumps, EmptyContainersHaveNoInnerSpace) {
    EXPECT_EQ(python_json_dumps(boost::json::parse("[[], {}]")), "[[], {}]");
}

TEST(PythonJsonDumps, NegativeZeroKeepsItsSign) {
    EXPECT_EQ(python_json_dumps(boost::json::value(-0.0)), "-0.0");
}

TEST(PythonJsonDumps, NonFiniteFloatsUsePythonNames) {
    EXPECT_EQ(python_json_dumps(boost::json::value(std::numeric_limits<double>::infinity())), "Infinity");
    EXPECT_EQ(python_json_dumps(boost::json::value(-std::numeric_limits<double>::infinity())), "-Infinity");
    EXPECT_EQ(python_json_dumps(boost::json::value(std::numeric_limits<double>::quiet_NaN())), "NaN");
}

TEST(PythonJsonDumps, ControlCharactersUseLowercaseUnicodeEscapes) {
    EXPECT_EQ(python_json_dumps(boost::json::value("\x01\x1f\x7f")), "\"\\u0001\\u001f\x7f\"");
}

// Reads one IEEE-754 bit pattern (hex) per line, prints json.dumps of each.
constexpr const char* kPythonFloats = R"(
import json, struct, sys
for line in sys.stdin:
    (x,) = struct.unpack(">d", bytes.fromhex(line.strip()))
    print(json.dumps(x))
)";

std::vector<double> random_doubles() {
    std::mt19937_64 rng{20240611};
    std::vector<double> out;
    // Any finite bit pattern: subnormals, huge and tiny exponents, 17-digit mantissas.
    while (out.size() < 1500) {
        double d = std::bit_cast<double>(rng());
        if (std::isfinite(d)) out.push_back(d);
    }
    // Human-scale magnitudes around the 1e-4 / 1e16 switches to exponent form.
    std::uniform_real_distribution<double> mantissa{1.0, 10.0};
    std::uniform_int_distribution<int> exponent{-8, 20};
    for (int i = 0; i < 1000; ++i) out.push_back(mantissa(rng) * std::pow(10.0, exponent(rng)));
    // Short decimals and whole numbers, where a wrong digit count shows.
    std::uniform_int_distribution<std::int64_t> whole{-100'000'000, 100'000'000};
    std::uniform_int_distribution<int> places{0, 6};
    for (int i = 0; i < 1000; ++i) out.push_back(static_cast<double>(whole(rng)) / std::pow(10.0, places(rng)));
    for (double edge : {1e16, 9.999999999999999e15, 1e-4, 9.99999999999e-5, 1e-5, 0.0, -0.0,
                        std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::max(),
                        std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                        std::numeric_limits<double>::quiet_NaN()}) {
        out.push_back(edge);
    }
    return out;
}

TEST(PythonJsonDumps, FloatsMatchPythonReprForRandomDoubles) {
    const auto doubles = random_doubles();
    std::string input;
    for (double d : doubles) {
        char line[20];
        std::snprintf(line, sizeof line, "%016llx\n",
                      static_cast<unsigned long long>(std::bit_cast<std::uint64_t>(d)));
        input += line;
    }
    auto run = test::run_python(kPythonFloats, {}, input);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    std::istringstream lines{run.out};
    std::string expected;
    std::size_t mismatches = 0;
    for (double d : doubles) {
        ASSERT_TRUE(std::getline(lines, expected));
        const auto ours = python_json_dumps(boost::json::value(d));
        if (ours != expected && ++mismatches <= 10) ADD_FAILURE() << "python " << expected << " ours " << ours;
    }
    EXPECT_EQ(mismatches, 0u);
}

TEST(Md5Hex, MatchesKnownDigests) {
    EXPECT_EQ(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
    EXPECT_EQ(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
}

// [prefix, name, args, kwargs] -> the Python system's key.
constexpr const char* kPythonKeys = R"(
import hashlib, json, sys
out = []
for prefix, name, args, kwargs in json.load(sys.stdin):
    data = json.dumps({"args": args, "kwargs": kwargs}, sort_keys=True, ensure_ascii=False)
    out.append(prefix + name + ":" + hashlib.md5(data.encode("utf-8")).hexdigest())
print(json.dumps(out))
)";

TEST(BuildKey, MatchesPythonKeyForDiverseCalls) {
    const std::vector<std::string> calls = {
        R"(["cache:", "get_product", [123], {}])",
        R"(["cache:", "get_product", [], {}])",
        R"(["", "search", ["무선 가습기"], {"page": 2, "sort": "price", "asc": true}])",
        R"(["app:v2:", "list", [1.5, -0.0, 1e-7, 1e16, null], {"filters": {"b": [], "a": {}}}])",
        R"(["p:", "emoji", ["😀\n\t\"quoted\""], {"z": 1, "é": 2, "a": 3}])",
        R"(["cache:", "ids", [[9223372036854775807, -9223372036854775808, 18446744073709551615]], {}])",
    };
    boost::json::array requests;
    for (const auto& c : calls) requests.push_back(boost::json::parse(c));
    auto run = test::run_python(kPythonKeys, {}, boost::json::serialize(requests));
    ASSERT_EQ(run.exit_code, 0) << run.err;
    auto expected = boost::json::parse(run.out).as_array();
    ASSERT_EQ(expected.size(), requests.size());

    for (std::size_t i = 0; i < requests.size(); ++i) {
        const auto& call = requests[i].as_array();
        const auto& prefix = call[0].as_string();
        const auto& name = call[1].as_string();
        EXPECT_EQ(build_key({prefix.data(), prefix.size()}, {name.data(), name.size()}, call[2].as_array(),
                            call[3].as_object()),
                  std::string{expected[i].as_string()})
            << calls[i];
    }
}

TEST(BuildKey, IsPrefixNameColonAndMd5OfArgsDocument) {
    boost::json::array args{1, "a"};
    boost::json::object kwargs{{"k", false}};
    EXPECT_EQ(build_key("pre:", "fn", args, kwargs),
              "pre:fn:" + md5_hex(R"({"args": [1, "a"], "kwargs": {"k": false}})"));
}

}  // namespace
}  // namespace yooni::cache
