// Detached coroutines that do not die silently: an exception that escapes
// one is logged with what it was doing, then `on_failure` decides (restart
// the loop, fail the link's requests); it runs on the coroutine's executor.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>

#include <spdlog/spdlog.h>

#include <exception>
#include <functional>
#include <string>

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

}  // namespace yooni::redis::detail
