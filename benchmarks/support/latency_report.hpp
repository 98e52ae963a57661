// What every closed-loop benchmark reports: calls per second and latency
// percentiles, printed as one text line or one JSON object with the same
// keys across rpcnet and its baselines (rps, p50_us, p99_us, p999_us).
#pragma once

#include <sched.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "server_process.hpp"

namespace rpcnet::bench {

struct latency_report {
  std::string impl;
  std::string mode;
  uint64_t concurrency = 0;
  uint64_t payload = 0;
  double duration_s = 0;
  uint64_t calls = 0;
  uint64_t errors = 0;
  double rps = 0;
  double p50_us = 0;
  double p99_us = 0;
  double p999_us = 0;
  /// Unary runs: metadata pairs per call and bytes per pair (key plus
  /// value); other workloads carry none and leave them out of the JSON.
  std::optional<uint64_t> metadata_pairs;
  std::optional<uint64_t> metadata_pair_bytes;

  /// Fills calls, rps and percentiles from per-call latencies in ns.
  void summarize(std::vector<uint64_t>& latencies_ns, double seconds) {
    duration_s = seconds;
    calls = latencies_ns.size();
    rps = seconds > 0 ? static_cast<double>(calls) / seconds : 0;
    if (latencies_ns.empty())
      return;
    std::sort(latencies_ns.begin(), latencies_ns.end());
    auto at = [&](double q) {
      auto idx = static_cast<size_t>(q * static_cast<double>(latencies_ns.size() - 1));
      return static_cast<double>(latencies_ns[idx]) / 1000.0;
    };
    p50_us = at(0.50);
    p99_us = at(0.99);
    p999_us = at(0.999);
  }

  std::string json() const {
    char buf[512];
    std::snprintf(buf, sizeof(buf),
                  "{\"impl\":\"%s\",\"mode\":\"%s\",\"concurrency\":%llu,\"payload\":%llu,"
                  "\"duration_s\":%.3f,\"calls\":%llu,\"errors\":%llu,\"rps\":%.1f,"
                  "\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f}",
                  impl.c_str(), mode.c_str(), static_cast<unsigned long long>(concurrency),
                  static_cast<unsigned long long>(payload), duration_s,
                  static_cast<unsigned long long>(calls),
                  static_cast<unsigned long long>(errors), rps, p50_us, p99_us, p999_us);
    std::string out = buf;
    if (metadata_pairs && metadata_pair_bytes) {
      out.pop_back();
      out += ",\"metadata_pairs\":" + std::to_string(*metadata_pairs)
             + ",\"metadata_pair_bytes\":" + std::to_string(*metadata_pair_bytes) + "}";
    }
    return out;
  }

  std::string text() const {
    char buf[256];
    std::snprintf(buf, sizeof(buf),
                  "%-8s %-6s C=%-4llu payload=%lluB  %9.0f calls/s  p50 %7.1fus  p99 %8.1fus  "
                  "p999 %8.1fus%s%s",
                  impl.c_str(), mode.c_str(), static_cast<unsigned long long>(concurrency),
                  static_cast<unsigned long long>(payload), rps, p50_us, p99_us, p999_us,
                  metadata_text().c_str(), errors ? "  (errors!)" : "");
    return buf;
  }

private:
  std::string metadata_text() const {
    if (!metadata_pairs || *metadata_pairs == 0 || !metadata_pair_bytes)
      return {};
    return "  metadata " + std::to_string(*metadata_pairs) + "x"
           + std::to_string(*metadata_pair_bytes) + "B";
  }
};

inline void pin_to_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0)
    throw bench_error(errno_text("cannot pin to CPU " + std::to_string(cpu)));
}

} // namespace rpcnet::bench
