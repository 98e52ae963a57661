// Waiting for a condition that another thread makes true (a counter of the
// transport thread, a subprocess, a peer's datagrams) without sleeping for a
// guessed time: poll it, give up at a deadline. And measuring how long
// something took.
#pragma once

#include <chrono>
#include <thread>

namespace rpcnet::test {

/// Polls `condition` every millisecond until it holds or `limit` passed.
/// Returns its last value, so a caller writes
/// `REQUIRE(eventually([&] { return x > 0; }))` after an INFO saying what
/// did not happen.
template <class Predicate>
bool eventually(Predicate condition,
                std::chrono::milliseconds limit = std::chrono::seconds{5}) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (condition())
      return true;
    if (std::chrono::steady_clock::now() >= deadline)
      return condition();
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  }
}

/// Milliseconds passed since `start`, for timing assertions and reports.
inline double elapsed_ms(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
    .count();
}

} // namespace rpcnet::test
