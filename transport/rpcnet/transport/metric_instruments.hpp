// The three kinds of metric a node keeps: counters, gauges and histograms.
// Each is cheap enough for a call's hot path -- an update is one or two
// relaxed atomic operations, with no lock and no allocation -- and safe to
// update from any thread while a scrape reads it. They live in families of
// a metrics_registry (metrics_registry.hpp), which names and exports them.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace rpcnet {

/// A count that only goes up (requests, bytes, errors).
class metric_counter {
public:
  void inc(uint64_t n = 1) noexcept {
    value_.fetch_add(n, std::memory_order_relaxed);
  }

  uint64_t value() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

private:
  std::atomic<uint64_t> value_{0};
};

/// A value that goes up and down (calls in flight, open streams).
class metric_gauge {
public:
  void set(double value) noexcept {
    value_.store(value, std::memory_order_relaxed);
  }

  void add(double delta) noexcept {
    value_.fetch_add(delta, std::memory_order_relaxed);
  }

  double value() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

private:
  std::atomic<double> value_{0};
};

/// Upper bounds of the latency histograms, in seconds: 100 µs to 10 s, so
/// a loopback call (tens of µs) and a call across a slow WAN both fall in
/// a bucket of their own size. Documented in docs/operations.md.
inline constexpr std::array<double, 16> latency_buckets_seconds{
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
  0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   5.0,   10.0};

/// Observations counted into buckets of fixed upper bounds, with their sum.
class metric_histogram {
public:
  /// What a scrape reads: counts per bucket (not cumulative; the last one
  /// past every bound), their total, and the sum of the observations.
  struct reading {
    std::vector<uint64_t> counts;
    uint64_t count = 0;
    double sum = 0;
  };

  /// `bounds` must rise strictly (the registry checks it).
  explicit metric_histogram(std::span<const double> bounds);

  void observe(double value) noexcept;

  std::span<const double> bounds() const noexcept {
    return bounds_;
  }

  reading read() const;

private:
  std::vector<double> bounds_;
  /// One cell per bound and one past them all.
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

} // namespace rpcnet
