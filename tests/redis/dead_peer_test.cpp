// A Redis node that goes silent without closing the link: its host gone, or
// the network between dropping every packet. Nothing answers, nothing resets
// the connection; without help TCP keeps retransmitting for about 15 minutes.
//
// Each test runs itself again in a network namespace of its own (`unshare -n`,
// which needs root or CAP_SYS_ADMIN; the test is skipped without it) and takes
// the namespace's loopback down there: packets on it are then dropped, exactly
// as on a dead path, while the machine's own network is untouched.
#include <yooni/redis/client.hpp>
#include <yooni/redis/connection.hpp>

#include "support/asio_run.hpp"
#include "support/process.hpp"
#include "support/redis_server.hpp"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <thread>

namespace yooni::redis {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kInsideVariable = "YOONI_TEST_IN_OWN_NETNS";

void loopback(const char* state) {
    const auto r = test::run_command({"ip", "link", "set", "lo", state});
    ASSERT_EQ(r.exit_code, 0) << "ip link set lo " << state << ": " << r.err;
}

// The project's own command encoder (its slot is not needed here).
std::string cmd(std::initializer_list<std::string_view> args) { return make_command(args).payload; }

ConnectionOptions silent_after(std::uint16_t port, std::chrono::milliseconds timeout) {
    ConnectionOptions o;
    o.host = "127.0.0.1";
    o.port = port;
    o.dead_peer_timeout = timeout;
    return o;
}

// In the parent process, SetUp() runs this very test again in a new network
// namespace and takes over its outcome; the body then returns at once
// (outside()). In the child, the namespace's loopback is brought up first.
class DeadPeer : public ::testing::Test {
protected:
    void SetUp() override {
        if (std::getenv(kInsideVariable) != nullptr) {
            loopback("up");
            return;
        }
        outside_ = true;
        if (test::run_command({"unshare", "-n", "true"}).exit_code != 0)
            GTEST_SKIP() << "unshare -n is not permitted here (needs root or CAP_SYS_ADMIN)";
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        const std::string filter = std::string{"--gtest_filter="} + info->test_suite_name() + "." + info->name();
        const auto self = std::filesystem::read_symlink("/proc/self/exe").string();
        const auto r = test::run_command({"env", std::string{kInsideVariable} + "=1", "unshare", "-n", self, filter},
                                         {}, 120s);
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        EXPECT_NE(r.out.find("[  PASSED  ] 1 test"), std::string::npos) << r.out << r.err;
    }
    bool outside() const { return outside_; }

    // A Redis server and a link to it with the given dead-peer timeout, the
    // link opened by a first SET k=v.
    std::shared_ptr<Connection> link(std::chrono::milliseconds timeout) {
        server_.emplace();
        auto c = Connection::create(ioc_.get_executor(), silent_after(server_->port(), timeout));
        auto set = test::run_on(ioc_, c->execute_one(cmd({"SET", "k", "v"}), Clock::now() + 2s));
        EXPECT_TRUE(set && c->connected());
        return c;
    }

    asio::io_context ioc_;

private:
    bool outside_ = false;
    std::optional<test::RedisServer> server_;
};

// A command sent to a node that has gone silent fails as a lost link once
// its bytes stayed unacknowledged for the timeout, well before the caller's
// deadline; once the path is back, the next call reconnects and succeeds.
TEST_F(DeadPeer, ACallToASilentNodeFailsAsALostLinkAfterTheTimeoutNotAtItsDeadline) {
    if (outside()) return;
    auto c = link(1000ms);
    auto& ioc = ioc_;

    loopback("down");
    const auto sent = Clock::now();
    // The deadline is well beyond the 1 s timeout and the kernel's next
    // retransmission check (kernel timers, which a busy CPU hardly delays): a
    // call that ends as a lost link (closed), not as a timeout, was ended by the
    // dead-peer timeout. How long it took is recorded, not judged.
    auto lost = test::run_on(ioc, c->execute_one(cmd({"GET", "k"}), sent + 8s));
    const auto took = Clock::now() - sent;
    ASSERT_FALSE(lost);
    EXPECT_EQ(lost.error(), make_error_code(errc::closed)) << lost.error().message();
    RecordProperty("failed_after_ms", static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
    EXPECT_FALSE(c->connected());

    loopback("up");
    result<OwnedReply> back = make_error_code(errc::closed);
    for (auto until = Clock::now() + 30s; !back && Clock::now() < until; std::this_thread::sleep_for(50ms))
        back = test::run_on(ioc, c->execute_one(cmd({"GET", "k"}), Clock::now() + 5s));
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ((*back)->as_string(), "v");
    EXPECT_EQ(c->stats().connects, 2u);
    c->close();
}

// The control: without the timeout the same call waits out its deadline on
// the silent link (what every client without TCP_USER_TIMEOUT does).
TEST_F(DeadPeer, WithoutTheTimeoutTheCallWaitsForItsDeadline) {
    if (outside()) return;
    auto c = link(0ms);
    auto& ioc = ioc_;
    loopback("down");
    auto lost = test::run_on(ioc, c->execute_one(cmd({"GET", "k"}), Clock::now() + 3s));
    ASSERT_FALSE(lost);
    EXPECT_EQ(lost.error(), make_error_code(errc::timeout));
    EXPECT_TRUE(c->connected());  // still holding the silent link
    loopback("up");
    c->close();
}

// An idle link to a node that went silent is found dead by keepalive probes
// and dropped, so the next call opens a fresh one instead of queuing on it.
TEST_F(DeadPeer, AnIdleLinkToASilentNodeIsDroppedByKeepaliveProbes) {
    if (outside()) return;
    auto c = link(1000ms);
    auto& ioc = ioc_;
    loopback("down");
    const auto from = Clock::now();
    // 1 s idle, then probes 1 s apart; TCP_USER_TIMEOUT (1 s) ends it at the
    // first probe left unanswered that long. Without them an idle link is never
    // found dead: the 60 s cap only ends a failing wait.
    while (c->connected() && Clock::now() - from < 60s) {
        ioc.restart();
        ioc.run_for(100ms);
    }
    const auto took = Clock::now() - from;
    EXPECT_FALSE(c->connected());
    RecordProperty("dropped_after_ms", static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
    loopback("up");
    c->close();
}

}  // namespace
}  // namespace yooni::redis
