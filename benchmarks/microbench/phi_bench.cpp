// The cost of one phi computation by the Phi Accrual detector with a full
// history: "phi/compute".
#include <benchmark/benchmark.h>

#include <chrono>

#include "phi_accrual_detector.hpp"
#include "selection_rng.hpp"

namespace {

void phi_compute(benchmark::State& state) {
  using namespace std::chrono_literals;
  rpcnet::phi_accrual_detector detector;
  rpcnet::selection_rng rng{1};
  auto now = rpcnet::time_point{} + 1h;
  for (int i = 0; i < 200; ++i) {
    now += 900ms + std::chrono::milliseconds{rng.below(200)};
    detector.heartbeat(now);
  }
  // Silences from 0 to 4 s: both the erfc range and the far tail.
  auto step = 0ns;
  for (auto _ : state) {
    step = step >= 4s ? 0ns : step + 1'234'567ns;
    benchmark::DoNotOptimize(detector.phi(now + step));
  }
}

[[maybe_unused]] const auto* registered = benchmark::RegisterBenchmark("phi/compute", phi_compute);

} // namespace
