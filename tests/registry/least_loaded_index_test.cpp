// Tests the min-tree behind least connections over many candidates: it
// chooses exactly what a scan of every count would, through updates, ties
// and sizes that are not powers of two; and the registry uses it, catching
// up on load changes or rereading every count when it fell too far behind.
#include <catch2/catch.hpp>

#include <numeric>
#include <vector>

#include "registry_fixture.hpp"

#include "least_connections.hpp"
#include "least_loaded_index.hpp"
#include "selection_rng.hpp"

using namespace registry_test;
using rpcnet::load_balancing_strategy;

TEST_CASE("the least-loaded index chooses what a scan of every count chooses",
          "[least_loaded_index]") {
  auto n = GENERATE(1, 2, 3, 33, 100, 1'000);
  rpcnet::selection_rng rng{static_cast<uint64_t>(n)};
  // Candidates are slots in a shuffled order over a larger pool.
  std::vector<uint32_t> in_flight(static_cast<size_t>(n) + 7, 0);
  std::vector<uint32_t> candidates(static_cast<size_t>(n));
  std::iota(candidates.begin(), candidates.end(), 3u);
  std::shuffle(candidates.begin(), candidates.end(), rng);
  for (auto c : candidates)
    in_flight[c] = rng.below(4);
  rpcnet::least_loaded_index index;
  index.assign(candidates, in_flight);
  rpcnet::least_connections scan;
  for (int step = 0; step < 5'000; ++step) {
    auto expected = scan.select(candidates, in_flight);
    auto chosen = candidates[index.select()];
    REQUIRE(chosen == expected);
    // The call starts on the chosen one; some other call ends or starts.
    ++in_flight[chosen];
    index.update(static_cast<size_t>(std::find(candidates.begin(), candidates.end(), chosen)
                                     - candidates.begin()),
                 in_flight[chosen]);
    auto p = rng.below(static_cast<uint32_t>(n));
    auto other = candidates[p];
    in_flight[other] = in_flight[other] > 0 && rng.below(3) != 0 ? in_flight[other] - 1
                                                                  : in_flight[other] + 1;
    index.update(p, in_flight[other]);
  }
}

TEST_CASE("least connections over many workers shares ties in turn and avoids the loaded",
          "[least_loaded_index][least_connections]") {
  auto registry = registry_with(200);
  std::map<rpcnet::node_id, int> counts;
  for (int i = 0; i < 2'000; ++i)
    ++counts[selected(registry, load_balancing_strategy::least_connections)];
  REQUIRE(counts.size() == 200);
  for (const auto& [id, n] : counts)
    CHECK(n == 10);
  // Everyone busy but worker 77.
  for (uint64_t w = 1; w <= 200; ++w)
    if (w != 77)
      registry.begin_call(id_of(w));
  CHECK(selected(registry, load_balancing_strategy::least_connections) == id_of(77));
  registry.begin_call(id_of(77));
  registry.begin_call(id_of(77));
  registry.end_call(id_of(150));
  CHECK(selected(registry, load_balancing_strategy::least_connections) == id_of(150));
}

TEST_CASE("least connections rereads every count after more changes than the journal holds",
          "[least_loaded_index][least_connections]") {
  auto registry = registry_with(100);
  CHECK(selected(registry, load_balancing_strategy::least_connections) == id_of(1));
  // 5,000 calls start on every worker but 42, between two selections.
  for (int round = 0; round < 50; ++round)
    for (uint64_t w = 1; w <= 100; ++w)
      if (w != 42)
        registry.begin_call(id_of(w));
  CHECK(selected(registry, load_balancing_strategy::least_connections) == id_of(42));
}

TEST_CASE("least connections over many workers follows workers leaving and joining",
          "[least_loaded_index][least_connections]") {
  auto registry = registry_with(64);
  for (uint64_t w = 1; w <= 64; ++w)
    registry.begin_call(id_of(w));
  registry.end_call(id_of(5));
  CHECK(selected(registry, load_balancing_strategy::least_connections) == id_of(5));
  registry.apply(became(worker_member(5), rpcnet::member_state::dead));
  registry.end_call(id_of(64)); // worker 64 moves into 5's slot
  CHECK(selected(registry, load_balancing_strategy::least_connections) == id_of(64));
  registry.apply(joined(worker_member(99)));
  CHECK(selected(registry, load_balancing_strategy::least_connections) == id_of(99));
}

TEST_CASE("locality over many workers takes turns in the caller's zone and avoids its loaded",
          "[least_loaded_index][locality]") {
  rpcnet::worker_registry registry;
  auto zone_of = [](uint64_t w) { return "zone-" + std::to_string(w % 3); };
  for (uint64_t w = 1; w <= 300; ++w)
    registry.apply(joined(worker_member(w, {{"zone", zone_of(w)}})));
  rpcnet::selection_context in_zone_1;
  in_zone_1.zone = "zone-1";
  std::map<rpcnet::node_id, int> counts;
  for (int i = 0; i < 1'000; ++i)
    ++counts[selected(registry, load_balancing_strategy::locality, in_zone_1)];
  REQUIRE(counts.size() == 100);
  for (const auto& [id, n] : counts) {
    CHECK(zone_of(id.lo) == "zone-1");
    CHECK(n == 10);
  }
  // Every zone-1 worker busy but 151: it is chosen over idle remote ones.
  for (uint64_t w = 1; w <= 300; ++w)
    if (w % 3 == 1 && w != 151)
      registry.begin_call(id_of(w));
  CHECK(selected(registry, load_balancing_strategy::locality, in_zone_1) == id_of(151));
  // zone-1 leaves: its callers go to the least loaded anywhere.
  for (uint64_t w = 1; w <= 300; ++w)
    if (w % 3 == 1)
      registry.apply(became(worker_member(w, {{"zone", zone_of(w)}}), rpcnet::member_state::left));
  registry.begin_call(id_of(2));
  auto chosen = selected(registry, load_balancing_strategy::locality, in_zone_1);
  CHECK(chosen != id_of(2));
  CHECK(zone_of(chosen.lo) != "zone-1");
}
