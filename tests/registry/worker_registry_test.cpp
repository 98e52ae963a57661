// Tests the worker registry core: membership events keep the pool (failed
// and departed workers out at once, back when they return, suspects kept in
// reserve), filters select among the pool, in-flight counts are kept per
// worker, retries can exclude workers, and a routing actor's answer is
// checked before it is trusted.
#include <catch2/catch.hpp>

#include "registry_fixture.hpp"

#include "worker_registry.hpp"
#include <rpcnet/transport/error.hpp>

using namespace registry_test;
using rpcnet::load_balancing_strategy;
using rpcnet::member_state;
using rpcnet::membership_event;
using rpcnet::node_id;
using rpcnet::routing_answer;
using rpcnet::selection_context;
using rpcnet::worker_registry;

namespace {

worker_registry::settings only_workers() {
  worker_registry::settings cfg;
  cfg.pool_filter = *rpcnet::tag_filter::parse("role=worker");
  return cfg;
}

rpcnet::error error_of(const caf::expected<const rpcnet::worker*>& result) {
  REQUIRE_FALSE(result);
  return rpcnet::code_of(result.error());
}

} // namespace

// -- membership ---------------------------------------------------------------

TEST_CASE("members passing the pool filter become workers, others do not",
          "[worker_registry]") {
  worker_registry registry{only_workers()};
  CHECK(registry.apply(joined(worker_member(1))));
  CHECK_FALSE(registry.apply(joined(worker_member(2, {{"role", "director"}}))));
  REQUIRE(registry.worker_count() == 1);
  const auto& w = registry.workers().front();
  CHECK(w.id == id_of(1));
  CHECK(w.address == "10.0.0.1:62001");
  CHECK(w.tags.at("role") == "worker");
}

TEST_CASE("a worker that fails or leaves is out at once and back when it returns",
          "[worker_registry]") {
  auto registry = registry_with(3, only_workers());
  CHECK(registry.apply(became(worker_member(2), member_state::dead)));
  CHECK(registry.worker_count() == 2);
  CHECK(registry.find(id_of(2)) == nullptr);
  for (int i = 0; i < 20; ++i)
    CHECK(selected(registry, load_balancing_strategy::round_robin) != id_of(2));
  CHECK(registry.apply(became(worker_member(3), member_state::left)));
  CHECK(registry.worker_count() == 1);
  CHECK(registry.apply(joined(worker_member(2))));
  CHECK(registry.apply(joined(worker_member(3))));
  CHECK(registry.worker_count() == 3);
  auto seen = std::set<node_id>{};
  for (int i = 0; i < 3; ++i)
    seen.insert(selected(registry, load_balancing_strategy::round_robin));
  CHECK(seen.size() == 3);
}

TEST_CASE("an update moves a worker in or out of the pool and changes its address",
          "[worker_registry]") {
  auto registry = registry_with(2, only_workers());
  auto moved = worker_member(1);
  moved.address = "10.9.9.9:7000";
  CHECK(registry.apply(event(membership_event::kind::updated, moved)));
  CHECK(registry.find(id_of(1))->address == "10.9.9.9:7000");
  CHECK(registry.apply(event(membership_event::kind::updated,
                             worker_member(2, {{"role", "retired"}}))));
  CHECK(registry.find(id_of(2)) == nullptr);
  CHECK(registry.apply(event(membership_event::kind::updated, worker_member(2))));
  CHECK(registry.find(id_of(2)) != nullptr);
}

TEST_CASE("a suspect worker is kept but chosen only when no alive worker matches",
          "[worker_registry]") {
  auto registry = registry_with(2);
  CHECK(registry.apply(became(worker_member(1), member_state::suspect)));
  CHECK(registry.worker_count() == 2);
  CHECK(registry.find(id_of(1))->suspect);
  for (auto strategy : rpcnet::all_load_balancing_strategies)
    for (int i = 0; i < 20; ++i)
      CHECK(selected(registry, strategy) == id_of(2));
  registry.apply(became(worker_member(2), member_state::dead));
  CHECK(selected(registry, load_balancing_strategy::least_connections) == id_of(1));
  registry.apply(became(worker_member(1), member_state::alive));
  CHECK_FALSE(registry.find(id_of(1))->suspect);
}

TEST_CASE("partition events do not touch the pool", "[worker_registry]") {
  auto registry = registry_with(2);
  // A partition event's subject is this node (here a worker-like member
  // 9); the members it names arrive as their own failed events.
  for (auto what : {membership_event::kind::partition_detected,
                    membership_event::kind::partition_healed}) {
    auto e = event(what, worker_member(9));
    e.unreachable = {id_of(1)};
    CHECK_FALSE(registry.apply(e));
  }
  CHECK(registry.worker_count() == 2);
  CHECK(registry.find(id_of(9)) == nullptr);
}

// -- filters ------------------------------------------------------------------

TEST_CASE("a filter of several tags selects only workers with all of them",
          "[worker_registry][filters]") {
  worker_registry registry;
  registry.apply(joined(worker_member(1, {{"role", "worker"}, {"gpu", "yes"}, {"zone", "a"}})));
  registry.apply(joined(worker_member(2, {{"role", "worker"}, {"gpu", "yes"}, {"zone", "b"}})));
  registry.apply(joined(worker_member(3, {{"role", "worker"}, {"gpu", "no"}, {"zone", "a"}})));
  for (int i = 0; i < 10; ++i) {
    CHECK(selected(registry, load_balancing_strategy::round_robin, {}, "gpu=yes,zone=a")
          == id_of(1));
    CHECK(selected(registry, load_balancing_strategy::round_robin, {}, "gpu=yes").lo <= 2);
  }
}

TEST_CASE("a filter no worker matches is no_workers, naming the filter",
          "[worker_registry][filters]") {
  auto registry = registry_with(3);
  auto result = registry.select_worker("role=gpu");
  CHECK(error_of(result) == rpcnet::error::no_workers);
  CHECK(rpcnet::message_of(result.error()).find("role=gpu") != std::string::npos);
}

TEST_CASE("an empty pool is no_workers", "[worker_registry][filters]") {
  worker_registry registry;
  CHECK(error_of(registry.select_worker("")) == rpcnet::error::no_workers);
  auto registry_of_one = registry_with(1);
  registry_of_one.apply(became(worker_member(1), member_state::dead));
  CHECK(error_of(registry_of_one.select_worker("")) == rpcnet::error::no_workers);
}

TEST_CASE("a malformed filter is a clear config error", "[worker_registry][filters]") {
  auto registry = registry_with(3);
  auto result = registry.select_worker("role=worker,zone");
  CHECK(error_of(result) == rpcnet::error::config);
  CHECK(rpcnet::message_of(result.error()).find("has no '='") != std::string::npos);
}

TEST_CASE("more distinct filters than are cached still select correctly",
          "[worker_registry][filters]") {
  worker_registry::settings cfg;
  cfg.max_cached_filters = 2;
  auto registry = registry_with(0, cfg);
  for (uint64_t i = 1; i <= 5; ++i)
    registry.apply(joined(worker_member(i, {{"n", std::to_string(i)}})));
  for (int round = 0; round < 3; ++round)
    for (uint64_t i = 1; i <= 5; ++i)
      CHECK(selected(registry, load_balancing_strategy::least_connections, {},
                     "n=" + std::to_string(i))
            == id_of(i));
}

// -- load ---------------------------------------------------------------------

TEST_CASE("in-flight calls are counted per worker and never drop below zero",
          "[worker_registry][load]") {
  auto registry = registry_with(2);
  CHECK(registry.begin_call(id_of(1)));
  CHECK(registry.begin_call(id_of(1)));
  CHECK(registry.begin_call(id_of(2)));
  CHECK_FALSE(registry.begin_call(id_of(7)));
  CHECK(registry.in_flight(id_of(1)) == 2);
  registry.end_call(id_of(1));
  CHECK(registry.in_flight(id_of(1)) == 1);
  registry.end_call(id_of(2));
  registry.end_call(id_of(2));
  CHECK(registry.in_flight(id_of(2)) == 0);
  registry.end_call(id_of(7));
  CHECK(registry.in_flight(id_of(7)) == 0);
}

TEST_CASE("in-flight counts survive updates and restart from zero after a rejoin",
          "[worker_registry][load]") {
  auto registry = registry_with(3);
  registry.begin_call(id_of(1));
  registry.begin_call(id_of(3));
  auto moved = worker_member(1);
  moved.address = "10.1.1.1:1";
  registry.apply(event(membership_event::kind::updated, moved));
  // Worker 2 leaves: the last worker is swapped into its place.
  registry.apply(became(worker_member(2), member_state::left));
  CHECK(registry.in_flight(id_of(1)) == 1);
  CHECK(registry.in_flight(id_of(3)) == 1);
  registry.apply(became(worker_member(3), member_state::dead));
  registry.apply(joined(worker_member(3)));
  CHECK(registry.in_flight(id_of(3)) == 0);
  // An answer from before the failure arrives.
  registry.end_call(id_of(3));
  CHECK(registry.in_flight(id_of(3)) == 0);
}

TEST_CASE("load shedding skips workers at the in-flight cap and answers overloaded when all are",
          "[worker_registry][load]") {
  worker_registry::settings cfg;
  cfg.max_in_flight = 2;
  cfg.strategy = load_balancing_strategy::round_robin;
  auto registry = registry_with(3, cfg);
  registry.begin_call(id_of(1));
  registry.begin_call(id_of(1));
  for (auto strategy : rpcnet::all_load_balancing_strategies)
    for (int i = 0; i < 20; ++i) {
      auto user = "user-" + std::to_string(i);
      selection_context context;
      context.affinity_key = user;
      CHECK(selected(registry, strategy, context) != id_of(1));
    }
  for (uint64_t w = 2; w <= 3; ++w) {
    registry.begin_call(id_of(w));
    registry.begin_call(id_of(w));
  }
  auto result = registry.select_worker("role=worker");
  CHECK(error_of(result) == rpcnet::error::overloaded);
  CHECK(rpcnet::message_of(result.error()).find("role=worker") != std::string::npos);
  registry.end_call(id_of(3));
  CHECK((*registry.select_worker("role=worker"))->id == id_of(3));
}

TEST_CASE("a routing answer naming a worker at the in-flight cap falls back",
          "[worker_registry][routing]") {
  worker_registry::settings cfg;
  cfg.max_in_flight = 1;
  auto registry = registry_with(2, cfg);
  auto request = registry.make_routing_request("");
  REQUIRE(request);
  registry.begin_call(id_of(1));
  auto chosen = registry.resolve(*request, routing_answer{id_of(1)});
  REQUIRE(chosen);
  CHECK((*chosen)->id == id_of(2));
}

// -- retries ------------------------------------------------------------------

TEST_CASE("a retry can exclude the workers already tried, with every strategy",
          "[worker_registry][retries]") {
  auto registry = registry_with(3);
  std::vector<node_id> tried{id_of(1), id_of(3)};
  for (auto strategy : rpcnet::all_load_balancing_strategies) {
    selection_context context;
    context.exclude = tried;
    context.affinity_key = "user-42";
    context.zone = "a";
    for (int i = 0; i < 10; ++i)
      CHECK(selected(registry, strategy, context) == id_of(2));
  }
  tried.push_back(id_of(2));
  selection_context all_tried;
  all_tried.exclude = tried;
  auto result = registry.select_worker("", all_tried);
  CHECK(error_of(result) == rpcnet::error::no_workers);
  CHECK(rpcnet::message_of(result.error()).find("3 excluded") != std::string::npos);
}

// -- routing actors -----------------------------------------------------------

TEST_CASE("a routing request lists the candidates with address, tags and load",
          "[worker_registry][routing]") {
  auto registry = registry_with(3);
  registry.begin_call(id_of(2));
  std::vector<node_id> tried{id_of(3)};
  selection_context context;
  context.exclude = tried;
  context.zone = "eu";
  auto request = registry.make_routing_request("role=worker", context);
  REQUIRE(request);
  CHECK(request->filter == "role=worker");
  CHECK(request->zone == "eu");
  CHECK(request->exclude == tried);
  REQUIRE(request->candidates.size() == 2);
  for (const auto& c : request->candidates) {
    CHECK(c.id != id_of(3));
    CHECK(c.address == "10.0.0." + std::to_string(c.id.lo) + ":62001");
    CHECK(c.tags.at("role") == "worker");
    CHECK(c.in_flight == (c.id == id_of(2) ? 1u : 0u));
  }
  CHECK(error_of(registry.select_worker("role=nobody")) == rpcnet::error::no_workers);
  CHECK_FALSE(registry.make_routing_request("role=nobody"));
  CHECK_FALSE(registry.make_routing_request("nonsense"));
}

TEST_CASE("a routing actor's valid answer is used", "[worker_registry][routing]") {
  auto registry = registry_with(3);
  auto request = registry.make_routing_request("");
  REQUIRE(request);
  auto chosen = registry.resolve(*request, routing_answer{id_of(3)});
  REQUIRE(chosen);
  CHECK((*chosen)->id == id_of(3));
  CHECK(rpcnet::find_choice(*request, routing_answer{id_of(3)}).has_value());
}

TEST_CASE("an unknown, stale or missing routing answer falls back to the strategy",
          "[worker_registry][routing]") {
  auto registry = registry_with(3);
  registry.begin_call(id_of(1));
  registry.begin_call(id_of(2));
  auto request = registry.make_routing_request("");
  REQUIRE(request);
  // An id that is no candidate: nonsense.
  CHECK_FALSE(rpcnet::find_choice(*request, routing_answer{id_of(99)}));
  auto fallback = registry.resolve(*request, routing_answer{id_of(99)});
  REQUIRE(fallback);
  CHECK((*fallback)->id == id_of(3)); // least connections
  // No answer in time.
  auto timed_out = registry.resolve(*request, std::nullopt);
  REQUIRE(timed_out);
  CHECK((*timed_out)->id == id_of(3));
  // A candidate that failed while the routing actor thought.
  registry.apply(became(worker_member(1), member_state::dead));
  auto stale = registry.resolve(*request, routing_answer{id_of(1)});
  REQUIRE(stale);
  CHECK((*stale)->id != id_of(1));
}

TEST_CASE("a fallback keeps the request's exclusions", "[worker_registry][routing]") {
  auto registry = registry_with(3);
  std::vector<node_id> tried{id_of(1), id_of(2)};
  selection_context context;
  context.exclude = tried;
  auto request = registry.make_routing_request("", context);
  REQUIRE(request);
  auto chosen = registry.resolve(*request, routing_answer{id_of(1)});
  REQUIRE(chosen);
  CHECK((*chosen)->id == id_of(3));
}

TEST_CASE("the configured strategy is the default one, and can change",
          "[worker_registry]") {
  worker_registry::settings cfg;
  CHECK(worker_registry{cfg}.strategy() == load_balancing_strategy::least_connections);
  cfg.strategy = load_balancing_strategy::round_robin;
  auto registry = registry_with(2, cfg);
  CHECK(registry.strategy() == load_balancing_strategy::round_robin);
  registry.begin_call(id_of(1));
  registry.begin_call(id_of(1));
  auto first = (*registry.select_worker(""))->id;
  auto second = (*registry.select_worker(""))->id;
  CHECK(first != second); // round robin ignores the load
  registry.set_strategy(load_balancing_strategy::least_connections);
  CHECK((*registry.select_worker(""))->id == id_of(2));
}
