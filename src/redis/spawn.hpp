// Detached coroutines that do not die silently: an exception that escapes
// one is logged with what it was doing, then `on_failure` decides (restart
// the loop, fail the link's requests); it runs on the coroutine's executor.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <spdlog/spdlog.h>

#include <exception>
#include <functional>
#include <string>
#include <thread>

namespace yooni::redis::detail {

inline std::string describe_exception(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        return ex.what();
    } catch (...) {
        return "unknown exception";
    }
}

// `context` follows the event name in the log line (" node=host:port").
inline void spawn_logged(const boost::asio::any_io_executor& executor, boost::asio::awaitable<void> work,
                         std::string what, std::function<void()> on_failure, std::string context = {}) {
    boost::asio::co_spawn(executor, std::move(work),
                          [what = std::move(what), context = std::move(context),
                           on_failure = std::move(on_failure)](std::exception_ptr e) {
                              if (!e) return;
                              spdlog::error("{}_failed{} exception={}", what, context, describe_exception(e));
                              if (on_failure) on_failure();
                          });
}

// The thread that runs a client's control io_context. spdlog builds its
// registry on first use, inside a function-local static of a library built
// without ThreadSanitizer: were the first log line written by this thread
// and a worker at once, the guard that orders them is invisible to the
// sanitizer, which then reports the registry's construction as a race. So
// the registry is built here, before the thread exists.
inline std::thread start_control_thread(boost::asio::io_context& control) {
    spdlog::default_logger_raw();
    return std::thread([&control] { control.run(); });
}

}  // namespace yooni::redis::detail
