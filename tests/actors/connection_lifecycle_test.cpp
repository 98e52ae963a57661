// The rules by which a client dials again (connection_lifecycle, and
// reconnect_policy's backoff): which calls go out, wait or fail in each
// phase, how the backoff grows and spreads, and that nothing dials without
// a call that wants the connection. No I/O: the real client is tested in
// reconnect_test.cpp.
#include <set>
#include <vector>

#include <catch2/catch.hpp>

#include <rpcnet/actors/rpc_config.hpp>
#include <rpcnet/transport/configuration.hpp>
#include <rpcnet/transport/error.hpp>

#include "catch_printers.hpp"
#include "connection_lifecycle.hpp"

using namespace rpcnet;
using namespace std::chrono_literals;

namespace {

using phase = connection_lifecycle::phase;
using verdict = connection_lifecycle::verdict;
using clock_type = connection_lifecycle::clock;

const auto t0 = clock_type::time_point{} + 1h;

caf::error dropped() {
  return make_error(error::connection, "closed by peer");
}

/// A lifecycle whose first dial succeeded and whose connection was lost.
connection_lifecycle lost_connection(reconnect_policy policy = {}) {
  connection_lifecycle link{policy, 7};
  link.on_ready();
  REQUIRE(link.on_closed(dropped(), t0));
  return link;
}

} // namespace

TEST_CASE("a connection dialling holds calls and a ready one sends them", "[reconnect]") {
  connection_lifecycle link{reconnect_policy{}, 1};
  CHECK(link.current() == phase::connecting);
  CHECK(link.admit(t0, false) == verdict::hold);
  link.on_ready();
  CHECK(link.current() == phase::ready);
  CHECK(link.admit(t0, false) == verdict::send);
  CHECK(link.redials() == 0);
}

TEST_CASE("the call after a loss dials again at once", "[reconnect]") {
  auto link = lost_connection();
  CHECK(link.current() == phase::idle);
  CHECK(link.admit(t0, false) == verdict::dial_and_hold);
  CHECK(link.current() == phase::connecting);
  // Calls behind it wait for the same dial rather than starting another.
  CHECK(link.admit(t0, false) == verdict::hold);
  CHECK(link.redials() == 1);
}

TEST_CASE("a failed dial refuses calls until its backoff ends", "[reconnect]") {
  auto policy = reconnect_policy{}.with_backoff(100ms, 10s).with_jitter(0);
  auto link = lost_connection(policy);
  REQUIRE(link.admit(t0, false) == verdict::dial_and_hold);
  CHECK_FALSE(link.on_closed(make_error(error::connection, "handshake timed out"), t0));
  CHECK(link.current() == phase::backing_off);
  CHECK(link.next_dial() == t0 + 100ms);
  CHECK(link.admit(t0 + 50ms, false) == verdict::refuse);
  auto why = link.refusal(t0 + 50ms);
  CHECK(code_of(why) == error::connection);
  CHECK_THAT(message_of(why), Catch::Contains("handshake timed out")
                                && Catch::Contains("next dial is in 50 ms"));
  CHECK_FALSE(link.dial_due(t0 + 99ms));
  CHECK(link.dial_due(t0 + 100ms));
  CHECK(link.admit(t0 + 100ms, false) == verdict::dial_and_hold);
  CHECK(link.redials() == 2);
}

TEST_CASE("wait-for-ready calls wait out a backoff instead of failing", "[reconnect]") {
  auto link = lost_connection();
  REQUIRE(link.admit(t0, false) == verdict::dial_and_hold);
  link.on_closed(dropped(), t0);
  CHECK(link.admit(t0 + 1ms, true) == verdict::hold);
  // Waiting does not dial: only the end of the backoff does.
  CHECK(link.current() == phase::backing_off);
  CHECK(link.redials() == 1);
}

TEST_CASE("failed dials back off exponentially up to the cap", "[reconnect]") {
  auto policy = reconnect_policy{}.with_backoff(100ms, 1s).with_multiplier(2).with_jitter(0);
  connection_lifecycle link{policy, 3};
  auto now = t0;
  std::vector<std::chrono::milliseconds> waits;
  for (int i = 0; i < 6; ++i) {
    link.on_closed(dropped(), now);
    waits.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(link.next_dial() - now));
    now = link.next_dial();
    REQUIRE(link.admit(now, false) == verdict::dial_and_hold);
  }
  CHECK(waits == std::vector<std::chrono::milliseconds>{100ms, 200ms, 400ms, 800ms, 1s, 1s});
  // A dial that succeeds starts the next backoff from the beginning.
  link.on_ready();
  link.on_closed(dropped(), now);
  REQUIRE(link.admit(now, false) == verdict::dial_and_hold);
  link.on_closed(dropped(), now);
  CHECK(link.next_dial() - now == 100ms);
}

TEST_CASE("the backoff's jitter stays inside its spread and varies", "[reconnect]") {
  auto policy = reconnect_policy{}.with_backoff(1000ms, 10s).with_jitter(0.2);
  CHECK(policy.backoff_at(1, 0.0) == 800ms);
  CHECK(policy.backoff_at(1, 0.5) == 1000ms);
  CHECK(policy.backoff_at(1, 1.0) == 1200ms);
  CHECK(policy.backoff_at(40, 1.0) == 12s); // the cap is the mean
  CHECK(policy.backoff_at(1, 7.0) == 1200ms); // out-of-range draws are clamped
  std::set<int64_t> seen;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    connection_lifecycle link{policy, seed};
    link.on_closed(dropped(), t0);
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(link.next_dial() - t0);
    CHECK(wait >= 800ms);
    CHECK(wait <= 1200ms);
    seen.insert(wait.count());
  }
  // Clients that lost one server together do not dial it together.
  CHECK(seen.size() > 10);
}

TEST_CASE("with reconnecting disabled a lost connection stays lost", "[reconnect]") {
  auto link = lost_connection(reconnect_policy::disabled());
  CHECK(link.admit(t0, false) == verdict::refuse);
  CHECK(link.admit(t0, true) == verdict::refuse);
  CHECK(message_of(link.refusal(t0)) == "closed by peer");
  CHECK(link.redials() == 0);
}

TEST_CASE("a closed connection refuses every call for good", "[reconnect]") {
  auto link = lost_connection();
  link.close(make_error(error::connection, "the client closed the connection"));
  CHECK(link.admit(t0, true) == verdict::refuse);
  CHECK(message_of(link.refusal(t0)) == "the client closed the connection");
  // A late word from the transport does not reopen it.
  CHECK_FALSE(link.on_closed(dropped(), t0));
  link.on_ready();
  CHECK(link.current() == phase::closed);
}

TEST_CASE("reconnect policies with impossible settings are refused", "[reconnect]") {
  CHECK_FALSE(reconnect_policy{}.validate());
  auto bad = reconnect_policy{}.with_backoff(0ms, 1s).with_multiplier(0.5).with_jitter(2);
  auto problems = config_errors::problems_of(bad.validate());
  CHECK(problems.size() == 3);
  auto inverted = reconnect_policy{}.with_backoff(2s, 1s);
  CHECK(inverted.validate());
  auto cfg = rpc_config{"c.pem", "127.0.0.1:0"}.with_reconnect(inverted);
  CHECK_THAT(message_of(cfg.validate()), Catch::Contains("reconnect.max_backoff"));
}
