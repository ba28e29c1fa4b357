// The parser fed every possible split of the byte stream, with the buffer
// moved (copied to a new string, the old one scribbled over) between calls:
// results are identical to the one-shot parse.
#include "yooni/resp/encoder.hpp"
#include "yooni/resp/parser.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace yooni::resp {
namespace {

using namespace std::string_literals;

// A corpus of replies: every type, nesting, attributes, pushes, binary bulks.
const std::vector<std::string> kCorpus = {
    "+OK\r\n",
    "+\r\n",
    "-ERR wrong number of arguments\r\n",
    ":0\r\n",
    ":-9223372036854775808\r\n",
    "$5\r\nhello\r\n",
    "$0\r\n\r\n",
    "$-1\r\n",
    "*-1\r\n",
    "$11\r\na\r\nb\0c\r\n\0\r\n\r\n"s,
    "*0\r\n",
    "*3\r\n:1\r\n$3\r\nfoo\r\n$-1\r\n",
    "*2\r\n*2\r\n:1\r\n*0\r\n*1\r\n*1\r\n+deep\r\n",
    "_\r\n",
    "#t\r\n",
    "#f\r\n",
    ",3.14\r\n",
    ",-inf\r\n",
    ",nan\r\n",
    "(-3492890328409238509324850943850943825024385\r\n",
    "=15\r\ntxt:Some string\r\n",
    "!21\r\nSYNTAX invalid syntax\r\n",
    "%2\r\n+first\r\n:1\r\n+second\r\n%1\r\n$1\r\nk\r\n~2\r\n:1\r\n:2\r\n",
    "~3\r\n+a\r\n+b\r\n#t\r\n",
    ">3\r\n$7\r\nmessage\r\n$7\r\nchannel\r\n$300\r\n" + std::string(300, 'p') + "\r\n",
    "|1\r\n+key-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$2\r\nOK\r\n",
    "*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n",
    "|0\r\n_\r\n",
    "*4\r\n$1000\r\n" + std::string(1000, '\r') + "\r\n%0\r\n~0\r\n>0\r\n",
};

std::string hex_if_binary(std::string_view bytes) {
    std::string out;
    for (unsigned char c : bytes) {
        if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            static constexpr char kDigits[] = "0123456789abcdef";
            out += "\\x";
            out += kDigits[c >> 4];
            out += kDigits[c & 15];
        }
    }
    return out;
}

// A reply as text that does not depend on where its bytes were.
std::string dump(const Reply& reply) {
    std::string out;
    auto add = [&](const char* what, const std::vector<Node>& nodes) {
        for (const Node& n : nodes) {
            out += what;
            out += std::string(to_string(n.type)) + " size=" + std::to_string(n.size) +
                   " depth=" + std::to_string(n.depth) + " value=" + hex_if_binary(n.value) + "\n";
        }
    };
    add("attr ", reply.attributes);
    add("node ", reply.nodes);
    return out;
}

struct Outcome {
    std::vector<std::string> replies;
    std::string error;
    std::size_t left_over = 0;  // bytes not consumed at the end
    bool operator==(const Outcome&) const = default;
};

// Feeds `stream` cut at `cuts` (increasing offsets) as a connection would:
// append, parse as many replies as are complete, consume them. The buffer
// is moved to a new allocation at every step and the old one overwritten, so
// a stale pointer kept by the parser would show.
Outcome feed(const std::string& stream, const std::vector<std::size_t>& cuts) {
    Parser parser;
    Reply reply;
    Outcome outcome;
    std::string buffer;
    auto move_to = [&](std::string next) {
        std::fill(buffer.begin(), buffer.end(), '\xee');
        buffer = std::move(next);
    };
    std::size_t from = 0;
    std::vector<std::size_t> ends = cuts;
    ends.push_back(stream.size());
    for (std::size_t to : ends) {
        move_to(buffer + stream.substr(from, to - from));
        from = to;
        for (;;) {
            auto got = parser.parse(buffer, reply);
            if (!got) {
                outcome.error = got.error().message();
                return outcome;
            }
            if (!*got) break;
            outcome.replies.push_back(dump(reply));
            move_to(buffer.substr(**got));
        }
    }
    outcome.left_over = buffer.size();
    return outcome;
}

std::string pipeline() {
    std::string all;
    for (const auto& reply : kCorpus) all += reply;
    return all;
}

TEST(ParserSplit, OneShotParsesEveryCorpusReply) {
    for (const auto& input : kCorpus) {
        Outcome whole = feed(input, {});
        EXPECT_EQ(whole.error, "") << hex_if_binary(input);
        EXPECT_EQ(whole.replies.size(), 1u) << hex_if_binary(input);
        EXPECT_EQ(whole.left_over, 0u);
    }
}

TEST(ParserSplit, EveryTwoPartSplitOfEveryReplyGivesTheSameResult) {
    for (const auto& input : kCorpus) {
        const Outcome whole = feed(input, {});
        for (std::size_t cut = 0; cut <= input.size(); ++cut) {
            ASSERT_EQ(feed(input, {cut}), whole) << hex_if_binary(input) << " cut at " << cut;
        }
    }
}

TEST(ParserSplit, OneByteAtATimeGivesTheSameResultForEveryReply) {
    for (const auto& input : kCorpus) {
        std::vector<std::size_t> cuts(input.size());
        for (std::size_t i = 0; i < cuts.size(); ++i) cuts[i] = i;
        ASSERT_EQ(feed(input, cuts), feed(input, {})) << hex_if_binary(input);
    }
}

TEST(ParserSplit, PipelineOfAllRepliesAtEveryTwoPartSplit) {
    const std::string all = pipeline();
    const Outcome whole = feed(all, {});
    ASSERT_EQ(whole.replies.size(), kCorpus.size());
    ASSERT_EQ(whole.error, "");
    for (std::size_t cut = 0; cut <= all.size(); ++cut) {
        ASSERT_EQ(feed(all, {cut}), whole) << "cut at " << cut;
    }
}

TEST(ParserSplit, PipelineOfAllRepliesOneByteAtATime) {
    const std::string all = pipeline();
    std::vector<std::size_t> cuts(all.size());
    for (std::size_t i = 0; i < cuts.size(); ++i) cuts[i] = i;
    EXPECT_EQ(feed(all, cuts), feed(all, {}));
}

TEST(ParserSplit, PipelineAtRandomMultiPartSplits) {
    const std::string all = pipeline();
    const Outcome whole = feed(all, {});
    std::mt19937 rng{20240611};
    for (int round = 0; round < 300; ++round) {
        std::uniform_int_distribution<std::size_t> pick{0, all.size()};
        std::vector<std::size_t> cuts(1 + round % 12);
        for (auto& cut : cuts) cut = pick(rng);
        std::sort(cuts.begin(), cuts.end());
        ASSERT_EQ(feed(all, cuts), whole) << "round " << round;
    }
}

TEST(ParserSplit, EveryProperPrefixIsIncompleteNeverAReplyOrAnError) {
    for (const auto& input : kCorpus) {
        for (std::size_t n = 0; n < input.size(); ++n) {
            Parser parser;
            Reply reply;
            auto got = parser.parse(std::string_view{input}.substr(0, n), reply);
            ASSERT_TRUE(got.has_value()) << hex_if_binary(input) << " prefix " << n << ": " << got.error().message();
            ASSERT_EQ(*got, std::nullopt) << hex_if_binary(input) << " prefix " << n;
        }
    }
}

}  // namespace
}  // namespace yooni::resp
