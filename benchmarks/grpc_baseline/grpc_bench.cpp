// rpcnet-grpc-bench: the gRPC C++ baselines that rpcnet-bench's workloads
// are compared against, over TLS between two processes on the same host.
// This file is its command line; the workloads live in grpc_unary_bench.cpp
// and grpc_stream_bench.cpp.
//
//   rpcnet-grpc-bench unary  [--concurrency C] [--metadata N] [--payload B]
//                            [--duration S] [--warmup S] [--json]
//                            [--cert P] [--key P] [--ca P] [--cpu N]
//   rpcnet-grpc-bench stream --mode oneway|pingpong [--payload B]
//                            [--duration S] [--warmup S] [--json]
//                            [--cert P] [--key P] [--ca P] [--cpu N]
//
// The `serve` subcommand is internal: each workload re-executes this binary
// as `serve --rpcs <workload>` so the server has its own process, like
// rpcnet's server does.

#include "grpc_bench.hpp"
#include "support/bench_metadata.hpp"

#include <CLI/CLI.hpp>

#if __has_include(<absl/synchronization/mutex.h>)
#include <absl/synchronization/mutex.h>
#define RPCNET_GRPC_HAS_ABSL_MUTEX 1
#endif

#include <sched.h>

#include <cstdio>
#include <exception>
#include <string>

namespace {

using namespace rpcnet::grpc_bench;

// The options `unary` and `stream` share, spelled as rpcnet-bench passes
// them when it runs this program next to itself.
void add_client_options(CLI::App& command, client_options& options) {
  command.add_option("--payload", options.payload, "payload bytes per message")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1} << 30));
  command.add_option("--duration", options.duration_s, "measured seconds")->check(CLI::PositiveNumber);
  command.add_option("--warmup", options.warmup_s, "unmeasured seconds before measuring")
      ->check(CLI::NonNegativeNumber);
  command.add_flag("--json", options.json, "print one JSON object instead of a text line");
  command.add_option("--cert", options.cert_path, "server certificate (default $RPCNET_CERT_DIR or certs/)");
  command.add_option("--key", options.key_path, "server private key");
  command.add_option("--ca", options.ca_path, "CA certificate the client trusts");
  command.add_option("--cpu", options.cpu, "pin server and client to this CPU")
      ->check(CLI::Range(0, CPU_SETSIZE - 1));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gRPC C++ echo baselines for rpcnet-bench", program_name};
  app.require_subcommand(1);
  // Shows each option's default in --help, where the usage line cannot.
  app.option_defaults()->always_capture_default();

  unary_options unary_opts;
  auto* unary = app.add_subcommand("unary", "closed-loop unary echo calls over gRPC with TLS");
  unary->add_option("--concurrency", unary_opts.concurrency, "calls in flight at all times")
      ->check(CLI::Range(1, 1 << 20));
  unary->add_option("--metadata", unary_opts.metadata, rpcnet::bench::metadata_help)
      ->check(CLI::Range(std::size_t{0}, rpcnet::bench::max_metadata_pairs));
  add_client_options(*unary, unary_opts);

  stream_options stream_opts;
  std::string stream_mode_name;
  auto* stream = app.add_subcommand("stream", "one streaming call over gRPC with TLS");
  stream
      ->add_option("--mode", stream_mode_name,
                   "oneway: server streaming, frames/s and MB/s; pingpong: bidirectional echo, "
                   "one message in flight, round trips/s and latency")
      ->required()
      ->check(CLI::IsMember({"oneway", "pingpong"}));
  add_client_options(*stream, stream_opts);

  std::string serve_rpcs;
  server_options serve_opts;
  auto* serve = app.add_subcommand("serve", "internal: the server process a workload starts");
  serve->group("");
  serve->add_option("--rpcs", serve_rpcs, "the workload to serve")
      ->required()
      ->check(CLI::IsMember({"unary", "stream"}));
  serve->add_option("--port", serve_opts.port, "port on 127.0.0.1, 0 for any")->check(CLI::Range(0, 65535));
  serve->add_option("--cert", serve_opts.cert_path, "server certificate")->required();
  serve->add_option("--key", serve_opts.key_path, "server private key")->required();
  serve->add_option("--cpu", serve_opts.cpu, "pin to this CPU")->check(CLI::Range(0, CPU_SETSIZE - 1));
  serve->add_option("--metadata", serve_opts.metadata, "unary: metadata pairs every call must carry");

  CLI11_PARSE(app, argc, argv);

#ifdef RPCNET_GRPC_HAS_ABSL_MUTEX
  // Debian builds abseil without NDEBUG, which leaves absl::Mutex deadlock
  // detection on: a debug aid that gRPC's release builds compile out and that
  // shows up as a few percent of gRPC's CPU time. Switching it off makes
  // the baseline reflect gRPC as it is normally deployed.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif

  try {
    if (serve->parsed()) {
      return serve_rpcs == "unary" ? serve_unary(serve_opts) : serve_stream(serve_opts);
    }
    if (stream->parsed()) {
      stream_opts.mode = stream_mode_name == "oneway" ? stream_mode::oneway : stream_mode::pingpong;
      return run_stream(stream_opts);
    }
    return run_unary(unary_opts);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", program_name, e.what());
    return 1;
  }
}
