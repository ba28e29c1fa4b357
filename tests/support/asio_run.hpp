// Runs one coroutine to completion on a test's io_context, with a time cap.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <stdexcept>
#include <thread>

namespace yooni::test {

template <class T>
T run_on(boost::asio::io_context& ioc, boost::asio::awaitable<T> work,
         std::chrono::milliseconds cap = std::chrono::seconds(60)) {
    auto fut = boost::asio::co_spawn(ioc, std::move(work), boost::asio::use_future);
    const auto until = std::chrono::steady_clock::now() + cap;
    ioc.restart();
    while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        if (std::chrono::steady_clock::now() > until) throw std::runtime_error("coroutine did not finish in time");
        // An io_context out of work stops; the coroutine may still be waiting for
        // another thread to post its completion here: run it again, without spinning.
        if (ioc.stopped()) {
            ioc.restart();
            if (ioc.poll() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
            continue;
        }
        ioc.run_for(std::chrono::milliseconds(10));
    }
    return fut.get();
}

}  // namespace yooni::test
