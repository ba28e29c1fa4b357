// One outcome that any number of coroutines, on any worker thread, wait for:
// the single flight under Cache::get_or_compute (one computation per key) and
// under the near cache's misses (one fetch per key). The first finish() wins;
// each waiter is resumed on its own executor with a copy of the outcome, or
// with `on_timeout` when its own deadline passes first.
#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace yooni::redis {

template <class T>
class SharedOutcome : public std::enable_shared_from_this<SharedOutcome<T>> {
public:
    // Hands `value` to every waiter (and to later ones). Only the first call counts.
    void finish(T value) {
        std::vector<Waiter> ready;
        {
            std::lock_guard lock{mutex_};
            if (outcome_) return;
            outcome_.emplace(value);
            ready.swap(waiters_);
        }
        for (auto& w : ready)
            boost::asio::post(w.executor, [h = std::move(w.handler), t = std::move(w.timer), value]() mutable {
                t->cancel();
                std::move(h)(std::move(value));
            });
    }

    bool done() const {
        std::lock_guard lock{mutex_};
        return outcome_.has_value();
    }

    // The outcome, on the caller's executor; `on_timeout` when `deadline`
    // passes before it.
    boost::asio::awaitable<T> wait(std::chrono::steady_clock::time_point deadline, T on_timeout) {
        auto initiate = [self = this->shared_from_this(), deadline, on_timeout](auto handler) mutable {
            auto ex = boost::asio::get_associated_executor(handler);
            std::unique_lock lock{self->mutex_};
            if (self->outcome_) {
                T value = *self->outcome_;
                lock.unlock();
                boost::asio::post(ex, [h = std::move(handler), value = std::move(value)]() mutable {
                    std::move(h)(std::move(value));
                });
                return;
            }
            const auto id = ++self->next_waiter_;
            auto timer = std::make_shared<boost::asio::steady_timer>(ex, deadline);
            self->waiters_.push_back(Waiter{id, ex, std::move(handler), timer});
            lock.unlock();
            timer->async_wait([self, id, on_timeout = std::move(on_timeout)](boost::system::error_code ec) mutable {
                if (!ec) self->expire(id, std::move(on_timeout));
            });
        };
        co_return co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>, void(T)>(
            initiate, boost::asio::use_awaitable);
    }

private:
    struct Waiter {
        std::uint64_t id;
        boost::asio::any_io_executor executor;  // the waiter's own worker
        boost::asio::any_completion_handler<void(T)> handler;
        std::shared_ptr<boost::asio::steady_timer> timer;  // used on `executor` only
    };

    // A waiter's deadline passed: it leaves with `value` (unless the outcome
    // has reached it already).
    void expire(std::uint64_t id, T value) {
        std::optional<boost::asio::any_completion_handler<void(T)>> handler;
        {
            std::lock_guard lock{mutex_};
            auto it = std::find_if(waiters_.begin(), waiters_.end(), [id](const Waiter& w) { return w.id == id; });
            if (it == waiters_.end()) return;
            handler.emplace(std::move(it->handler));
            waiters_.erase(it);
        }
        std::move (*handler)(std::move(value));
    }

    mutable std::mutex mutex_;
    std::optional<T> outcome_;
    std::vector<Waiter> waiters_;
    std::uint64_t next_waiter_ = 0;
};

}  // namespace yooni::redis
