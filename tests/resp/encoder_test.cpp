// The encoder: commands read back as arrays of bulk strings, pipelined
// commands in one buffer, and replies of every type round-trip through
// append_reply() and the parser.
#include "yooni/resp/encoder.hpp"
#include "yooni/resp/parser.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace yooni::resp {
namespace {

using namespace std::string_literals;

Reply parse_all(std::string_view input) {
    Parser parser;
    Reply reply;
    auto got = parser.parse(input, reply);
    EXPECT_TRUE(got && got->has_value() && **got == input.size()) << (got ? "incomplete or too short" : got.error().message());
    return reply;
}

std::vector<std::string> bulks_of(const Reply& reply) {
    std::vector<std::string> out;
    EXPECT_EQ(reply.type(), Type::array);
    for (std::size_t i : reply.children(0)) {
        EXPECT_EQ(reply.nodes[i].type, Type::bulk_string);
        out.emplace_back(reply.nodes[i].value);
    }
    return out;
}

TEST(Encoder, CommandIsAnArrayOfBulkStrings) {
    std::string out;
    append_command(out, {"SET", "key", "value"});
    EXPECT_EQ(out, "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n");
}

TEST(Encoder, CommandOverloadsAgree) {
    const std::vector<std::string> strings = {"MGET", "a", "", "binary\r\n\0"s};
    const std::vector<std::string_view> views(strings.begin(), strings.end());
    std::string from_list, from_views, from_strings;
    append_command(from_list, {"MGET", "a", "", "binary\r\n\0"s});
    append_command(from_views, views);
    append_command(from_strings, strings);
    EXPECT_EQ(from_list, from_views);
    EXPECT_EQ(from_list, from_strings);
}

TEST(Encoder, BinaryArgumentsRoundTrip) {
    std::vector<std::string> args = {"SET", "{test}k", "\r\n\0\xff"s, "", std::string(100000, 'x') + "\r\n"};
    std::string out;
    append_command(out, args);
    EXPECT_EQ(bulks_of(parse_all(out)), args);
}

TEST(Encoder, EmptyCommandIsAnEmptyArray) {
    std::string out;
    append_command(out, std::span<const std::string>{});
    EXPECT_EQ(out, "*0\r\n");
}

TEST(Encoder, PipelinedCommandsParseBackInOrder) {
    std::string out;
    for (int i = 0; i < 1000; ++i) append_command(out, {"GET", "key:" + std::to_string(i)});
    Parser parser;
    Reply reply;
    std::string_view rest = out;
    for (int i = 0; i < 1000; ++i) {
        auto got = parser.parse(rest, reply);
        ASSERT_TRUE(got && got->has_value());
        ASSERT_EQ(bulks_of(reply), (std::vector<std::string>{"GET", "key:" + std::to_string(i)}));
        rest.remove_prefix(**got);
    }
    EXPECT_TRUE(rest.empty());
}

TEST(Encoder, ReplyAppendersWriteTheWireFormat) {
    std::string out;
    append_simple_string(out, "OK");
    append_simple_error(out, "ERR x");
    append_integer(out, -9223372036854775807 - 1);
    append_bulk_string(out, "ab");
    append_bulk_error(out, "E");
    append_verbatim(out, "txt", "hi");
    append_null(out);
    append_null_bulk(out);
    append_null_array(out);
    append_boolean(out, true);
    append_boolean(out, false);
    append_double(out, 1.5);
    append_double_text(out, "-inf");
    append_big_number(out, "-12345678901234567890");
    append_array_header(out, 2);
    append_map_header(out, 3);
    append_set_header(out, 4);
    append_push_header(out, 5);
    append_attribute_header(out, 6);
    EXPECT_EQ(out,
              "+OK\r\n-ERR x\r\n:-9223372036854775808\r\n$2\r\nab\r\n!1\r\nE\r\n=6\r\ntxt:hi\r\n_\r\n$-1\r\n*-1\r\n"
              "#t\r\n#f\r\n,1.5\r\n,-inf\r\n(-12345678901234567890\r\n*2\r\n%3\r\n~4\r\n>5\r\n|6\r\n");
}

TEST(Encoder, DoublesRoundTripExactly) {
    for (double value : {0.0, -0.0, 1.5, 0.1, -1e300, 5e-324, 1.7976931348623157e308, 123456789.125,
                         std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()}) {
        std::string out;
        append_double(out, value);
        auto got = parse_all(out).as_double();
        ASSERT_TRUE(got) << out;
        EXPECT_EQ(*got, value) << out;
        EXPECT_EQ(std::signbit(*got), std::signbit(value)) << out;
    }
    std::string out;
    append_double(out, std::nan(""));
    EXPECT_EQ(out, ",nan\r\n");
    EXPECT_TRUE(std::isnan(*parse_all(out).as_double()));
}

// Every RESP3 type, nested, with attributes: append_reply of the parsed
// reply gives back the same bytes, and parsing those gives the same nodes.
TEST(Encoder, RepliesOfEveryTypeRoundTrip) {
    std::vector<std::string> replies;
    auto add = [&](auto build) {
        std::string out;
        build(out);
        replies.push_back(std::move(out));
    };
    add([](std::string& o) { append_simple_string(o, "OK"); });
    add([](std::string& o) { append_simple_error(o, "WRONGTYPE Operation against a key"); });
    add([](std::string& o) { append_integer(o, 42); });
    add([](std::string& o) { append_bulk_string(o, "bin\r\n\0ary"s); });
    add([](std::string& o) { append_bulk_error(o, "SYNTAX\r\nmulti-line"); });
    add([](std::string& o) { append_verbatim(o, "mkd", "# title\r\n"); });
    add([](std::string& o) { append_null(o); });
    add([](std::string& o) { append_boolean(o, false); });
    add([](std::string& o) { append_double(o, -0.25); });
    add([](std::string& o) { append_big_number(o, "3492890328409238509324850943850943825024385"); });
    add([](std::string& o) {
        append_array_header(o, 3);
        append_set_header(o, 2);
        append_integer(o, 1);
        append_array_header(o, 0);
        append_map_header(o, 2);
        append_simple_string(o, "k1");
        append_null(o);
        append_bulk_string(o, "k2");
        append_push_header(o, 1);
        append_boolean(o, true);
        append_bulk_string(o, "");
    });
    add([](std::string& o) {
        append_push_header(o, 3);
        append_bulk_string(o, "message");
        append_bulk_string(o, "channel");
        append_bulk_string(o, "payload");
    });
    add([](std::string& o) {
        append_attribute_header(o, 1);
        append_simple_string(o, "key-popularity");
        append_array_header(o, 2);
        append_bulk_string(o, "key:123");
        append_integer(o, 90);
        append_map_header(o, 1);
        append_simple_string(o, "a");
        append_double(o, 1e100);
    });
    for (const auto& wire : replies) {
        const Reply first = parse_all(wire);
        std::string again;
        append_reply(again, first);
        EXPECT_EQ(again, wire);
        const Reply second = parse_all(again);
        EXPECT_EQ(second.nodes, first.nodes);
        EXPECT_EQ(second.attributes, first.attributes);
    }
}

TEST(Encoder, Resp2NullsReEncodeAsResp3Null) {
    for (auto wire : {"$-1\r\n", "*-1\r\n"}) {
        std::string again;
        append_reply(again, parse_all(wire));
        EXPECT_EQ(again, "_\r\n");
    }
}

TEST(Encoder, NestedAttributeReEncodesBeforeTheRoot) {
    const Reply reply = parse_all("*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n");
    std::string again;
    append_reply(again, reply);
    EXPECT_EQ(again, "|1\r\n+ttl\r\n:3600\r\n*2\r\n:1\r\n:2\r\n");
}

}  // namespace
}  // namespace yooni::resp
