// How an rpc_client dials again after its connection is lost: never in a
// loop, only when a call wants the connection, and after a failed dial
// only once a backoff has passed that grows from initial_backoff by
// `multiplier` up to max_backoff, each wait spread by +-`jitter` so that
// clients which lost one server together do not dial it together (gRPC's
// connection backoff, with shorter defaults suited to RPC within a site).
//
//   auto cfg = base.with_reconnect(rpcnet::reconnect_policy{}
//                                    .with_backoff(50ms, 2s));
#pragma once

#include <chrono>
#include <cstdint>

#include <caf/error.hpp>

namespace rpcnet {

struct reconnect_policy {
  /// Off: a lost connection stays lost, and every later call fails with
  /// `connection` (a client that manages its connections itself).
  bool enabled = true;
  /// The wait after the first failed dial.
  std::chrono::milliseconds initial_backoff{100};
  /// The longest wait between dials.
  std::chrono::milliseconds max_backoff{10'000};
  /// How much longer each wait is than the one before (at least 1).
  double multiplier = 1.6;
  /// Each wait is drawn from [w * (1 - jitter), w * (1 + jitter)]; 0 to 1.
  double jitter = 0.2;

  /// A policy that never reconnects.
  static reconnect_policy disabled();

  [[nodiscard]] reconnect_policy with_backoff(std::chrono::milliseconds initial,
                                              std::chrono::milliseconds max) const;
  [[nodiscard]] reconnect_policy with_multiplier(double m) const;
  [[nodiscard]] reconnect_policy with_jitter(double j) const;

  /// No error, or one error::config naming every bad field.
  caf::error validate() const;

  /// The wait after the `failures`-th dial in a row failed (1 for the
  /// first), `unit` in [0, 1] picking the point in the jitter's spread (0.5:
  /// none).
  std::chrono::milliseconds backoff_at(uint32_t failures, double unit) const;
};

} // namespace rpcnet
