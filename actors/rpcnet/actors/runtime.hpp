// The actor system rpcnet runs on. runtime_config tunes CAF's scheduler for
// small machines (DEPENDENCY-NOTES: CAF starts 4 workers on 2 cores and idle
// workers sleep in 50 µs steps, which doubles cross-thread latency) and
// registers rpcnet's error category; runtime owns a ready actor system.
#pragma once

#include <cstddef>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

namespace rpcnet {

class runtime_config : public caf::actor_system_config {
public:
  /// `threads`: scheduler workers; 0 = one per core.
  explicit runtime_config(size_t threads = 0);
};

/// An actor system configured by runtime_config.
class runtime {
public:
  explicit runtime(size_t threads = 0) : cfg_(threads), sys_(cfg_) {
  }

  caf::actor_system& system() noexcept {
    return sys_;
  }

private:
  runtime_config cfg_;
  caf::actor_system sys_;
};

} // namespace rpcnet
