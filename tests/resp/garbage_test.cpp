// Hostile and broken input: every malformation is a protocol error (never a
// crash, never a wrong reply), limits are enforced before anything is
// allocated, failures are sticky, random bytes are survived, and the work
// stays linear however the bytes arrive.
#include "yooni/resp/encoder.hpp"
#include "yooni/resp/parser.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace yooni::resp {
namespace {

using namespace std::string_literals;

// The error of parsing `input` whole; success (complete or not) is a failure.
boost::system::error_code error_of(std::string_view input, Limits limits = {}) {
    Parser parser{limits};
    Reply reply;
    auto got = parser.parse(input, reply);
    if (got) {
        ADD_FAILURE() << "no error for \"" << input << "\"" << (got->has_value() ? " (a reply)" : " (incomplete)");
        return {};
    }
    return got.error();
}

bool incomplete(std::string_view input, Limits limits = {}) {
    Parser parser{limits};
    Reply reply;
    auto got = parser.parse(input, reply);
    return got && !got->has_value();
}

TEST(ParserGarbage, UnknownTypeByte) {
    for (auto input : {"x\r\n", " +OK\r\n", "\r\n", "@1\r\n", "?\r\n"}) {
        EXPECT_EQ(error_of(input), errc::unknown_type) << input;
    }
    EXPECT_EQ(error_of("\0+OK\r\n"s), errc::unknown_type);
}

TEST(ParserGarbage, UnknownTypeByteInsideAnAggregate) {
    EXPECT_EQ(error_of("*2\r\n:1\r\nZ\r\n"), errc::unknown_type);
}

TEST(ParserGarbage, LengthsAreDigitsOnly) {
    for (auto input : {"$+5\r\nhello\r\n", "$ 5\r\nhello\r\n", "$5 \r\nhello\r\n", "$5a\r\n", "$\r\n\r\n",
                       "$0x5\r\n", "*+1\r\n:1\r\n", "* 1\r\n", "*1.0\r\n", "$-\r\n", "$--1\r\n"}) {
        EXPECT_EQ(error_of(input), errc::bad_length) << input;
    }
}

TEST(ParserGarbage, NegativeLengthOtherThanMinusOneForNulls) {
    for (auto input : {"$-2\r\n", "$-0\r\n", "$-10\r\n", "*-2\r\n", "%-1\r\n", "~-1\r\n", ">-1\r\n", "|-1\r\n",
                       "!-1\r\n", "=-1\r\n"}) {
        EXPECT_EQ(error_of(input), errc::bad_length) << input;
    }
}

TEST(ParserGarbage, LengthOverflowIsRefused) {
    EXPECT_EQ(error_of("$99999999999999999999\r\n"), errc::bad_length);
    EXPECT_EQ(error_of("*18446744073709551617\r\n"), errc::bad_length);
    // Refused as soon as the 20th digit arrives, whatever follows.
    EXPECT_EQ(error_of("$00000000000000000000"), errc::bad_length);
}

TEST(ParserGarbage, HugeDeclaredBulkIsRefusedBeforeItsPayloadArrives) {
    EXPECT_EQ(error_of("$9999999999999999999\r\n"), errc::bulk_too_large);
    EXPECT_EQ(error_of("$536870913\r\n"), errc::bulk_too_large);  // 512 MiB + 1
    EXPECT_TRUE(incomplete("$536870912\r\n"));                    // exactly the limit: waits
    EXPECT_EQ(error_of("!1001\r\n", {.max_bulk_bytes = 1000}), errc::bulk_too_large);
    EXPECT_EQ(error_of("=1001\r\n", {.max_bulk_bytes = 1000}), errc::bulk_too_large);
}

TEST(ParserGarbage, AggregateCountAboveTheLimit) {
    EXPECT_EQ(error_of("*16777217\r\n"), errc::aggregate_too_large);
    EXPECT_EQ(error_of("*9999999999999999999\r\n"), errc::aggregate_too_large);
    EXPECT_TRUE(incomplete("*16777216\r\n"));
    // A map of n pairs has 2n elements.
    EXPECT_EQ(error_of("%8388609\r\n"), errc::aggregate_too_large);
    EXPECT_TRUE(incomplete("%8388608\r\n"));
    EXPECT_EQ(error_of("|3\r\n", {.max_aggregate_elements = 5}), errc::aggregate_too_large);
    EXPECT_EQ(error_of("~6\r\n", {.max_aggregate_elements = 5}), errc::aggregate_too_large);
}

TEST(ParserGarbage, DepthBeyondTheLimit) {
    std::string ok, deep;
    for (int i = 0; i < 32; ++i) ok += "*1\r\n";
    ok += ":1\r\n";
    Parser parser;
    Reply reply;
    ASSERT_TRUE(parser.parse(ok, reply).value().has_value());
    EXPECT_EQ(reply.nodes.back().depth, 32u);
    for (int i = 0; i < 33; ++i) deep += "*1\r\n";
    EXPECT_EQ(error_of(deep), errc::too_deep);
    EXPECT_EQ(error_of("*1\r\n%1\r\n", {.max_depth = 1}), errc::too_deep);
    EXPECT_EQ(error_of("*1\r\n|1\r\n", {.max_depth = 1}), errc::too_deep);
    EXPECT_EQ(error_of("*0\r\n", {.max_depth = 0}), errc::too_deep);
}

TEST(ParserGarbage, DeepNestingOfAMillionBytesFailsFast) {
    std::string deep;
    for (int i = 0; i < 250000; ++i) deep += "*1\r\n";
    EXPECT_EQ(error_of(deep), errc::too_deep);
}

TEST(ParserGarbage, LineLongerThanTheLimitIsRefusedWithoutItsCrlf) {
    EXPECT_EQ(error_of("+" + std::string(65537, 'a')), errc::line_too_long);
    EXPECT_EQ(error_of("+" + std::string(65537, 'a') + "\r\n"), errc::line_too_long);
    EXPECT_TRUE(incomplete("+" + std::string(65536, 'a')));
    EXPECT_EQ(error_of(":12345\r\n", {.max_inline_bytes = 4}), errc::line_too_long);
}

TEST(ParserGarbage, MissingCrOrLf) {
    for (auto input : {"+OK\n\r\n", "+OK\rX", ":1\r\r\n", "+a\nb\r\n", "-ERR\nx\r\n", "$2\r\nabXY", "$2\r\nab\rX",
                       "$2\r\nab\n\r", "$2\rX", "*1\rX"}) {
        EXPECT_TRUE(error_of(input) == errc::missing_crlf) << input;
    }
    // A line is ended by its CR: a bare LF is caught once the CR comes, or
    // by the length limit if it never does.
    EXPECT_TRUE(incomplete("+OK\n"));
    EXPECT_EQ(error_of("+OK\n" + std::string(70000, 'x')), errc::line_too_long);
}

TEST(ParserGarbage, MissingCrlfAfterTheLengthIsABadLength) {
    EXPECT_EQ(error_of("$5\nhello\r\n"), errc::bad_length);
}

TEST(ParserGarbage, IntegersMustFitInt64) {
    for (auto input : {":9223372036854775808\r\n", ":-9223372036854775809\r\n", ":\r\n", ":-\r\n", ":+\r\n",
                       ":1.5\r\n", ":abc\r\n", ": 1\r\n", ":1 \r\n", ":++1\r\n", ":+-1\r\n"}) {
        EXPECT_EQ(error_of(input), errc::bad_integer) << input;
    }
}

TEST(ParserGarbage, BooleanIsTOrFOnly) {
    for (auto input : {"#x\r\n", "#tt\r\n", "#\r\n", "#T\r\n", "#1\r\n"}) {
        EXPECT_EQ(error_of(input), errc::bad_boolean) << input;
    }
}

TEST(ParserGarbage, DoubleGrammar) {
    for (auto input : {",\r\n", ",abc\r\n", ",1.5.5\r\n", ",infinity\r\n", ",NaN\r\n", ",.5\r\n", ",5.\r\n",
                       ",1e\r\n", ",0x10\r\n", ",nan(1)\r\n", ", 1\r\n"}) {
        EXPECT_EQ(error_of(input), errc::bad_double) << input;
    }
}

TEST(ParserGarbage, BigNumberGrammar) {
    for (auto input : {"(\r\n", "(-\r\n", "(12a\r\n", "(1.0\r\n", "( 1\r\n"}) {
        EXPECT_EQ(error_of(input), errc::bad_big_number) << input;
    }
}

TEST(ParserGarbage, NullHasNoPayload) {
    EXPECT_EQ(error_of("_x\r\n"), errc::bad_null);
    EXPECT_EQ(error_of("_ \r\n"), errc::bad_null);
}

TEST(ParserGarbage, VerbatimNeedsItsFormatPrefix) {
    EXPECT_EQ(error_of("=3\r\ntxt\r\n"), errc::bad_verbatim);
    EXPECT_EQ(error_of("=5\r\ntx:ab\r\n"), errc::bad_verbatim);
    EXPECT_EQ(error_of("=0\r\n\r\n"), errc::bad_verbatim);
}

TEST(ParserGarbage, StreamedTypesAreRefused) {
    EXPECT_EQ(error_of("$?\r\n;4\r\nHell\r\n;0\r\n"), errc::streamed_unsupported);
    EXPECT_EQ(error_of("*?\r\n:1\r\n.\r\n"), errc::streamed_unsupported);
}

TEST(ParserGarbage, TruncatedInputIsIncompleteNeverAReply) {
    for (auto input : {"+OK", "+OK\r", "$5\r\nhel", "$5\r\nhello", "$5\r\nhello\r", "*2\r\n:1\r\n", "%1\r\n+k\r\n",
                       "|1\r\n+a\r\n:1\r\n", "$", "*", "$-", "$-1", "$-1\r", ":12"}) {
        EXPECT_TRUE(incomplete(input)) << input;
    }
}

TEST(ParserGarbage, FailureIsStickyUntilReset) {
    Parser parser;
    Reply reply;
    ASSERT_FALSE(parser.parse("x", reply));
    auto again = parser.parse("+OK\r\n", reply);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error(), errc::unknown_type);
    parser.reset();
    EXPECT_TRUE(parser.parse("+OK\r\n", reply).value().has_value());
}

TEST(ParserGarbage, ErrorsHaveMessagesInTheRespCategory) {
    const boost::system::error_code ec = errc::too_deep;
    EXPECT_STREQ(ec.category().name(), "yooni.resp");
    EXPECT_NE(ec.message().find("nested"), std::string::npos);
}

// Checks the invariants of any reply the parser gives: sizes and depths form
// a tree, and every view lies inside the input.
void check_reply(std::string_view input, std::size_t consumed, const Reply& reply) {
    ASSERT_LE(consumed, input.size());
    ASSERT_FALSE(reply.nodes.empty());
    for (const auto* nodes : {&reply.nodes, &reply.attributes}) {
        for (const Node& n : *nodes) {
            if (!n.value.empty()) {
                ASSERT_GE(n.value.data(), input.data());
                ASSERT_LE(n.value.data() + n.value.size(), input.data() + consumed);
            }
        }
    }
    EXPECT_EQ(reply.subtree_end(0), reply.nodes.size());
    EXPECT_EQ(reply.nodes[0].depth, 0u);
    for (std::size_t i = 0; i < reply.nodes.size(); ++i) {
        std::size_t children = 0;
        for ([[maybe_unused]] std::size_t c : reply.children(i)) ++children;
        if (is_aggregate(reply.nodes[i].type)) {
            EXPECT_EQ(children, reply.nodes[i].size);
        }
    }
}

TEST(ParserGarbage, RandomBytesNeverCrash) {
    std::mt19937 rng{12345};
    // Mostly RESP's own bytes so that parsing gets deep before it fails.
    const std::string alphabet = "$*:+-_#,(!=%~>|\r\n\r\n0123456789-?tf.einax \0\xff"s;
    std::uniform_int_distribution<std::size_t> length{0, 80};
    std::uniform_int_distribution<std::size_t> letter{0, alphabet.size() - 1};
    std::uniform_int_distribution<int> any_byte{0, 255};
    int replies = 0, errors = 0, pending = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string input(length(rng), '\0');
        for (char& c : input) c = round % 4 == 0 ? static_cast<char>(any_byte(rng)) : alphabet[letter(rng)];
        Parser parser{{.max_bulk_bytes = 64, .max_aggregate_elements = 16, .max_depth = 8}};
        Reply reply;
        std::string_view rest = input;
        for (;;) {
            auto got = parser.parse(rest, reply);
            if (!got) {
                ++errors;
                break;
            }
            if (!*got) {
                ++pending;
                break;
            }
            ASSERT_NO_FATAL_FAILURE(check_reply(rest, **got, reply));
            ++replies;
            rest.remove_prefix(**got);
        }
    }
    EXPECT_GT(replies, 0);
    EXPECT_GT(errors, 0);
    EXPECT_GT(pending, 0);
}

TEST(ParserGarbage, MutatedValidRepliesNeverCrash) {
    std::string valid;
    append_array_header(valid, 4);
    append_map_header(valid, 1);
    append_simple_string(valid, "key");
    append_double(valid, 2.5);
    append_bulk_string(valid, "a\r\nbulk");
    append_verbatim(valid, "txt", "verbatim");
    append_attribute_header(valid, 1);
    append_boolean(valid, true);
    append_big_number(valid, "-123");
    append_set_header(valid, 2);
    append_integer(valid, -5);
    append_null(valid);
    std::mt19937 rng{777};
    std::uniform_int_distribution<std::size_t> where{0, valid.size() - 1};
    std::uniform_int_distribution<int> any_byte{0, 255};
    for (int round = 0; round < 20000; ++round) {
        std::string input = valid;
        for (int k = 0; k <= round % 3; ++k) input[where(rng)] = static_cast<char>(any_byte(rng));
        Parser parser;
        Reply reply;
        auto got = parser.parse(input, reply);
        if (got && *got) {
            ASSERT_NO_FATAL_FAILURE(check_reply(input, **got, reply));
        }
    }
}

TEST(ParserWork, LargeBulkIn4KbPiecesIsNotRescanned) {
    const std::size_t size = 8u << 20;
    std::string stream;
    append_bulk_string(stream, std::string(size, 'v'));
    Parser parser;
    Reply reply;
    std::string buffer;
    std::size_t calls = 0;
    std::optional<std::size_t> done;
    for (std::size_t from = 0; from < stream.size() && !done; from += 4096) {
        buffer.append(stream, from, 4096);
        done = parser.parse(buffer, reply).value();
        ++calls;
    }
    ASSERT_EQ(done, stream.size());
    EXPECT_EQ(reply.root().value.size(), size);
    EXPECT_GT(calls, 2000u);
    // The header and the final CRLF, not the 8 MB payload nor once per call.
    EXPECT_LT(parser.scanned_bytes(), 64u);
}

TEST(ParserWork, LongLineOneByteAtATimeIsScannedOnce) {
    const std::string stream = "+" + std::string(60000, 's') + "\r\n";
    Parser parser;
    Reply reply;
    std::string buffer;
    std::optional<std::size_t> done;
    for (char c : stream) {
        buffer += c;
        done = parser.parse(buffer, reply).value();
    }
    ASSERT_EQ(done, stream.size());
    // Each byte is looked at once by the CR search and once by the LF check
    // of the finished line; the type byte once per call.
    EXPECT_LE(parser.scanned_bytes(), 3 * stream.size());
}

TEST(ParserWork, LargeArrayInPiecesIsLinear) {
    std::string stream;
    append_array_header(stream, 200000);
    for (int i = 0; i < 200000; ++i) append_integer(stream, i);
    Parser parser;
    Reply reply;
    std::string buffer;
    std::size_t calls = 0;
    std::optional<std::size_t> done;
    for (std::size_t from = 0; from < stream.size() && !done; from += 1000) {
        buffer.append(stream, from, 1000);
        done = parser.parse(buffer, reply).value();
        ++calls;
    }
    ASSERT_EQ(done, stream.size());
    EXPECT_EQ(reply.nodes.size(), 200001u);
    EXPECT_EQ(reply.as_integer(200000), 199999);
    // Every byte once, plus at most one element header re-read per call.
    EXPECT_LE(parser.scanned_bytes(), stream.size() + calls * 24);
}

}  // namespace
}  // namespace yooni::resp
