// Tests the load-balancing strategies through the worker registry: round
// robin is exactly even, random is uniform within statistical bounds, least
// connections and power of two choices send less work to a slow worker,
// weighted follows capacity, consistent hashing keeps keys in place, and
// locality prefers the caller's zone.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>

#include "registry_fixture.hpp"

#include "weighted_choice.hpp"
#include "worker_registry.hpp"

using namespace registry_test;
using rpcnet::load_balancing_strategy;
using rpcnet::node_id;
using rpcnet::selection_context;
using rpcnet::worker_registry;

namespace {

using counts = std::map<node_id, int>;

counts count_selections(worker_registry& registry, load_balancing_strategy strategy, int n) {
  counts result;
  for (int i = 0; i < n; ++i)
    ++result[selected(registry, strategy)];
  return result;
}

/// A discrete-event run: three workers, worker 1 ten times slower than the
/// others; three calls arrive per tick, each on the worker the strategy
/// picks and counted in flight until it ends. Returns the slow worker's
/// share of the calls (round robin would give it a third).
double slow_worker_share(load_balancing_strategy strategy) {
  auto registry = registry_with(3);
  std::multimap<int, node_id> ends;
  int calls = 0;
  int slow_calls = 0;
  for (int tick = 0; tick < 10'000; ++tick) {
    while (!ends.empty() && ends.begin()->first <= tick) {
      registry.end_call(ends.begin()->second);
      ends.erase(ends.begin());
    }
    for (int arrival = 0; arrival < 3; ++arrival) {
      auto id = selected(registry, strategy);
      registry.begin_call(id);
      ++calls;
      bool slow = id == id_of(1);
      slow_calls += slow ? 1 : 0;
      ends.emplace(tick + (slow ? 20 : 2), id);
    }
  }
  return static_cast<double>(slow_calls) / calls;
}

std::string key(int i) {
  return "session-" + std::to_string(i);
}

std::map<std::string, node_id> owners_of_keys(worker_registry& registry, int keys) {
  std::map<std::string, node_id> result;
  for (int i = 0; i < keys; ++i) {
    selection_context context;
    auto k = key(i);
    context.affinity_key = k;
    result[k] = selected(registry, load_balancing_strategy::consistent_hash, context);
  }
  return result;
}

} // namespace

TEST_CASE("round robin gives every worker exactly the same number of calls",
          "[strategies][round_robin]") {
  auto registry = registry_with(5);
  auto result = count_selections(registry, load_balancing_strategy::round_robin, 5'000);
  REQUIRE(result.size() == 5);
  for (const auto& [id, n] : result)
    CHECK(n == 1'000);
}

TEST_CASE("round robin visits the workers in a fixed cycle", "[strategies][round_robin]") {
  auto registry = registry_with(3);
  std::vector<node_id> first, second;
  for (int i = 0; i < 3; ++i)
    first.push_back(selected(registry, load_balancing_strategy::round_robin));
  for (int i = 0; i < 3; ++i)
    second.push_back(selected(registry, load_balancing_strategy::round_robin));
  CHECK(std::set<node_id>(first.begin(), first.end()).size() == 3);
  CHECK(first == second);
}

TEST_CASE("random choices are uniform by a chi-square test", "[strategies][random]") {
  auto registry = registry_with(10);
  constexpr int draws = 100'000;
  auto result = count_selections(registry, load_balancing_strategy::random, draws);
  REQUIRE(result.size() == 10);
  double expected = draws / 10.0;
  double chi_square = 0;
  for (const auto& [id, n] : result)
    chi_square += (n - expected) * (n - expected) / expected;
  // 9 degrees of freedom: p = 0.001 at 27.88.
  CHECK(chi_square < 27.88);
}

TEST_CASE("least connections and power of two choices send few calls to a slow worker",
          "[strategies][least_connections][power_of_two_choices]") {
  struct expectation {
    load_balancing_strategy strategy;
    double most;
  };
  // By its speed the slow worker deserves 1/21 of the calls; least
  // connections comes close, two random choices somewhat less so.
  auto [strategy, most] = GENERATE(values<expectation>({
    {load_balancing_strategy::least_connections, 0.10},
    {load_balancing_strategy::power_of_two_choices, 0.125},
  }));
  auto share = slow_worker_share(strategy);
  INFO(rpcnet::to_string_view(strategy) << ": slow worker's share " << share);
  CHECK(share < most);
  CHECK(share > 0.0);
}

TEST_CASE("least connections shares equally loaded workers in turn",
          "[strategies][least_connections]") {
  auto registry = registry_with(4);
  auto result = count_selections(registry, load_balancing_strategy::least_connections, 400);
  for (const auto& [id, n] : result)
    CHECK(n == 100);
}

TEST_CASE("least connections picks the least loaded worker",
          "[strategies][least_connections]") {
  auto registry = registry_with(3);
  for (int i = 0; i < 3; ++i)
    registry.begin_call(id_of(1));
  registry.begin_call(id_of(3));
  CHECK(selected(registry, load_balancing_strategy::least_connections) == id_of(2));
  registry.begin_call(id_of(2));
  registry.begin_call(id_of(2));
  CHECK(selected(registry, load_balancing_strategy::least_connections) == id_of(3));
}

TEST_CASE("weighted choices follow the capacity tags", "[strategies][weighted]") {
  worker_registry registry;
  registry.apply(joined(worker_member(1, {{"capacity", "1"}})));
  registry.apply(joined(worker_member(2, {{"capacity", "2"}})));
  registry.apply(joined(worker_member(3, {{"capacity", "4"}})));
  registry.apply(joined(worker_member(4, {{"capacity", "0"}})));
  auto result = count_selections(registry, load_balancing_strategy::weighted, 70'000);
  CHECK(result[id_of(1)] == Approx(10'000).epsilon(0.04));
  CHECK(result[id_of(2)] == Approx(20'000).epsilon(0.04));
  CHECK(result[id_of(3)] == Approx(40'000).epsilon(0.04));
  CHECK(result.count(id_of(4)) == 0);
}

TEST_CASE("weighted treats missing or mistyped capacities as 1 and all-zero as equal",
          "[strategies][weighted]") {
  worker_registry registry;
  registry.apply(joined(worker_member(1, {})));
  registry.apply(joined(worker_member(2, {{"capacity", "lots"}})));
  auto result = count_selections(registry, load_balancing_strategy::weighted, 20'000);
  CHECK(result[id_of(1)] == Approx(10'000).epsilon(0.05));

  worker_registry idle;
  idle.apply(joined(worker_member(1, {{"capacity", "0"}})));
  idle.apply(joined(worker_member(2, {{"capacity", "0"}})));
  CHECK(count_selections(idle, load_balancing_strategy::weighted, 1'000).size() == 2);
}

TEST_CASE("the weighted alias table gives each worker exactly its share of the capacity",
          "[strategies][weighted]") {
  worker_registry registry;
  std::vector<uint32_t> capacities{5, 1, 0, 7, 3, 3, 1'000, 1};
  double total = 0;
  for (size_t i = 0; i < capacities.size(); ++i) {
    registry.apply(joined(worker_member(i + 1, {{"capacity", std::to_string(capacities[i])}})));
    total += capacities[i];
  }
  std::vector<uint32_t> slots;
  for (uint32_t s = 0; s < registry.pool().size(); ++s)
    slots.push_back(s);
  rpcnet::weighted_choice weights;
  weights.assign(slots, registry.pool());
  auto p = weights.probabilities();
  for (size_t i = 0; i < slots.size(); ++i)
    CHECK(p[i] == Approx(registry.pool().at(slots[i]).capacity / total).margin(1e-9));
}

TEST_CASE("a worker's new capacity takes effect at once", "[strategies][weighted]") {
  worker_registry registry;
  registry.apply(joined(worker_member(1, {{"capacity", "1"}})));
  registry.apply(joined(worker_member(2, {{"capacity", "1"}})));
  CHECK(count_selections(registry, load_balancing_strategy::weighted, 20'000)[id_of(2)]
        == Approx(10'000).epsilon(0.05));
  registry.apply(event(rpcnet::membership_event::kind::updated,
                       worker_member(2, {{"capacity", "3"}})));
  CHECK(count_selections(registry, load_balancing_strategy::weighted, 20'000)[id_of(2)]
        == Approx(15'000).epsilon(0.05));
}

TEST_CASE("consistent hashing sends the same key to the same worker, in every process",
          "[strategies][consistent_hash]") {
  auto registry = registry_with(10);
  auto owners = owners_of_keys(registry, 1'000);
  CHECK(owners_of_keys(registry, 1'000) == owners);
  // Another registry that learnt of the workers in the opposite order.
  worker_registry other;
  for (uint64_t i = 10; i >= 1; --i)
    other.apply(joined(worker_member(i)));
  CHECK(owners_of_keys(other, 1'000) == owners);
  std::set<node_id> used;
  for (const auto& [k, id] : owners)
    used.insert(id);
  CHECK(used.size() == 10);
}

TEST_CASE("when one of n workers leaves, consistent hashing moves only its keys, about 1/n",
          "[strategies][consistent_hash]") {
  constexpr int keys = 20'000;
  auto n = GENERATE(5, 10, 50);
  auto registry = registry_with(static_cast<uint64_t>(n));
  auto before = owners_of_keys(registry, keys);
  auto leaving = id_of(3);
  registry.apply(became(worker_member(3), rpcnet::member_state::left));
  auto after = owners_of_keys(registry, keys);
  int moved = 0;
  for (const auto& [k, owner] : before) {
    if (after[k] != owner) {
      ++moved;
      CHECK(owner == leaving);
    } else {
      CHECK(owner != leaving);
    }
  }
  INFO(n << " workers: " << moved << " of " << keys << " keys moved");
  CHECK(moved <= keys / n * 13 / 10);
  CHECK(moved > 0);
}

TEST_CASE("consistent hashing keeps every key in place when the pool changes outside the filter",
          "[strategies][consistent_hash]") {
  worker_registry registry;
  for (uint64_t i = 1; i <= 10; ++i)
    registry.apply(joined(worker_member(i, {{"role", i <= 8 ? "worker" : "director"}})));
  auto owners_for_workers = [&] {
    std::map<std::string, node_id> result;
    for (int i = 0; i < 500; ++i) {
      selection_context context;
      auto k = key(i);
      context.affinity_key = k;
      result[k] = selected(registry, load_balancing_strategy::consistent_hash, context,
                           "role=worker");
    }
    return result;
  };
  auto before = owners_for_workers();
  registry.apply(became(worker_member(9, {{"role", "director"}}), rpcnet::member_state::suspect));
  registry.apply(became(worker_member(10, {{"role", "director"}}), rpcnet::member_state::left));
  CHECK(owners_for_workers() == before);
}

TEST_CASE("consistent hashing excluding a worker picks where its keys go when it leaves",
          "[strategies][consistent_hash]") {
  auto registry = registry_with(8);
  auto without = registry_with(8);
  without.apply(became(worker_member(5), rpcnet::member_state::dead));
  std::vector<node_id> exclude{id_of(5)};
  for (int i = 0; i < 500; ++i) {
    selection_context context;
    auto k = key(i);
    context.affinity_key = k;
    auto expected = selected(without, load_balancing_strategy::consistent_hash, context);
    context.exclude = exclude;
    CHECK(selected(registry, load_balancing_strategy::consistent_hash, context) == expected);
  }
}

TEST_CASE("consistent hashing without an affinity key balances by load",
          "[strategies][consistent_hash]") {
  auto registry = registry_with(3);
  registry.begin_call(id_of(1));
  registry.begin_call(id_of(2));
  CHECK(selected(registry, load_balancing_strategy::consistent_hash) == id_of(3));
}

TEST_CASE("locality prefers workers in the caller's zone, least loaded first",
          "[strategies][locality]") {
  worker_registry registry;
  for (uint64_t i = 1; i <= 6; ++i)
    registry.apply(joined(worker_member(i, {{"zone", i <= 3 ? "eu-1" : "us-1"}})));
  selection_context in_us;
  in_us.zone = "us-1";
  // Busy local workers still win over idle remote ones.
  for (uint64_t i = 4; i <= 6; ++i)
    registry.begin_call(id_of(i));
  registry.begin_call(id_of(5));
  CHECK(selected(registry, load_balancing_strategy::locality, in_us).lo != 5);
  std::map<node_id, int> result;
  for (int i = 0; i < 600; ++i)
    ++result[selected(registry, load_balancing_strategy::locality, in_us)];
  // Workers 4 and 6 carry one call each, 5 two: 4 and 6 take turns.
  CHECK(result[id_of(4)] == 300);
  CHECK(result[id_of(6)] == 300);
  CHECK(result.size() == 2);
}

TEST_CASE("locality falls back to any worker when none is in the caller's zone",
          "[strategies][locality]") {
  worker_registry registry;
  for (uint64_t i = 1; i <= 4; ++i)
    registry.apply(joined(worker_member(i, {{"zone", i <= 2 ? "eu-1" : "us-1"}})));
  registry.begin_call(id_of(1));
  selection_context in_asia;
  in_asia.zone = "ap-1";
  auto chosen = selected(registry, load_balancing_strategy::locality, in_asia);
  CHECK(chosen != id_of(1));
  // The us-1 workers leave: us-1 callers go to eu-1.
  registry.apply(became(worker_member(3), rpcnet::member_state::dead));
  registry.apply(became(worker_member(4), rpcnet::member_state::left));
  selection_context in_us;
  in_us.zone = "us-1";
  CHECK(selected(registry, load_balancing_strategy::locality, in_us) == id_of(2));
}

TEST_CASE("strategies have names that parse back", "[strategies]") {
  for (auto strategy : rpcnet::all_load_balancing_strategies) {
    auto parsed = rpcnet::parse_load_balancing_strategy(rpcnet::to_string_view(strategy));
    REQUIRE(parsed);
    CHECK(*parsed == strategy);
  }
  CHECK(*rpcnet::parse_load_balancing_strategy("least-connections")
        == load_balancing_strategy::least_connections);
  auto bad = rpcnet::parse_load_balancing_strategy("fastest");
  REQUIRE_FALSE(bad);
  CHECK(rpcnet::code_of(bad.error()) == rpcnet::error::config);
  CHECK(rpcnet::message_of(bad.error()).find("fastest") != std::string::npos);
  CHECK(rpcnet::default_load_balancing_strategy == load_balancing_strategy::least_connections);
}

TEST_CASE("every strategy chooses among the workers matching the filter only", "[strategies]") {
  worker_registry registry;
  for (uint64_t i = 1; i <= 6; ++i)
    registry.apply(joined(worker_member(i, {{"gpu", i % 2 == 0 ? "yes" : "no"}})));
  for (auto strategy : rpcnet::all_load_balancing_strategies) {
    for (int i = 0; i < 50; ++i) {
      selection_context context;
      auto k = key(i);
      context.affinity_key = k;
      context.zone = "nowhere";
      CHECK(selected(registry, strategy, context, "gpu=yes").lo % 2 == 0);
    }
  }
}
