// When the cluster client tries a call again on another worker, and how
// long it waits first: an attempt limit, exponential backoff with jitter
// (full or decorrelated, after the AWS Architecture Blog's "Exponential
// Backoff and Jitter"), and which errors are safe to retry. Only failures
// that say nothing about the request's effect are retried: the connection
// failed, the call timed out before its request was sent, or the worker
// refused it as overloaded. A handler's own error is never retried: the
// handler ran and said no. No clock and no hidden randomness: the caller
// passes the generator.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>

#include <caf/error.hpp>

#include <rpcnet/membership/membership_time.hpp>

namespace rpcnet {

/// How far a failed call got, as the caller knows it.
enum class request_progress : uint8_t {
  not_sent, ///< the request never left this node
  sent,     ///< the request (or part of it) went out
};

/// How the backoff is spread to keep clients from retrying in lockstep.
enum class backoff_jitter : uint8_t {
  none,         ///< exactly base * 2^(retry-1), capped
  full,         ///< uniform in [0, base * 2^(retry-1)], capped
  decorrelated, ///< uniform in [base, 3 * previous delay], capped
};

/// True if an attempt that failed with `err` may be repeated, on another
/// worker, without risking a second effect: connection errors (the
/// transport reports them when the connection could not be made or broke,
/// and CAF's "receiver down" maps to them), overloaded (the worker refused
/// the call), and timeout only when the request was not sent. Never: the
/// handler's error (remote), unknown_method, cancelled, protocol,
/// serialization, config, tls, io, stream, and no_workers (an empty pool is
/// answered at once, not waited out).
bool is_safe_to_retry(const caf::error& err, request_progress progress);

struct retry_policy {
  // -- settings ---------------------------------------------------------------

  /// Attempts in all, the first one included (1 = never retry).
  uint32_t max_attempts = 3;
  /// The first retry's delay (before jitter).
  duration base_delay = std::chrono::milliseconds{20};
  /// No delay is longer.
  duration max_delay = std::chrono::seconds{1};
  backoff_jitter jitter = backoff_jitter::full;

  // -- builders ---------------------------------------------------------------

  [[nodiscard]] retry_policy with_max_attempts(uint32_t attempts) const;
  [[nodiscard]] retry_policy with_base_delay(duration delay) const;
  [[nodiscard]] retry_policy with_max_delay(duration delay) const;
  [[nodiscard]] retry_policy with_jitter(backoff_jitter spread) const;

  // -- validation -------------------------------------------------------------

  /// No error, or one error::config naming every bad field (configuration.hpp).
  caf::error validate() const;

  // -- decisions --------------------------------------------------------------

  /// Whether attempt number `attempt` (1 for the first) that failed with
  /// `err` is followed by another: the error is safe to retry and the
  /// attempt limit not reached.
  bool should_retry(const caf::error& err, request_progress progress, uint32_t attempt) const;

  /// The delay before retry number `retry` (1 for the second attempt),
  /// `previous` being the delay before the previous retry (ignored for the
  /// first; decorrelated jitter grows from it). `gen` is a seeded 64-bit
  /// generator such as selection_rng or std::mt19937_64.
  template <class Generator>
  duration backoff(uint32_t retry, duration previous, Generator& gen) const {
    // The top 53 bits of a draw as a double in [0, 1).
    auto unit = static_cast<double>(static_cast<uint64_t>(gen()) >> 11) * 0x1.0p-53;
    return backoff_at(retry, previous, unit);
  }

  /// backoff() with the random draw given: `unit` in [0, 1) picks the
  /// point in the jitter's interval (the lower end at 0).
  duration backoff_at(uint32_t retry, duration previous, double unit) const;
};

} // namespace rpcnet
