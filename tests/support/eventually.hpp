// Waits for a condition, polling it: how tests wait (never a fixed sleep).
// The cap only ends a test that is failing; a passing one ends as soon as
// the condition holds, however loaded the machine is.
#pragma once

#include <chrono>
#include <thread>

namespace yooni::test {

template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds cap = std::chrono::seconds(60),
                std::chrono::milliseconds poll = std::chrono::milliseconds(10)) {
    const auto until = std::chrono::steady_clock::now() + cap;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(poll);
    }
    return true;
}

}  // namespace yooni::test
