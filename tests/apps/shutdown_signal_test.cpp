// Tests that SIGTERM sent to the process becomes a shutdown request, taken
// by shutdown_signal's own thread (no work in a signal handler), and that a
// request from the program wakes a waiter the same way; SIGHUP asks for a
// reload instead.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>

#include "shutdown_signal.hpp"

using namespace rpcnet::cli;
using namespace std::chrono_literals;

TEST_CASE("SIGTERM to the process is a shutdown request", "[shutdown_signal]") {
  shutdown_signal shutdown;
  CHECK_FALSE(shutdown.wait_for(10ms));
  ::kill(getpid(), SIGTERM);
  CHECK(shutdown.wait_for(10s));
  CHECK(shutdown.requested());
}

TEST_CASE("request() wakes a waiter and the destructor ends the signal thread",
          "[shutdown_signal]") {
  shutdown_signal shutdown;
  CHECK_FALSE(shutdown.requested());
  shutdown.request();
  CHECK(shutdown.wait_for(0ms));
  shutdown.wait();
}

TEST_CASE("SIGHUP calls the reload handler and does not shut down", "[shutdown_signal]") {
  shutdown_signal shutdown;
  std::mutex mtx;
  std::condition_variable cv;
  int reloads = 0;
  shutdown.on_reload([&] {
    std::lock_guard<std::mutex> guard{mtx};
    ++reloads;
    cv.notify_all();
  });
  for (int expected = 1; expected <= 2; ++expected) {
    ::kill(getpid(), SIGHUP);
    std::unique_lock<std::mutex> lock{mtx};
    REQUIRE(cv.wait_for(lock, 10s, [&] { return reloads == expected; }));
  }
  CHECK_FALSE(shutdown.requested());
  // Without a handler SIGHUP is still taken by the thread, not the default
  // action (which would end the test process).
  shutdown.on_reload({});
  ::kill(getpid(), SIGHUP);
  ::kill(getpid(), SIGTERM);
  CHECK(shutdown.wait_for(10s));
  CHECK(reloads == 2);
}
