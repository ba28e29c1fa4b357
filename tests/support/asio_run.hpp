// Runs one coroutine to completion on a test's io_context, with a time cap.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <stdexcept>

namespace yooni::test {

template <class T>
T run_on(boost::asio::io_context& ioc, boost::asio::awaitable<T> work,
         std::chrono::milliseconds cap = std::chrono::seconds(60)) {
    auto fut = boost::asio::co_spawn(ioc, std::move(work), boost::asio::use_future);
    const auto until = std::chrono::steady_clock::now() + cap;
    ioc.restart();
    while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        if (std::chrono::steady_clock::now() > until) throw std::runtime_error("coroutine did not finish in time");
        ioc.run_for(std::chrono::milliseconds(10));
    }
    return fut.get();
}

}  // namespace yooni::test
