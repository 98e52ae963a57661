// The subcommands of `rpcnet` but demo (demo.hpp), each a function from its
// resolved settings to an exit status. main.cpp reads flags and the
// environment into these settings; the functions are the programs.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <rpcnet/cluster/load_balancing_strategy.hpp>
#include <rpcnet/membership/cluster_config.hpp>
#include <rpcnet/transport/socket_address.hpp>

#include "cluster_key_source.hpp"
#include "failure_schedule.hpp"
#include "node_addresses.hpp"
#include "shutdown_signal.hpp"
#include "tls_files.hpp"

namespace rpcnet::cli {

using std::chrono::milliseconds;

/// What the director and the workers share.
struct node_settings {
  tls_flags tls;
  /// Where the node binds and what it gossips as its address.
  node_addresses where;
  /// How long shutdown waits for calls in flight.
  milliseconds grace{5'000};
  /// The cluster key gossip is sealed with (none: --insecure-gossip).
  gossip_key key;
  /// The admin HTTP address (/metrics, /healthz, /readyz, the dashboard);
  /// empty: none.
  std::string metrics_address;
  /// Gossip timings and limits (--gossip-interval-ms and the others).
  swim_config swim;
  /// Where SIGHUP comes from, which reloads the key file and the TLS files;
  /// none: no reloading.
  shutdown_signal* signals = nullptr;
  /// Received datagrams waiting for membership at most.
  size_t max_pending_datagrams = cluster_config{}.max_pending_datagrams;
};

struct director_settings {
  load_balancing_strategy strategy = default_load_balancing_strategy;
  /// How often the worker pool is printed.
  milliseconds pool_interval{10'000};
  node_settings node;
};

struct worker_settings {
  /// The directors (or other seeds) to join through: any one alive will do.
  std::vector<socket_address> directors;
  std::string label;
  bool simulate_failures = false;
  failure_phases phases;
  /// The time a task takes (the Rust RpcNet sleeps 100 ms).
  milliseconds work{100};
  /// The time between two tokens of a generate stream.
  milliseconds token_interval{100};
  /// How long one join attempt waits for the director before the next.
  milliseconds join_timeout{5'000};
  node_settings node;
};

struct client_settings {
  /// The directors to ask for workers, in the order they are tried.
  std::vector<socket_address> directors;
  tls_flags tls;
  /// Tasks to complete (0: until the duration ends or a signal).
  uint64_t tasks = 0;
  /// Tokens of the generate stream to receive (0: no stream).
  uint64_t tokens = 0;
  /// 0: no limit.
  milliseconds duration{0};
  /// A task not answered after this long also goes to a second worker
  /// (the first answer wins); 0: never.
  milliseconds hedge_after{500};
  milliseconds call_timeout{5'000};
  /// Pause between tasks (the Rust RpcNet waits 1 s).
  milliseconds task_pause{0};
};

/// Which running node `rpcnet members` or `rpcnet stats` asks, and how the
/// answer is printed.
struct query_settings {
  socket_address node;
  tls_flags tls;
  bool json = false;
};

struct members_settings {
  query_settings query;
  bool all = false;
};

/// Which node `rpcnet health` asks about which service.
struct health_settings {
  socket_address node;
  tls_flags tls;
  /// Empty: the whole node.
  std::string service;
  /// Bounds the handshake and the check, each.
  milliseconds timeout{5'000};
};

struct keygen_settings {
  /// The new key file; none: print the key.
  std::optional<std::string> out;
};

int run_director(const director_settings& settings, shutdown_signal& shutdown);
int run_worker(const worker_settings& settings, shutdown_signal& shutdown);
int run_client(const client_settings& settings, shutdown_signal& shutdown);
int run_members(const members_settings& settings);
int run_stats(const query_settings& settings);
int run_health(const health_settings& settings);
int run_keygen(const keygen_settings& settings);

} // namespace rpcnet::cli
