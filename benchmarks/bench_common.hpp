// What rpcnet-bench's workloads share: their options, the measurement
// window, the report skeleton, starting the rpcnet server process and
// connecting to it, and running a baseline program next to this one.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <rpcnet/rpcnet.hpp>

#include "support/latency_report.hpp"
#include "support/server_process.hpp"

namespace rpcnet::bench {

using bench_clock = std::chrono::steady_clock;

struct bench_options {
  size_t concurrency = 1;
  size_t payload = 64;
  double duration = 5;
  double warmup = 1;
  bool json = false;
  bool compare = false;
  std::string certs = "certs";
  std::optional<int> cpu;
  /// Where the server runs unary handlers: "pool" or "actor".
  std::string handler = "actor";
  /// Unary: metadata pairs per call (support/bench_metadata.hpp).
  size_t metadata = 0;
  /// Server and client count calls and the transport into a metrics
  /// registry (as a node with an admin address does).
  bool metrics = false;
  /// Unary: run once without metrics and once with, and report the ratio.
  bool compare_metrics = false;
};

/// When measuring starts (after the warm-up) and ends, counted from now.
std::pair<bench_clock::time_point, bench_clock::time_point>
measurement_window(const bench_options& opt);

/// A report of this run's shape, before its figures are filled in.
latency_report make_report(const char* impl, const char* mode, const bench_options& opt);

/// Starts `rpcnet-bench serve` in a process of its own; with `as_worker`
/// the server is also a cluster member tagged role=worker on its port.
server_process start_rpcnet_server(const bench_options& opt, bool as_worker = false);

/// Connects a client to the server process on `port`.
rpc_client connect_to(caf::actor_system& sys, const bench_options& opt, int port);

/// Runs rpcnet-grpc-bench (next to this program) with `args` plus the
/// common options and returns what it printed; nullopt when not built.
std::optional<std::string> run_grpc_baseline(const std::string& args, const bench_options& opt);

/// A number from a one-line JSON object printed by a baseline.
double json_number(const std::string& json, const std::string& key);

/// The rpcnet server process: echo (unary), subscribe and chat (streaming).
/// With `metadata` > 0 echo fails every call that does not carry exactly
/// that many of the benchmark's pairs. With `metrics` the server counts
/// into a metrics registry.
int serve(const std::string& certs, std::optional<int> cpu, const std::string& handler,
          bool as_worker, size_t metadata, bool metrics);

/// `rpcnet-bench gossip`: the SWIM simulator.
struct gossip_options {
  size_t nodes = 100;
  double loss = 0;
  double minutes = 10;
  uint64_t seed = 1;
  bool json = false;
};

int run_gossip(const gossip_options& opt);

/// `rpcnet-bench scrape`: a director's admin address with N members.
struct scrape_options {
  size_t members = 100;
  size_t scrapes = 50;
  std::string certs = "certs";
  bool json = false;
};

int run_scrape(const scrape_options& opt);
int run_unary(const bench_options& opt);
int run_stream(const bench_options& opt);
int run_cluster(const bench_options& opt);
int serve_udp_echo(std::optional<int> cpu);

} // namespace rpcnet::bench
