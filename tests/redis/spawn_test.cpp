// Detached coroutines that do not die silently (redis/spawn.hpp): the
// topology refresh, the health loop and a link's loops are started through
// spawn_logged(), so an exception is logged and handed to a restart.
#include "redis/spawn.hpp"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <stdexcept>

namespace yooni::redis::detail {
namespace {

namespace asio = boost::asio;

int runs = 0;

asio::awaitable<void> fails_twice() {
    if (++runs <= 2) throw std::runtime_error("topology answer not understood");
    co_return;
}

void start(asio::io_context& ioc, int* restarts) {
    spawn_logged(ioc.get_executor(), fails_twice(), "test.loop", [&ioc, restarts] {
        ++*restarts;
        start(ioc, restarts);
    });
}

TEST(SpawnLogged, AnExceptionIsHandedToItsRestartUntilTheLoopRunsThrough) {
    asio::io_context ioc;
    runs = 0;
    int restarts = 0;
    start(ioc, &restarts);
    ioc.run();
    EXPECT_EQ(runs, 3);
    EXPECT_EQ(restarts, 2);
}

asio::awaitable<void> ends_well() { co_return; }

TEST(SpawnLogged, ALoopThatEndsWellIsNotRestarted) {
    asio::io_context ioc;
    int failures = 0;
    spawn_logged(ioc.get_executor(), ends_well(), "test.loop", [&failures] { ++failures; });
    ioc.run();
    EXPECT_EQ(failures, 0);
}

TEST(SpawnLogged, SaysWhatWasThrown) {
    EXPECT_EQ(describe_exception(std::make_exception_ptr(std::runtime_error("bad reply"))), "bad reply");
    EXPECT_EQ(describe_exception(std::make_exception_ptr(42)), "unknown exception");
}

}  // namespace
}  // namespace yooni::redis::detail
