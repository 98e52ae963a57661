// Tests, with the simulator, how fast news spreads and what gossip costs:
// a join reaches all of 1,000 members, a graceful leave all of 100, a
// cluster that starts by joining through one seed converges, and a quiet
// cluster of 100 stays within the byte budget. Each test prints what it
// measured next to the bound it asserts.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <iostream>

#include "simulation_support.hpp"

using namespace std::chrono_literals;
using rpcnet::member_state;
using rpcnet::swim_simulator;
using rpcnet::test::cluster_of;
using rpcnet::test::simulate;
using rpcnet::to_seconds;
using rpcnet::test::event_recorder;
using rpcnet::test::rate_of;
using rpcnet::test::wall_seconds;
using kind = rpcnet::membership_event::kind;

TEST_CASE("a join is known to all 1,000 members within log2(N) + 2 gossip intervals",
          "[simulation]") {
  auto wall = std::chrono::steady_clock::now();
  auto opts = cluster_of(1000, 1);
  auto sim = simulate(opts);
  event_recorder events{sim};
  sim.run_for(5s);
  auto joiner = sim.add_node();
  auto interval = opts.config.gossip_interval;
  auto bound = std::log2(1000.0) + 2;
  auto start = sim.now();
  sim.join(joiner, {0});
  auto known = sim.run_until(
    [&] { return events.observers(kind::joined, sim.id(joiner)) == 1000; },
    rpcnet::from_seconds(bound * to_seconds(interval)), 1ms);
  auto intervals = to_seconds(sim.now() - start) / to_seconds(interval);
  std::cout << "join known to all 1000 members after " << intervals
            << " gossip intervals (bound " << bound << "); wall " << wall_seconds(wall)
            << " s\n";
  CHECK(known);
  // The seed's reply told the joiner about everyone at once.
  CHECK(sim.core(joiner).live_members() == 1000);
  // Every datagram the cores produced went on the wire and came off it.
  CHECK(sim.codec_failures() == 0);
}

TEST_CASE("a graceful leave is known to all 100 members within 1 s", "[simulation]") {
  auto opts = cluster_of(101, 2);
  auto sim = simulate(opts);
  event_recorder events{sim};
  sim.run_for(20s);
  auto start = sim.now();
  sim.leave(100);
  auto known = sim.run_until(
    [&] { return events.observers(kind::left, sim.id(100)) == 100; }, 1s, 1ms);
  std::cout << "leave known to all 100 members after " << to_seconds(sim.now() - start)
            << " s (bound 1 s)\n";
  CHECK(known);
  CHECK(events.total(kind::failed) == 0);
}

TEST_CASE("100 nodes joining through one seed at once converge", "[simulation]") {
  auto opts = cluster_of(100, 3);
  opts.converged = false;
  auto sim = simulate(opts);
  event_recorder events{sim};
  // Everyone knows everyone once each has seen 99 joins.
  auto all_known = [&] {
    for (size_t i = 0; i < sim.size(); ++i)
      if (sim.core(i).live_members() != 99)
        return false;
    return true;
  };
  auto bound = 10s;
  auto converged = sim.run_until(all_known, bound, 10ms);
  std::cout << "100 simultaneous joins through one seed converged after "
            << to_seconds(sim.now() - (rpcnet::time_point{} + 1h)) << " s (bound "
            << to_seconds(bound) << " s)\n";
  CHECK(converged);
  CHECK(events.total(kind::failed) == 0);
}

TEST_CASE("a quiet cluster of 100 gossips at most 330 bytes per member per second",
          "[simulation]") {
  auto measure = [](bool scale_push_pull) {
    auto opts = cluster_of(100, 4);
    opts.config.scale_push_pull = scale_push_pull;
    auto sim = simulate(opts);
    sim.run_for(60s);
    sim.reset_traffic();
    sim.run_for(10min);
    return rate_of(sim, 100, 10min);
  };
  auto scaled = measure(true);
  auto every_10 = measure(false);
  std::cout << "steady state at N=100: " << scaled.bytes_per_member_per_s
            << " bytes and " << scaled.msgs_per_member_per_s
            << " datagrams per member per second (push-pull every 30 intervals, scaled "
               "for 100 members; "
            << every_10.bytes_per_member_per_s << " bytes with push-pull every 10)\n";
  CHECK(scaled.bytes_per_member_per_s <= 330);
  CHECK(scaled.bytes_per_member_per_s < every_10.bytes_per_member_per_s);
}
