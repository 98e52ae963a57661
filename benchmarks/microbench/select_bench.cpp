// Worker selection time per strategy at 3, 100 and 1,000 workers, through
// the worker registry's select_worker as the registry actor calls it:
// "select/<strategy>/<workers>", and "call/<strategy>/<workers>" with the
// in-flight bookkeeping of each call. Every worker carries 1 to 8 calls in
// flight, so least connections cannot stop early at an idle one, and the
// workers spread over three zones and four capacities.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "worker_registry.hpp"

namespace {

constexpr uint64_t worker_counts[] = {3, 100, 1'000};

rpcnet::worker_registry loaded_registry(uint64_t workers) {
  rpcnet::worker_registry registry;
  rpcnet::selection_rng rng{workers};
  for (uint64_t i = 0; i < workers; ++i) {
    rpcnet::membership_event e;
    e.subject.id = rpcnet::node_id::random(rng);
    e.subject.address = "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256)
                        + ":62001";
    e.subject.tags = {{"role", "worker"},
                      {"zone", "zone-" + std::to_string(i % 3)},
                      {"capacity", std::to_string(1 + i % 4)}};
    registry.apply(e);
    for (auto calls = 1 + rng.below(8); calls > 0; --calls)
      registry.begin_call(e.subject.id);
  }
  return registry;
}

/// Times `registry.select_worker` alone ("select/...") or with the
/// bookkeeping of the call that follows, begin_call and end_call on the
/// chosen worker ("call/..."): the least-connections index catches up on
/// those two changes in its next selection, which only the second shows.
void select_worker(benchmark::State& state, rpcnet::load_balancing_strategy strategy,
                   uint64_t workers, bool count_calls) {
  auto registry = loaded_registry(workers);
  std::vector<std::string> keys;
  for (int i = 0; i < 1'024; ++i)
    keys.push_back("session-" + std::to_string(i));
  rpcnet::selection_context context;
  context.zone = "zone-1";
  // The first selection builds what the strategy caches (ring, table).
  benchmark::DoNotOptimize(registry.select_worker("role=worker", strategy, context));
  size_t i = 0;
  for (auto _ : state) {
    context.affinity_key = keys[i++ & 1'023];
    auto chosen = registry.select_worker("role=worker", strategy, context);
    benchmark::DoNotOptimize(chosen);
    if (count_calls) {
      registry.begin_call((*chosen)->id);
      registry.end_call((*chosen)->id);
    }
  }
}

[[maybe_unused]] const bool registered = [] {
  for (bool count_calls : {false, true})
    for (auto strategy : rpcnet::all_load_balancing_strategies)
      for (auto workers : worker_counts) {
        auto name = std::string{count_calls ? "call/" : "select/"}
                    + std::string{rpcnet::to_string_view(strategy)} + "/"
                    + std::to_string(workers);
        benchmark::RegisterBenchmark(name.c_str(), select_worker, strategy, workers,
                                     count_calls);
      }
  return true;
}();

} // namespace
