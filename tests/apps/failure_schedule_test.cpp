// Tests the simulated failure cycle: warn, fail, recover at the Rust RpcNet's
// times, again each cycle, and the phase at any moment.
#include <catch2/catch.hpp>

#include "failure_schedule.hpp"

using namespace rpcnet::cli;
using namespace std::chrono_literals;

TEST_CASE("the Rust RpcNet's cycle warns at 7 s, fails at 10 s and recovers at 15 s",
          "[failure_schedule]") {
  auto schedule = failure_schedule::make({});
  REQUIRE(schedule);
  auto check = [&](uint64_t n, std::chrono::milliseconds at, failure_transition what,
                   uint64_t cycle) {
    auto t = schedule->transition(n);
    CHECK(t.at == at);
    CHECK(t.what == what);
    CHECK(t.cycle == cycle);
  };
  check(0, 7s, failure_transition::warn, 1);
  check(1, 10s, failure_transition::fail, 1);
  check(2, 15s, failure_transition::recover, 1);
  check(3, 22s, failure_transition::warn, 2);
  check(4, 25s, failure_transition::fail, 2);
  check(5, 30s, failure_transition::recover, 2);
}

TEST_CASE("without a warning a cycle is fail and recover", "[failure_schedule]") {
  auto schedule = failure_schedule::make({1s, 0s, 500ms});
  REQUIRE(schedule);
  CHECK(schedule->transition(0).what == failure_transition::fail);
  CHECK(schedule->transition(0).at == 1s);
  CHECK(schedule->transition(1).what == failure_transition::recover);
  CHECK(schedule->transition(1).at == 1500ms);
  CHECK(schedule->transition(2).at == 2500ms);
}

TEST_CASE("the worker is failed from the failure to the recovery", "[failure_schedule]") {
  auto schedule = failure_schedule::make({});
  REQUIRE(schedule);
  CHECK_FALSE(schedule->failing_at(0ms));
  CHECK_FALSE(schedule->failing_at(9999ms));
  CHECK(schedule->failing_at(10s));
  CHECK(schedule->failing_at(14999ms));
  CHECK_FALSE(schedule->failing_at(15s));
  CHECK(schedule->failing_at(26s));
  CHECK_FALSE(schedule->failing_at(-1ms));
}

TEST_CASE("phases that make no cycle are refused", "[failure_schedule]") {
  CHECK_FALSE(failure_schedule::make({0s, 0s, 1s}));
  CHECK_FALSE(failure_schedule::make({1s, 0s, 0s}));
  CHECK_FALSE(failure_schedule::make({1s, 2s, 1s}));
  CHECK(failure_schedule::make({1s, 1s, 1s}));
}
