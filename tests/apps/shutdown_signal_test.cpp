// Tests that SIGTERM sent to the process becomes a shutdown request, taken
// by shutdown_signal's own thread (no work in a signal handler), and that a
// request from the program wakes a waiter the same way.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

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
