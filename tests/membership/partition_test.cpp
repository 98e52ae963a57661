// Tests, with the simulator, a network partition of 100 members into two
// halves: each side declares the other failed while keeping its own side
// alive, and after healing every member is alive again in every view, each
// with a higher incarnation than before (it had to refute its death).
#include <catch2/catch.hpp>

#include <chrono>
#include <iostream>

#include "simulation_support.hpp"

using namespace std::chrono_literals;
using rpcnet::member_state;
using rpcnet::swim_simulator;
using rpcnet::test::cluster_of;
using rpcnet::to_seconds;

namespace {

/// True if every node sees every node of its own side alive and, when
/// `split`, every node of the other side dead; otherwise everyone alive.
bool views_are(const swim_simulator& sim, size_t half, bool split) {
  for (size_t i = 0; i < sim.size(); ++i)
    for (size_t j = 0; j < sim.size(); ++j) {
      if (i == j)
        continue;
      auto* m = sim.core(i).find(sim.id(j));
      auto expected = split && (i < half) != (j < half) ? member_state::dead
                                                        : member_state::alive;
      if (!m || m->state != expected)
        return false;
    }
  return true;
}

} // namespace

TEST_CASE("in a 50/50 partition each side declares the other failed, and after healing all "
          "are alive again with higher incarnations",
          "[simulation]") {
  auto opts = cluster_of(100, 8);
  swim_simulator sim{opts};
  sim.run_for(10s);
  std::vector<uint32_t> before;
  std::vector<size_t> left, right;
  for (size_t i = 0; i < 100; ++i) {
    before.push_back(sim.core(i).self().incarnation);
    (i < 50 ? left : right).push_back(i);
  }
  sim.network().partition({left, right});
  // Every member across the cut is suspected at its first failed probe,
  // and a suspicion lasts at most suspicion timeout * 6 = 30 s; the first
  // probes of all 50 members across take up to another 30 s (local health
  // slows probing while half the relays are unreachable).
  auto split_bound = 60s;
  auto start = sim.now();
  auto split = sim.run_until([&] { return views_are(sim, 50, true); }, split_bound, 100ms);
  std::cout << "partition seen by every member after " << to_seconds(sim.now() - start)
            << " s (bound " << to_seconds(split_bound) << " s)\n";
  REQUIRE(split);
  sim.run_for(30s);
  CHECK(views_are(sim, 50, true));

  sim.network().heal();
  // Every member tries a push-pull with a dead member once per push-pull
  // period (20 intervals at 50 live members): the first contact across
  // comes within a period, and the refutations it sets off spread in
  // seconds; a second period covers members the first round missed.
  auto heal_bound = 40s;
  start = sim.now();
  auto healed = sim.run_until([&] { return views_are(sim, 50, false); }, heal_bound, 100ms);
  std::cout << "partition healed in every view after " << to_seconds(sim.now() - start)
            << " s (bound " << to_seconds(heal_bound) << " s)\n";
  CHECK(healed);
  for (size_t i = 0; i < 100; ++i)
    CHECK(sim.core(i).self().incarnation > before[i]);
}
