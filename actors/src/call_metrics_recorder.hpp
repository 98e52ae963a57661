// What server_call_metrics and client_call_metrics share: the metric
// families of one side ("server" or "client") and a table from method
// name to that method's series, read without a lock on every call and
// written under one the first time a method is seen.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>

#include <rpcnet/actors/interceptor.hpp>
#include <rpcnet/transport/metrics_registry.hpp>

namespace rpcnet {

class call_metrics_recorder {
public:
  /// Methods with series of their own; the rest share "other".
  static constexpr size_t max_methods = 256;

  call_metrics_recorder(metrics_registry& registry, std::string_view side);

  void began(call_shape shape) noexcept;

  /// `request_bytes` and `response_bytes`: a unary call's message sizes.
  void ended(std::string_view method, call_shape shape, const caf::error& outcome,
             std::chrono::nanoseconds elapsed, uint64_t request_bytes, uint64_t response_bytes);

private:
  /// Outcomes: 0 for ok, then each rpcnet code by value, then the last for
  /// errors that are not rpcnet's.
  static constexpr size_t outcome_count = 16;

  struct method_series {
    std::string method;
    metric_histogram* latency = nullptr;
    metric_counter* request_bytes = nullptr;
    metric_counter* response_bytes = nullptr;
    /// Made on an outcome's first occurrence.
    std::array<std::atomic<metric_counter*>, outcome_count> requests{};
  };

  /// Open addressing, twice as many slots as methods, so a probe ends soon.
  static constexpr size_t slot_count = 2 * max_methods;

  method_series& series_of(std::string_view method);

  method_series& add_series(std::string_view method, size_t hash);

  /// Calls ended so far, over every method and outcome.
  uint64_t ended_calls();

  std::string side_;
  counter_family& requests_;
  histogram_family& latency_;
  counter_family& request_bytes_;
  counter_family& response_bytes_;
  counter_family& errors_;
  /// Calls begun: rpc_in_flight_calls is this less the calls ended (the
  /// requests counters' sum), computed at scrape time, which saves a call
  /// two atomic updates of a gauge.
  std::atomic<uint64_t> began_{0};
  metric_gauge& streams_open_;
  std::array<std::atomic<metric_counter*>, outcome_count> errors_by_outcome_{};
  std::array<std::atomic<method_series*>, slot_count> slots_{};
  /// The series found last: most servers and clients call few methods, so
  /// a compare of the name usually saves hashing it.
  std::atomic<method_series*> last_{nullptr};
  std::mutex add_mtx_;
  std::vector<std::unique_ptr<method_series>> owned_;
  /// The series of every method past max_methods.
  method_series* other_ = nullptr;
  /// Reports rpc_in_flight_calls; declared last, so it is removed first.
  metrics_collection in_flight_;
};

} // namespace rpcnet
