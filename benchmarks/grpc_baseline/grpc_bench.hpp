// What the parts of rpcnet-grpc-bench share: the options of its client
// subcommands, the measurement window, the TLS server of the internal
// `serve` process, and running a client against that server in a process
// of its own. grpc_bench.cpp holds the command line; grpc_unary_bench.cpp
// and grpc_stream_bench.cpp the workloads.
#pragma once

#include "support/latency_report.hpp"
#include "support/server_process.hpp"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rpcnet::grpc_bench {

using clock_type = std::chrono::steady_clock;
using error = rpcnet::bench::bench_error;

inline constexpr char program_name[] = "rpcnet-grpc-bench";

// How long the parent waits for the child to report its port, and how long
// a client tolerates a complete standstill before it gives up.
inline constexpr auto server_start_timeout = std::chrono::seconds(15);
inline constexpr auto stall_timeout = std::chrono::seconds(10);

// ---------------------------------------------------------------------------
// Client side
// ---------------------------------------------------------------------------

// The options every client subcommand takes. Empty certificate paths are
// filled in from $RPCNET_CERT_DIR (or certs/) by run_with_server.
struct client_options {
  std::size_t payload = 64;
  double duration_s = 5.0;
  double warmup_s = 1.0;
  bool json = false;
  std::string cert_path;
  std::string key_path;
  std::string ca_path;
  std::optional<int> cpu;
};

struct unary_options : client_options {
  int concurrency = 1;
  // Metadata pairs per call (support/bench_metadata.hpp).
  std::size_t metadata = 0;
};

enum class stream_mode { oneway, pingpong };

struct stream_options : client_options {
  stream_mode mode = stream_mode::oneway;
};

// The measured stretch of a run: the warm-up before it and anything after
// it are driven the same way but not counted.
struct measurement_window {
  clock_type::time_point begin;
  clock_type::time_point end;

  // The window of `options`, starting its warm-up now.
  static measurement_window starting_now(const client_options& options);

  bool contains(clock_type::time_point t) const noexcept {
    return t >= begin && t < end;
  }
};

// gRPC accepts only system_clock time points, which jump with wall-clock
// changes; a monotonic gpr_timespec keeps its timeouts steady like ours.
gpr_timespec grpc_deadline_after(std::chrono::milliseconds delay);

// What a client gets: a TLS channel, already connected, to its own server.
using client_body = std::function<void(const std::shared_ptr<grpc::Channel>& channel)>;

// Starts `serve --rpcs <rpcs> <server_args>` in a process of its own, runs
// `client` against it, and stops the server, failing if it died during the
// run (which would make the measurement meaningless).
void run_with_server(client_options& options, const std::string& rpcs, const client_body& client,
                     const std::vector<std::string>& server_args = {});

// ---------------------------------------------------------------------------
// Server side (the `serve` child process)
// ---------------------------------------------------------------------------

struct server_options {
  int port = 0;
  // Unary: calls that do not carry exactly this many of the benchmark's
  // metadata pairs fail; 0 checks nothing.
  std::size_t metadata = 0;
  std::string cert_path;
  std::string key_path;
  std::optional<int> cpu;
};

struct built_server {
  std::unique_ptr<grpc::Server> server;
  int port = 0;
};

// A TLS server on 127.0.0.1 without message size limits; `add_service`
// registers the workload's service (and completion queues, if it has any)
// before the server is built and started.
built_server build_server(const server_options& options,
                          const std::function<void(grpc::ServerBuilder&)>& add_service);

// Tells the parent where to connect: the one line the server process ever
// writes to stdout.
void announce_port(int port);

// The workloads, one client and one server each.
int run_unary(unary_options options);
int serve_unary(const server_options& options);
int run_stream(stream_options options);
int serve_stream(const server_options& options);

}  // namespace rpcnet::grpc_bench
