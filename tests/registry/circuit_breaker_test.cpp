// Tests the circuit breaker's states: closed until enough consecutive
// failures, open for its duration, then half-open for a limited number of
// probes whose successes close it and whose failure opens it again.
#include <catch2/catch.hpp>

#include <rpcnet/cluster/circuit_breaker.hpp>

using namespace std::chrono_literals;
using rpcnet::circuit_breaker;
using rpcnet::time_point;
using state = rpcnet::circuit_breaker::state;

namespace {

const time_point t0 = time_point{} + 1h;

circuit_breaker breaker(uint32_t threshold = 3, uint32_t probes = 1) {
  circuit_breaker::settings cfg;
  cfg.failure_threshold = threshold;
  cfg.open_duration = 10s;
  cfg.half_open_probes = probes;
  return circuit_breaker{cfg};
}

/// Opens `b` at `at` by failing calls up to its threshold.
void fail_until_open(circuit_breaker& b, time_point at) {
  for (uint32_t i = 0; i < b.config().failure_threshold; ++i) {
    REQUIRE(b.allow(at));
    b.record_failure(at);
  }
  REQUIRE(b.current(at) == state::open);
}

} // namespace

TEST_CASE("a circuit opens after the threshold of consecutive failures", "[circuit_breaker]") {
  auto b = breaker(3);
  CHECK(b.current(t0) == state::closed);
  b.record_failure(t0);
  b.record_failure(t0);
  CHECK(b.current(t0) == state::closed);
  CHECK(b.consecutive_failures() == 2);
  CHECK(b.allow(t0));
  b.record_failure(t0);
  CHECK(b.current(t0) == state::open);
  CHECK_FALSE(b.allow(t0 + 1s));
}

TEST_CASE("a success clears the count of consecutive failures", "[circuit_breaker]") {
  auto b = breaker(3);
  b.record_failure(t0);
  b.record_failure(t0);
  b.record_success(t0);
  CHECK(b.consecutive_failures() == 0);
  b.record_failure(t0);
  b.record_failure(t0);
  CHECK(b.current(t0) == state::closed);
}

TEST_CASE("an open circuit refuses calls for its duration, then lets one probe through",
          "[circuit_breaker]") {
  auto b = breaker(2);
  fail_until_open(b, t0);
  CHECK_FALSE(b.allow(t0 + 9s));
  CHECK(b.current(t0 + 10s) == state::half_open);
  CHECK(b.allow(t0 + 10s));
  CHECK_FALSE(b.allow(t0 + 10s)); // one probe at a time
  b.record_success(t0 + 11s);
  CHECK(b.current(t0 + 11s) == state::closed);
  CHECK(b.allow(t0 + 11s));
  CHECK(b.allow(t0 + 11s));
}

TEST_CASE("a failed probe opens the circuit again for a full duration", "[circuit_breaker]") {
  auto b = breaker(2);
  fail_until_open(b, t0);
  REQUIRE(b.allow(t0 + 10s));
  b.record_failure(t0 + 12s);
  CHECK(b.current(t0 + 12s) == state::open);
  CHECK_FALSE(b.allow(t0 + 21s));
  CHECK(b.allow(t0 + 22s));
}

TEST_CASE("with several probes, all must succeed to close the circuit", "[circuit_breaker]") {
  auto b = breaker(1, 3);
  fail_until_open(b, t0);
  auto later = t0 + 10s;
  CHECK(b.allow(later));
  CHECK(b.allow(later));
  CHECK(b.allow(later));
  CHECK_FALSE(b.allow(later));
  b.record_success(later);
  b.record_success(later);
  CHECK(b.current(later) == state::half_open);
  CHECK_FALSE(b.allow(later)); // the third probe is still out
  b.record_success(later);
  CHECK(b.current(later) == state::closed);
}

TEST_CASE("a probe ending without a verdict frees its place", "[circuit_breaker]") {
  auto b = breaker(1);
  fail_until_open(b, t0);
  REQUIRE(b.allow(t0 + 10s));
  CHECK_FALSE(b.allow(t0 + 10s));
  b.record_neutral(t0 + 10s);
  CHECK(b.current(t0 + 10s) == state::half_open);
  CHECK(b.allow(t0 + 10s));
}

TEST_CASE("late answers while open change nothing", "[circuit_breaker]") {
  auto b = breaker(1);
  fail_until_open(b, t0);
  b.record_success(t0 + 1s);
  b.record_failure(t0 + 2s);
  CHECK(b.current(t0 + 9s) == state::open);
  CHECK(b.current(t0 + 10s) == state::half_open);
  CHECK(rpcnet::to_string_view(state::half_open) == "half_open");
}
