// Finding a value's text inside a JSON document (batch/set keeps each
// item's value byte for byte). Every span found must parse to what the
// parser itself found at that place.
#include "http/json_text.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <random>
#include <string>

namespace yooni::http::detail {
namespace {

namespace json = boost::json;

TEST(JsonText, AMembersTextIsKeptAsWritten) {
    const std::string doc = R"( { "a" : 1e5 , "b":12345678901234567890123, "c" : { "p" : 19.90 } ,"d":-0} )";
    EXPECT_EQ(member_text(doc, "a"), "1e5");
    EXPECT_EQ(member_text(doc, "b"), "12345678901234567890123");
    EXPECT_EQ(member_text(doc, "c"), R"({ "p" : 19.90 })");
    EXPECT_EQ(member_text(doc, "d"), "-0");
    EXPECT_EQ(member_text(doc, "e"), std::nullopt);
    EXPECT_EQ(member_text("{}", "a"), std::nullopt);
    EXPECT_EQ(member_text("[1]", "a"), std::nullopt) << "not an object";
}

TEST(JsonText, StringsHoldingBracketsQuotesAndEscapesDoNotMisleadIt) {
    const std::string doc = R"({"a":"}]\",{[\\","b":["]",{"x":"\"}"}],"c":true})";
    EXPECT_EQ(member_text(doc, "a"), R"("}]\",{[\\")");
    EXPECT_EQ(member_text(doc, "b"), R"(["]",{"x":"\"}"}])");
    EXPECT_EQ(member_text(doc, "c"), "true");
}

TEST(JsonText, TheLastOfTwoMembersOfOneNameIsTheOneTheParserKeeps) {
    const std::string doc = R"({"value":1,"value":[2]})";
    EXPECT_EQ(member_text(doc, "value"), "[2]");
    EXPECT_EQ(json::parse(doc).at("value"), json::parse("[2]"));
}

TEST(JsonText, ANameWrittenWithEscapesIsRecognised) {
    EXPECT_EQ(member_text(R"({"val\u0075e":3})", "value"), "3");
    EXPECT_EQ(member_text(R"({"a\"b":3})", "a\"b"), "3");
    EXPECT_EQ(member_text(R"({"valu\\e":3})", "value"), std::nullopt);
}

TEST(JsonText, ElementsOfAnArray) {
    const auto items = element_texts(R"([ {"key":"a","value":1.50} ,[],"x" , null,-2.5E-3])");
    ASSERT_TRUE(items);
    EXPECT_EQ(*items, (std::vector<std::string_view>{R"({"key":"a","value":1.50})", "[]", R"("x")", "null", "-2.5E-3"}));
    EXPECT_EQ(element_texts("[]"), std::vector<std::string_view>{});
    EXPECT_EQ(element_texts(" [ ] "), std::vector<std::string_view>{});
    EXPECT_EQ(element_texts("{}"), std::nullopt);
}

TEST(JsonText, TextThatIsNotJsonGivesNothingRatherThanReadingPastItsEnd) {
    for (std::string_view bad : {"", "{", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\":\"x", "{\"a\":[1,", "[", "[1",
                                 "[\"\\", "{\"a\":{\"b\":1}", "{1:2}", "[,]"}) {
        EXPECT_EQ(member_text(bad, "a"), std::nullopt) << bad;
        (void)element_texts(bad);  // the sanitizer builds catch a read past the end
    }
}

// Random documents: every member and element found parses to the value the
// parser put there.
std::string random_value(std::mt19937& rng, int depth) {
    const auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    const char* space[] = {"", " ", "\n\t", "\r\n  "};
    const auto ws = [&] { return std::string{space[pick(4)]}; };
    switch (depth > 3 ? pick(4) : pick(6)) {
        case 0: {
            const char* numbers[] = {"0", "-0", "1e5", "19.90", "-2.5E-3", "12345678901234567890123", "1E+2", "7"};
            return numbers[pick(8)];
        }
        case 1: {
            const char* strings[] = {R"("")", R"("}")", R"("]")", R"("\"")", R"("\\")", R"("a\\\"b")", R"("\u00e9")",
                                     R"("{[,:")"};
            return strings[pick(8)];
        }
        case 2: return pick(2) ? "true" : "null";
        case 3: return "false";
        case 4: {
            std::string out = "[" + ws();
            const int n = pick(4);
            for (int i = 0; i < n; ++i) out += (i ? "," + ws() : "") + random_value(rng, depth + 1) + ws();
            return out + "]";
        }
        default: {
            const char* names[] = {R"("value")", R"("key")", R"("val\u0075e")", R"("v")", R"("va\"lue")"};
            std::string out = "{" + ws();
            const int n = pick(4);
            for (int i = 0; i < n; ++i)
                out += (i ? "," + ws() : "") + names[pick(5)] + ws() + ":" + ws() + random_value(rng, depth + 1) + ws();
            return out + "}";
        }
    }
}

TEST(JsonText, EverySpanOfRandomDocumentsParsesToWhatTheParserFoundThere) {
    std::mt19937 rng{20261206};
    int checked = 0;
    for (int round = 0; round < 3000; ++round) {
        const std::string doc = random_value(rng, 0);
        const json::value parsed = json::parse(doc);
        if (const auto* o = parsed.if_object()) {
            for (const char* name : {"value", "key", "v", "va\"lue", "absent"}) {
                const auto text = member_text(doc, name);
                const auto* want = o->if_contains(name);
                ASSERT_EQ(text.has_value(), want != nullptr) << doc << " / " << name;
                if (!want) continue;
                EXPECT_EQ(json::parse(*text), *want) << doc << " / " << name;
                ++checked;
            }
        }
        if (const auto* a = parsed.if_array()) {
            const auto texts = element_texts(doc);
            ASSERT_TRUE(texts) << doc;
            ASSERT_EQ(texts->size(), a->size()) << doc;
            for (std::size_t i = 0; i < a->size(); ++i) EXPECT_EQ(json::parse((*texts)[i]), (*a)[i]) << doc;
            checked += static_cast<int>(a->size());
        }
    }
    EXPECT_GT(checked, 1000);
}

}  // namespace
}  // namespace yooni::http::detail
