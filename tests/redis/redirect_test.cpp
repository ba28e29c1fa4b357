#include "yooni/redis/redirect.hpp"

#include <gtest/gtest.h>

namespace yooni::redis {
namespace {

using Kind = Redirect::Kind;

TEST(Redirect, ParsesMovedWithIpv4) {
    EXPECT_EQ(parse_redirect("MOVED 3999 127.0.0.1:6381"), (Redirect{Kind::moved, 3999, "127.0.0.1", 6381}));
}

TEST(Redirect, ParsesAskWithHostname) {
    EXPECT_EQ(parse_redirect("ASK 3999 redis-node2.internal:6381"),
              (Redirect{Kind::ask, 3999, "redis-node2.internal", 6381}));
}

TEST(Redirect, EmptyHostMeansTheSendingNode) {
    EXPECT_EQ(parse_redirect("MOVED 3999 :6380"), (Redirect{Kind::moved, 3999, "", 6380}));
}

TEST(Redirect, SplitsUnbracketedIpv6AtTheLastColon) {
    EXPECT_EQ(parse_redirect("MOVED 1 ::1:7000"), (Redirect{Kind::moved, 1, "::1", 7000}));
    EXPECT_EQ(parse_redirect("ASK 2 fe80::1:2:7001"), (Redirect{Kind::ask, 2, "fe80::1:2", 7001}));
}

TEST(Redirect, StripsBracketsOfIpv6) {
    EXPECT_EQ(parse_redirect("MOVED 1 [::1]:7000"), (Redirect{Kind::moved, 1, "::1", 7000}));
}

TEST(Redirect, AcceptsSlotBounds) {
    EXPECT_EQ(parse_redirect("MOVED 0 h:1")->slot, 0);
    EXPECT_EQ(parse_redirect("MOVED 16383 h:65535")->slot, 16383);
}

TEST(Redirect, RejectsSlotOutOfRange) {
    EXPECT_FALSE(parse_redirect("MOVED 16384 h:7000"));
    EXPECT_FALSE(parse_redirect("MOVED 99999999999 h:7000"));
    EXPECT_FALSE(parse_redirect("MOVED -1 h:7000"));
    EXPECT_FALSE(parse_redirect("MOVED x h:7000"));
    EXPECT_FALSE(parse_redirect("MOVED  h:7000"));
}

TEST(Redirect, RejectsBadPorts) {
    EXPECT_FALSE(parse_redirect("MOVED 1 h:0"));
    EXPECT_FALSE(parse_redirect("MOVED 1 h:65536"));
    EXPECT_FALSE(parse_redirect("MOVED 1 h:"));
    EXPECT_FALSE(parse_redirect("MOVED 1 h:70a"));
    EXPECT_FALSE(parse_redirect("MOVED 1 h"));
    EXPECT_FALSE(parse_redirect("MOVED 1 [::1]7000"));
    EXPECT_FALSE(parse_redirect("MOVED 1 [::1:7000"));
}

TEST(Redirect, RejectsOtherShapes) {
    EXPECT_FALSE(parse_redirect("MOVED"));
    EXPECT_FALSE(parse_redirect("MOVED 1"));
    EXPECT_FALSE(parse_redirect("MOVED 1 h:7000 extra"));
    EXPECT_FALSE(parse_redirect("moved 1 h:7000"));
    EXPECT_FALSE(parse_redirect("ERR unknown command"));
    EXPECT_FALSE(parse_redirect(""));
}

TEST(Redirect, ClassifiesClusterErrorsByTheirFirstWord) {
    EXPECT_EQ(classify_error("MOVED 1 h:1"), ErrorKind::moved);
    EXPECT_EQ(classify_error("ASK 1 h:1"), ErrorKind::ask);
    EXPECT_TRUE(is_tryagain("TRYAGAIN Multiple keys request during rehashing of slot"));
    EXPECT_TRUE(is_clusterdown("CLUSTERDOWN Hash slot not served"));
    EXPECT_TRUE(is_clusterdown("CLUSTERDOWN The cluster is down"));
    EXPECT_TRUE(is_loading("LOADING Redis is loading the dataset in memory"));
    EXPECT_TRUE(is_readonly("READONLY You can't write against a read only replica."));
    EXPECT_TRUE(is_masterdown("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."));
    EXPECT_TRUE(is_auth_error("NOAUTH Authentication required."));
    EXPECT_TRUE(is_auth_error("WRONGPASS invalid username-password pair or user is disabled."));
    EXPECT_TRUE(is_tryagain("TRYAGAIN"));
}

TEST(Redirect, LeavesOtherErrorsToTheCaller) {
    EXPECT_EQ(classify_error("ERR unknown command 'FOO'"), ErrorKind::other);
    EXPECT_EQ(classify_error("WRONGTYPE Operation against a key holding the wrong kind of value"), ErrorKind::other);
    EXPECT_EQ(classify_error("ERR LOADING"), ErrorKind::other);
    EXPECT_EQ(classify_error("TRYAGAINX"), ErrorKind::other);
    EXPECT_EQ(classify_error(""), ErrorKind::other);
}

}  // namespace
}  // namespace yooni::redis
