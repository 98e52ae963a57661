// The worker's simulated failure, the Rust RpcNet's cycle: healthy for a
// while, a warning some seconds before the failure, failed (answering
// errors) for a while, then recovered -- and again. Without I/O: the worker
// asks for the n-th transition and sleeps until it is due.
#pragma once

#include <chrono>
#include <cstdint>

#include <caf/expected.hpp>

namespace rpcnet::cli {

struct failure_phases {
  /// Healthy time of each cycle (the warning comes within it).
  std::chrono::milliseconds healthy{10'000};
  /// How long before the failure the warning is given; 0 for none.
  std::chrono::milliseconds warning{3'000};
  /// How long the worker answers errors.
  std::chrono::milliseconds failed{5'000};
};

enum class failure_transition : uint8_t { warn, fail, recover };

struct scheduled_transition {
  /// Since the schedule began.
  std::chrono::milliseconds at;
  failure_transition what;
  /// Counting from 1.
  uint64_t cycle;
};

class failure_schedule {
public:
  /// A config error unless healthy and failed are positive and the
  /// warning fits within the healthy time.
  static caf::expected<failure_schedule> make(failure_phases phases);

  /// The n-th transition (from 0), in time order.
  scheduled_transition transition(uint64_t n) const noexcept;

  /// Whether the worker is failed `elapsed` after the schedule began.
  bool failing_at(std::chrono::milliseconds elapsed) const noexcept;

  const failure_phases& phases() const noexcept {
    return phases_;
  }

private:
  explicit failure_schedule(failure_phases phases) : phases_(phases) {
  }

  failure_phases phases_;
};

} // namespace rpcnet::cli
