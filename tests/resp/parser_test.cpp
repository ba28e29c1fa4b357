// Parser on whole inputs: every RESP2/RESP3 type, nesting, attributes and
// pushes, the Reply accessors, pipelining, and the needed_bytes() hint.
#include "yooni/resp/parser.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace yooni::resp {

void PrintTo(const Node& node, std::ostream* os) {
    *os << to_string(node.type) << "(size=" << node.size << ", depth=" << node.depth << ", value=\""
        << node.value << "\")";
}

namespace {

using namespace std::string_literals;

// Parses `input`, which must hold exactly one complete reply; the reply views
// `input`, so the caller keeps it alive (string literals are).
Reply parse_one(std::string_view input, Limits limits = {}) {
    Parser parser{limits};
    Reply reply;
    auto got = parser.parse(input, reply);
    EXPECT_TRUE(got.has_value()) << got.error().message();
    if (!got) return {};
    EXPECT_TRUE(got->has_value()) << "incomplete";
    if (got->has_value()) {
        EXPECT_EQ(**got, input.size());
    }
    return reply;
}

Node node(Type type, std::string_view value, std::size_t depth = 0) { return {type, 0, depth, value}; }
Node aggregate(Type type, std::size_t size, std::size_t depth = 0) { return {type, size, depth, {}}; }

TEST(Parser, SimpleString) {
    EXPECT_EQ(parse_one("+OK\r\n").nodes, std::vector<Node>{node(Type::simple_string, "OK")});
}

TEST(Parser, EmptySimpleString) {
    EXPECT_EQ(parse_one("+\r\n").nodes, std::vector<Node>{node(Type::simple_string, "")});
}

TEST(Parser, SimpleErrorIsAReplyNotAProtocolError) {
    auto reply = parse_one("-ERR unknown command 'FOO'\r\n");
    EXPECT_TRUE(reply.is_error());
    EXPECT_EQ(reply.type(), Type::simple_error);
    EXPECT_EQ(reply.error_message(), "ERR unknown command 'FOO'");
}

TEST(Parser, BulkErrorIsAnError) {
    auto reply = parse_one("!21\r\nSYNTAX invalid syntax\r\n");
    EXPECT_TRUE(reply.is_error());
    EXPECT_EQ(reply.type(), Type::bulk_error);
    EXPECT_EQ(reply.error_message(), "SYNTAX invalid syntax");
}

TEST(Parser, IntegersAcrossTheInt64Range) {
    EXPECT_EQ(parse_one(":0\r\n").as_integer(), 0);
    EXPECT_EQ(parse_one(":-42\r\n").as_integer(), -42);
    EXPECT_EQ(parse_one(":+7\r\n").as_integer(), 7);
    EXPECT_EQ(parse_one(":9223372036854775807\r\n").as_integer(), INT64_MAX);
    EXPECT_EQ(parse_one(":-9223372036854775808\r\n").as_integer(), INT64_MIN);
}

TEST(Parser, BulkString) {
    auto reply = parse_one("$5\r\nhello\r\n");
    EXPECT_EQ(reply.nodes, std::vector<Node>{node(Type::bulk_string, "hello")});
    EXPECT_EQ(reply.as_string(), "hello");
}

TEST(Parser, EmptyBulkString) {
    auto reply = parse_one("$0\r\n\r\n");
    EXPECT_EQ(reply.nodes, std::vector<Node>{node(Type::bulk_string, "")});
    EXPECT_EQ(reply.as_string(), ""s);
}

TEST(Parser, BinaryBulkWithCrlfAndNulInside) {
    const std::string payload = "a\r\nb\0c\r\n\0\n\r"s;
    const std::string input = "$" + std::to_string(payload.size()) + "\r\n" + payload + "\r\n";
    auto reply = parse_one(input);
    EXPECT_EQ(reply.as_string(), payload);
}

TEST(Parser, BulkValueIsAViewIntoTheInput) {
    const std::string input = "$5\r\nhello\r\n";
    Parser parser;
    Reply reply;
    ASSERT_TRUE(parser.parse(input, reply).value().has_value());
    EXPECT_EQ(reply.root().value.data(), input.data() + 4);
}

TEST(Parser, Resp2NullBulkAndNullArrayAreNull) {
    EXPECT_TRUE(parse_one("$-1\r\n").is_null());
    EXPECT_TRUE(parse_one("*-1\r\n").is_null());
    EXPECT_EQ(parse_one("$-1\r\n").as_string(), std::nullopt);
}

TEST(Parser, Resp3Null) {
    EXPECT_EQ(parse_one("_\r\n").nodes, std::vector<Node>{node(Type::null, "")});
}

TEST(Parser, Booleans) {
    EXPECT_EQ(parse_one("#t\r\n").as_boolean(), true);
    EXPECT_EQ(parse_one("#f\r\n").as_boolean(), false);
}

TEST(Parser, Doubles) {
    EXPECT_EQ(parse_one(",1.5\r\n").as_double(), 1.5);
    EXPECT_EQ(parse_one(",-2\r\n").as_double(), -2.0);
    EXPECT_EQ(parse_one(",1.25e3\r\n").as_double(), 1250.0);
    EXPECT_EQ(parse_one(",1E-2\r\n").as_double(), 0.01);
    EXPECT_EQ(parse_one(",inf\r\n").as_double(), std::numeric_limits<double>::infinity());
    EXPECT_EQ(parse_one(",-inf\r\n").as_double(), -std::numeric_limits<double>::infinity());
    EXPECT_TRUE(std::isnan(*parse_one(",nan\r\n").as_double()));
    EXPECT_EQ(parse_one(",1e400\r\n").as_double(), std::numeric_limits<double>::infinity());
    EXPECT_EQ(parse_one(",inf\r\n").root().value, "inf");
}

TEST(Parser, BigNumberKeepsItsText) {
    auto reply = parse_one("(3492890328409238509324850943850943825024385\r\n");
    EXPECT_EQ(reply.nodes, std::vector<Node>{node(Type::big_number, "3492890328409238509324850943850943825024385")});
    EXPECT_EQ(parse_one("(-12\r\n").root().value, "-12");
}

TEST(Parser, VerbatimStringKeepsFormatInValueAndStripsItInAsString) {
    auto reply = parse_one("=15\r\ntxt:Some string\r\n");
    EXPECT_EQ(reply.nodes, std::vector<Node>{node(Type::verbatim_string, "txt:Some string")});
    EXPECT_EQ(reply.as_string(), "Some string");
    EXPECT_EQ(parse_one("=4\r\nmkd:\r\n").as_string(), "");
}

TEST(Parser, ArrayOfMixedElements) {
    auto reply = parse_one("*3\r\n:1\r\n$3\r\nfoo\r\n$-1\r\n");
    EXPECT_EQ(reply.nodes, (std::vector<Node>{aggregate(Type::array, 3), node(Type::integer, "1", 1),
                                              node(Type::bulk_string, "foo", 1), node(Type::null, "", 1)}));
}

TEST(Parser, EmptyAggregatesOfEveryKind) {
    EXPECT_EQ(parse_one("*0\r\n").nodes, std::vector<Node>{aggregate(Type::array, 0)});
    EXPECT_EQ(parse_one("%0\r\n").nodes, std::vector<Node>{aggregate(Type::map, 0)});
    EXPECT_EQ(parse_one("~0\r\n").nodes, std::vector<Node>{aggregate(Type::set, 0)});
    EXPECT_EQ(parse_one(">0\r\n").nodes, std::vector<Node>{aggregate(Type::push, 0)});
}

TEST(Parser, NestedAggregatesCarryDepth) {
    auto reply = parse_one("*2\r\n*2\r\n:1\r\n*0\r\n:2\r\n");
    EXPECT_EQ(reply.nodes, (std::vector<Node>{aggregate(Type::array, 2), aggregate(Type::array, 2, 1),
                                              node(Type::integer, "1", 2), aggregate(Type::array, 0, 2),
                                              node(Type::integer, "2", 1)}));
}

TEST(Parser, MapSizeCountsKeysAndValues) {
    auto reply = parse_one("%2\r\n+first\r\n:1\r\n+second\r\n*1\r\n:2\r\n");
    EXPECT_EQ(reply.nodes, (std::vector<Node>{aggregate(Type::map, 4), node(Type::simple_string, "first", 1),
                                              node(Type::integer, "1", 1), node(Type::simple_string, "second", 1),
                                              aggregate(Type::array, 1, 1), node(Type::integer, "2", 2)}));
}

TEST(Parser, Set) {
    auto reply = parse_one("~2\r\n+a\r\n+b\r\n");
    EXPECT_EQ(reply.nodes, (std::vector<Node>{aggregate(Type::set, 2), node(Type::simple_string, "a", 1),
                                              node(Type::simple_string, "b", 1)}));
}

TEST(Parser, TopLevelPushIsACompleteReply) {
    const std::string input = ">2\r\n$7\r\nmessage\r\n:1\r\n+OK\r\n";
    Parser parser;
    Reply reply;
    auto got = parser.parse(input, reply);
    ASSERT_TRUE(got && got->has_value());
    EXPECT_EQ(**got, input.size() - 5);
    EXPECT_TRUE(reply.is_push());
    EXPECT_EQ(reply.root().size, 2u);
}

TEST(Parser, TopLevelAttributeGoesToAttributesAndTheRootFollows) {
    auto reply = parse_one("|1\r\n+key-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n+OK\r\n");
    EXPECT_EQ(reply.nodes, std::vector<Node>{node(Type::simple_string, "OK")});
    EXPECT_EQ(reply.attributes,
              (std::vector<Node>{aggregate(Type::attribute, 2), node(Type::simple_string, "key-popularity", 1),
                                 aggregate(Type::array, 2, 1), node(Type::bulk_string, "key:123", 2),
                                 node(Type::integer, "90", 2)}));
}

TEST(Parser, NestedAttributeIsNotCountedAsAnElement) {
    auto reply = parse_one("*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n");
    EXPECT_EQ(reply.nodes, (std::vector<Node>{aggregate(Type::array, 2), node(Type::integer, "1", 1),
                                              node(Type::integer, "2", 1)}));
    EXPECT_EQ(reply.attributes, (std::vector<Node>{aggregate(Type::attribute, 2, 1),
                                                   node(Type::simple_string, "ttl", 2),
                                                   node(Type::integer, "3600", 2)}));
}

TEST(Parser, EmptyAttributeThenReply) {
    auto reply = parse_one("|0\r\n:5\r\n");
    EXPECT_EQ(reply.as_integer(), 5);
    EXPECT_EQ(reply.attributes, std::vector<Node>{aggregate(Type::attribute, 0)});
}

TEST(Parser, AttributeAloneIsIncomplete) {
    Parser parser;
    Reply reply;
    EXPECT_EQ(parser.parse("|1\r\n+a\r\n+b\r\n", reply).value(), std::nullopt);
}

TEST(Parser, PipelinedRepliesComeOneAtATime) {
    const std::string input = "+OK\r\n:1\r\n$3\r\nfoo\r\n*1\r\n+x\r\n";
    Parser parser;
    Reply reply;
    std::vector<Type> types;
    std::size_t offset = 0;
    while (offset < input.size()) {
        auto got = parser.parse(std::string_view{input}.substr(offset), reply);
        ASSERT_TRUE(got && got->has_value());
        types.push_back(reply.type());
        offset += **got;
    }
    EXPECT_EQ(types, (std::vector<Type>{Type::simple_string, Type::integer, Type::bulk_string, Type::array}));
}

TEST(Parser, IncompleteCallLeavesOutUntouched) {
    Parser parser;
    Reply reply;
    ASSERT_TRUE(parser.parse("+OK\r\n", reply).value().has_value());
    EXPECT_EQ(parser.parse("*2\r\n:1\r\n", reply).value(), std::nullopt);
    EXPECT_EQ(reply.nodes, std::vector<Node>{node(Type::simple_string, "OK")});
}

TEST(Parser, EmptyInputNeedsMore) {
    Parser parser;
    Reply reply;
    EXPECT_EQ(parser.parse("", reply).value(), std::nullopt);
    EXPECT_EQ(parser.needed_bytes(), 0u);
}

TEST(Parser, NeededBytesKnowsTheEndOfAnAwaitedBulk) {
    Parser parser;
    Reply reply;
    std::string input = "$1000\r\nabc";
    ASSERT_EQ(parser.parse(input, reply).value(), std::nullopt);
    EXPECT_EQ(parser.needed_bytes(), 7u + 1000 + 2);
    input = "+O";
    parser.reset();
    ASSERT_EQ(parser.parse(input, reply).value(), std::nullopt);
    EXPECT_EQ(parser.needed_bytes(), 3u);
}

TEST(Parser, ShrunkInputIsParsedFromScratch) {
    Parser parser;
    Reply reply;
    ASSERT_EQ(parser.parse("$10\r\nabcdef", reply).value(), std::nullopt);
    auto got = parser.parse(":1\r\n", reply);
    ASSERT_TRUE(got && got->has_value());
    EXPECT_EQ(reply.as_integer(), 1);
}

TEST(Reply, ChildrenSkipWholeSubtrees) {
    auto reply = parse_one("*3\r\n*2\r\n:1\r\n:2\r\n%1\r\n+k\r\n*1\r\n:3\r\n:4\r\n");
    std::vector<std::size_t> children;
    for (std::size_t i : reply.children(0)) children.push_back(i);
    EXPECT_EQ(children, (std::vector<std::size_t>{1, 4, 8}));
    EXPECT_EQ(reply.children(0).size(), 3u);
    EXPECT_EQ(reply.subtree_end(1), 4u);
    EXPECT_EQ(reply.subtree_end(4), 8u);
    EXPECT_EQ(reply.subtree_end(0), reply.nodes.size());
    EXPECT_EQ(reply.as_integer(8), 4);
    std::vector<std::size_t> map_children;
    for (std::size_t i : reply.children(4)) map_children.push_back(i);
    EXPECT_EQ(map_children, (std::vector<std::size_t>{5, 6}));
    EXPECT_EQ(reply.children(2).size(), 0u);  // a leaf
}

TEST(Reply, TypedAccessorsRefuseOtherTypesAndBadIndices) {
    auto reply = parse_one("*2\r\n:1\r\n+two\r\n");
    EXPECT_EQ(reply.as_integer(), std::nullopt);
    EXPECT_EQ(reply.as_string(1), std::nullopt);
    EXPECT_EQ(reply.as_string(2), "two");
    EXPECT_EQ(reply.as_integer(3), std::nullopt);
    EXPECT_EQ(reply.as_boolean(1), std::nullopt);
    EXPECT_EQ(reply.as_double(1), std::nullopt);
    EXPECT_FALSE(reply.is_error());
    EXPECT_EQ(reply.error_message(), "");
}

TEST(OwnedReply, OutlivesTheInputBufferAndItsMoves) {
    auto input = std::make_unique<std::string>("|1\r\n+a\r\n:1\r\n*2\r\n$5\r\nhello\r\n$0\r\n\r\n");
    Parser parser;
    Reply reply;
    ASSERT_TRUE(parser.parse(*input, reply).value().has_value());
    OwnedReply owned{reply};
    input.reset();
    OwnedReply moved = std::move(owned);
    EXPECT_EQ(moved->as_string(1), "hello");
    EXPECT_EQ(moved->as_string(2), "");
    EXPECT_EQ(moved->attributes.at(1).value, "a");
    EXPECT_EQ(moved->nodes.size(), 3u);
}

}  // namespace
}  // namespace yooni::resp
