// Tests, with the simulator, a network partition of 100 members into two
// halves: each side declares the other failed while keeping its own side
// alive, and after healing every member is alive again in every view, each
// with a higher incarnation than before (it had to refute its death). Every
// member publishes PartitionDetected naming the other side, and
// PartitionHealed once it is back. The partition rule itself is unit-tested
// at the end.
#include <catch2/catch.hpp>

#include <chrono>
#include <iostream>

#include "partition_detector.hpp"

#include "simulation_support.hpp"

using namespace std::chrono_literals;
using rpcnet::member_state;
using rpcnet::membership_event;
using rpcnet::node_id;
using rpcnet::partition_detector;
using rpcnet::time_point;
using rpcnet::swim_simulator;
using rpcnet::test::cluster_of;
using rpcnet::test::simulate;
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
  auto sim = simulate(opts);
  // Partition events per member: how many, and the sizes of the last one.
  struct seen {
    size_t detected = 0;
    size_t healed = 0;
    size_t unreachable = 0;
    size_t reachable = 0;
  };
  std::vector<seen> partitions(100);
  sim.on_event([&](size_t node, const membership_event& ev, time_point) {
    if (ev.what == membership_event::kind::partition_detected) {
      ++partitions[node].detected;
      partitions[node].unreachable = ev.unreachable.size();
      partitions[node].reachable = ev.reachable.size();
    } else if (ev.what == membership_event::kind::partition_healed) {
      ++partitions[node].healed;
    }
  });
  sim.run_for(10s);
  std::vector<uint64_t> before;
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
  size_t detected_everywhere = 0;
  for (const auto& p : partitions)
    if (p.detected == 1 && p.unreachable >= 25 && p.unreachable <= 50 && p.reachable <= 49)
      ++detected_everywhere;
  std::cout << "PartitionDetected at " << detected_everywhere << " of 100 members\n";
  CHECK(detected_everywhere == 100);

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
  size_t healed_everywhere = 0;
  for (const auto& p : partitions)
    healed_everywhere += p.healed == 1 ? 1 : 0;
  std::cout << "PartitionHealed at " << healed_everywhere << " of 100 members\n";
  CHECK(healed_everywhere == 100);
}

// -- the partition rule on its own ------------------------------------------------

namespace {

membership_event event_about(membership_event::kind what, uint64_t n) {
  membership_event ev;
  ev.what = what;
  ev.subject.id = node_id{0, n};
  return ev;
}

} // namespace

TEST_CASE("one crash in a cluster of ten is not a partition", "[partition]") {
  partition_detector detector{{60s, 2}};
  time_point t{};
  CHECK_FALSE(detector.observe(event_about(membership_event::kind::failed, 1), 8, t));
  CHECK_FALSE(detector.partitioned());
}

TEST_CASE("half of the members failing within the window is a partition, and their "
          "return heals it",
          "[partition]") {
  partition_detector detector{{60s, 2}};
  time_point t{};
  using kind = membership_event::kind;
  // Ten others: five fail over 50 s, the other five stay.
  std::optional<membership_event> detected;
  for (uint64_t n = 1; n <= 5; ++n) {
    auto out = detector.observe(event_about(kind::failed, n), 10 - n, t + n * 10s);
    if (n < 5)
      CHECK_FALSE(out);
    else
      detected = out;
  }
  REQUIRE(detected);
  CHECK(detected->what == kind::partition_detected);
  CHECK(detected->unreachable.size() == 5);
  CHECK(detector.partitioned());
  // Two back: not yet; the third is at least half.
  CHECK_FALSE(detector.observe(event_about(kind::joined, 1), 6, t + 90s));
  CHECK_FALSE(detector.observe(event_about(kind::joined, 2), 7, t + 91s));
  auto healed = detector.observe(event_about(kind::joined, 3), 8, t + 92s);
  REQUIRE(healed);
  CHECK(healed->what == kind::partition_healed);
  CHECK(healed->unreachable.size() == 3);
  CHECK_FALSE(detector.partitioned());
}

TEST_CASE("failures spread wider than the window are crashes, not a partition",
          "[partition]") {
  partition_detector detector{{60s, 2}};
  time_point t{};
  for (uint64_t n = 1; n <= 5; ++n)
    CHECK_FALSE(detector.observe(event_about(membership_event::kind::failed, n), 10 - n,
                                 t + n * 61s));
}

TEST_CASE("members that leave are neither unreachable nor awaited", "[partition]") {
  partition_detector detector{{60s, 2}};
  time_point t{};
  using kind = membership_event::kind;
  CHECK_FALSE(detector.observe(event_about(kind::failed, 1), 2, t));
  REQUIRE(detector.observe(event_about(kind::failed, 2), 1, t + 1s));
  CHECK_FALSE(detector.observe(event_about(kind::left, 1), 1, t + 2s));
  CHECK_FALSE(detector.observe(event_about(kind::left, 2), 1, t + 3s));
  // Nobody left to come back: the partition is over without a healing.
  CHECK_FALSE(detector.partitioned());
}
