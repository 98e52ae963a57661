// Call metrics interceptors (see interceptors/call_metrics.hpp) and the
// recorder behind both (call_metrics_recorder.hpp).
#include <rpcnet/actors/interceptors/call_metrics.hpp>

#include <algorithm>
#include <functional>

#include <rpcnet/transport/error.hpp>

#include "call_metrics_recorder.hpp"

namespace rpcnet {

namespace {

size_t outcome_index(const caf::error& outcome) {
  if (!outcome)
    return 0;
  if (!is_rpcnet_error(outcome))
    return 15;
  auto code = static_cast<size_t>(code_of(outcome));
  return code < 15 ? code : 15;
}

std::string_view outcome_name(size_t index, const caf::error& outcome) {
  if (index == 0)
    return "ok";
  if (index == 15)
    return "unknown";
  return to_string_view(code_of(outcome));
}

/// The counter in `cell`, made from `family` with labels() on first use
/// (labels are built only then: a call allocates nothing). Two threads may
/// both make it; with() hands both the same instrument.
template <class Labels>
metric_counter& counter_in(std::atomic<metric_counter*>& cell, counter_family& family,
                           Labels labels) {
  auto* counter = cell.load(std::memory_order_acquire);
  if (!counter) {
    counter = &family.with(labels());
    cell.store(counter, std::memory_order_release);
  }
  return *counter;
}

bool is_stream(call_shape shape) {
  return shape != call_shape::unary;
}

} // namespace

// -- call_metrics_recorder ----------------------------------------------------

call_metrics_recorder::call_metrics_recorder(metrics_registry& registry, std::string_view side)
  : side_(side),
    requests_(registry.counters("rpc_requests_total", "RPC calls ended, by side, method and outcome.",
                                {"side", "method", "code"})),
    latency_(registry.histograms("rpc_latency_seconds",
                                 "RPC call duration in seconds, by side and method.",
                                 latency_buckets_seconds, {"side", "method"})),
    request_bytes_(registry.counters("rpc_request_bytes_total",
                                     "Unary request message bytes, by side and method.",
                                     {"side", "method"})),
    response_bytes_(registry.counters("rpc_response_bytes_total",
                                      "Unary reply message bytes, by side and method.",
                                      {"side", "method"})),
    errors_(registry.counters("rpc_errors_total", "RPC calls failed, by side and error code.",
                              {"side", "type"})),
    streams_open_(registry.gauges("rpc_streams_open", "Streaming RPC calls begun and not ended.",
                                  {"side"})
                    .with({side})) {
  in_flight_ = registry.add_collector([this](metrics_writer& out) {
    // Ended first: a call counts as begun before it can count as ended, so
    // the difference never goes below zero.
    auto ended = ended_calls();
    auto begun = began_.load(std::memory_order_relaxed);
    out.gauge("rpc_in_flight_calls", "RPC calls begun and not ended.",
              static_cast<double>(begun - std::min(begun, ended)), {{"side", side_}});
  });
}

uint64_t call_metrics_recorder::ended_calls() {
  std::lock_guard<std::mutex> guard{add_mtx_};
  uint64_t total = 0;
  for (const auto& series : owned_)
    for (const auto& cell : series->requests)
      if (auto* counter = cell.load(std::memory_order_acquire))
        total += counter->value();
  return total;
}

void call_metrics_recorder::began(call_shape shape) noexcept {
  began_.fetch_add(1, std::memory_order_relaxed);
  if (is_stream(shape))
    streams_open_.add(1);
}

void call_metrics_recorder::ended(std::string_view method, call_shape shape,
                                  const caf::error& outcome, std::chrono::nanoseconds elapsed,
                                  uint64_t request_bytes, uint64_t response_bytes) {
  if (is_stream(shape))
    streams_open_.add(-1);
  auto& series = series_of(method);
  series.latency->observe(std::chrono::duration<double>(elapsed).count());
  series.request_bytes->inc(request_bytes);
  series.response_bytes->inc(response_bytes);
  auto index = outcome_index(outcome);
  auto name = outcome_name(index, outcome);
  using labels = std::vector<std::string_view>;
  counter_in(series.requests[index], requests_, [&] {
    return labels{side_, series.method, name};
  }).inc();
  if (index != 0)
    counter_in(errors_by_outcome_[index], errors_, [&] { return labels{side_, name}; }).inc();
}

call_metrics_recorder::method_series& call_metrics_recorder::series_of(std::string_view method) {
  // Acquire pairs with the release that published the series in a slot.
  if (auto* last = last_.load(std::memory_order_acquire); last && last->method == method)
    return *last;
  auto hash = std::hash<std::string_view>{}(method);
  for (size_t probe = 0; probe < slot_count; ++probe) {
    auto* series = slots_[(hash + probe) % slot_count].load(std::memory_order_acquire);
    if (!series)
      break;
    if (series->method == method) {
      last_.store(series, std::memory_order_release);
      return *series;
    }
  }
  auto& added = add_series(method, hash);
  last_.store(&added, std::memory_order_release);
  return added;
}

call_metrics_recorder::method_series& call_metrics_recorder::add_series(std::string_view method,
                                                                        size_t hash) {
  std::lock_guard<std::mutex> guard{add_mtx_};
  // Another thread may have added it since the lock-free look.
  size_t free_slot = slot_count;
  for (size_t probe = 0; probe < slot_count; ++probe) {
    auto slot = (hash + probe) % slot_count;
    auto* series = slots_[slot].load(std::memory_order_relaxed);
    if (!series) {
      free_slot = slot;
      break;
    }
    if (series->method == method)
      return *series;
  }
  auto make = [&](std::string_view name) {
    auto series = std::make_unique<method_series>();
    series->method = std::string{name};
    series->latency = &latency_.with({side_, series->method});
    series->request_bytes = &request_bytes_.with({side_, series->method});
    series->response_bytes = &response_bytes_.with({side_, series->method});
    owned_.push_back(std::move(series));
    return owned_.back().get();
  };
  if (owned_.size() >= max_methods || free_slot == slot_count) {
    if (!other_)
      other_ = make("other");
    return *other_;
  }
  auto* series = make(method);
  slots_[free_slot].store(series, std::memory_order_release);
  return *series;
}

// -- server_call_metrics ------------------------------------------------------

server_call_metrics::server_call_metrics(metrics_registry& registry)
  : recorder_(std::make_unique<call_metrics_recorder>(registry, "server")) {
}

server_call_metrics::~server_call_metrics() = default;

caf::error server_call_metrics::before(call_context&, call_shape shape) {
  recorder_->began(shape);
  return {};
}

void server_call_metrics::after(const call_context& ctx, call_shape shape,
                                const caf::error& outcome, std::chrono::nanoseconds elapsed) {
  recorder_->ended(ctx.method(), shape, outcome, elapsed, ctx.request_bytes(),
                   ctx.response_bytes());
}

// -- client_call_metrics ------------------------------------------------------

client_call_metrics::client_call_metrics(metrics_registry& registry)
  : recorder_(std::make_unique<call_metrics_recorder>(registry, "client")) {
}

client_call_metrics::~client_call_metrics() = default;

caf::error client_call_metrics::before(outgoing_call& call) {
  recorder_->began(call.shape);
  return {};
}

void client_call_metrics::after(const outgoing_call& call, const caf::error& outcome,
                                std::chrono::nanoseconds elapsed) {
  recorder_->ended(call.method, call.shape, outcome, elapsed, call.request_bytes,
                   call.response_bytes);
}

} // namespace rpcnet
