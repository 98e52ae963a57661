// rpcnet-bench: throughput and latency of rpcnet between two processes on
// this machine, next to its baselines in the same run.
//
//   rpcnet-bench unary  [--concurrency C] [--payload B] [--duration S]
//                       [--metadata N] [--metrics | --compare-metrics] ...
//   rpcnet-bench stream [--payload B] [--duration S] ...
//   rpcnet-bench gossip [--nodes N] [--loss P] [--minutes M] [--json]
//   rpcnet-bench scrape [--members N] [--scrapes K] [--json]
//
// Common options: --warmup S, --json, --certs DIR, --cpu N, and --compare,
// which also runs the gRPC C++ baseline (rpcnet-grpc-bench, when built) in
// the same invocation (and, for unary, a bare UDP ping-pong). The server
// subcommands are internal: the benchmark re-executes itself so that each
// server has a process of its own.
#include <iostream>

#include <CLI/CLI.hpp>

#include "bench_common.hpp"
#include "support/bench_metadata.hpp"

using namespace rpcnet::bench;

namespace {

/// The options every workload takes.
void add_common_options(CLI::App& cmd, bench_options& opt) {
  cmd.add_option("--payload", opt.payload, "message bytes")->check(CLI::Range(0, 4 << 20));
  cmd.add_option("--duration", opt.duration, "measured seconds")->check(CLI::Range(0.1, 3600.0));
  cmd.add_option("--warmup", opt.warmup, "unmeasured seconds first")->check(CLI::Range(0.0, 600.0));
  cmd.add_flag("--json", opt.json, "print one JSON object");
  cmd.add_flag("--compare", opt.compare, "also run the baselines in the same invocation");
  cmd.add_option("--certs", opt.certs, "directory of test_cert.pem, test_key.pem, ca.pem");
  cmd.add_option("--cpu", opt.cpu, "pin client and servers to this CPU");
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"rpcnet-bench: rpcnet throughput and latency next to its baselines"};
  app.require_subcommand(1);
  bench_options opt;
  auto* unary = app.add_subcommand("unary", "closed-loop unary calls on one connection");
  add_common_options(*unary, opt);
  unary->add_option("--concurrency", opt.concurrency, "calls in flight")->check(CLI::Range(1, 100000));
  unary->add_option("--handler", opt.handler,
                    "where the server runs the echo handler: actor (gRPC's async server runs "
                    "handlers inline too) or pool (the default for handlers that may block)")
    ->check(CLI::IsMember({"actor", "pool"}));
  unary->add_option("--metadata", opt.metadata, metadata_help)
    ->check(CLI::Range(size_t{0}, max_metadata_pairs));
  unary->add_flag("--metrics", opt.metrics,
                  "server and client count calls into a metrics registry");
  unary->add_flag("--compare-metrics", opt.compare_metrics,
                  "run without metrics, then with, and report the cost");
  auto* stream = app.add_subcommand("stream", "one streaming call: server streaming or ping-pong");
  add_common_options(*stream, opt);
  auto* cluster = app.add_subcommand(
    "cluster", "call_worker through the registry next to a direct client to the same worker");
  add_common_options(*cluster, opt);
  cluster->add_option("--concurrency", opt.concurrency, "calling threads")
    ->check(CLI::Range(1, 1024));
  gossip_options gossip_opt;
  auto* gossip = app.add_subcommand("gossip", "SWIM membership in the deterministic simulator");
  gossip->add_option("--nodes", gossip_opt.nodes, "cluster size")->check(CLI::Range(3, 20000));
  gossip->add_option("--loss", gossip_opt.loss, "fraction of datagrams lost (0.05 = 5%)")
    ->check(CLI::Range(0.0, 0.9));
  gossip->add_option("--minutes", gossip_opt.minutes, "virtual minutes of steady state")
    ->check(CLI::Range(0.01, 600.0));
  gossip->add_option("--seed", gossip_opt.seed, "simulation seed");
  gossip->add_flag("--json", gossip_opt.json, "print one JSON object");
  scrape_options scrape_opt;
  auto* scrape = app.add_subcommand(
    "scrape", "a director's /metrics and /api/cluster with N members on loopback");
  scrape->add_option("--members", scrape_opt.members, "cluster size, the director included")
    ->check(CLI::Range(1, 1000));
  scrape->add_option("--scrapes", scrape_opt.scrapes, "scrapes of each page")
    ->check(CLI::Range(1, 100000));
  scrape->add_option("--certs", scrape_opt.certs, "directory of test_cert.pem, test_key.pem");
  scrape->add_flag("--json", scrape_opt.json, "print one JSON object");
  std::string certs = "certs";
  std::optional<int> cpu;
  std::string handler = "actor";
  auto* serve_cmd = app.add_subcommand("serve", "(internal) the rpcnet server")->group("");
  serve_cmd->add_option("--certs", certs);
  serve_cmd->add_option("--cpu", cpu);
  serve_cmd->add_option("--handler", handler);
  bool as_worker = false;
  serve_cmd->add_flag("--worker", as_worker);
  size_t metadata = 0;
  serve_cmd->add_option("--metadata", metadata);
  bool metrics = false;
  serve_cmd->add_flag("--metrics", metrics);
  auto* udp = app.add_subcommand("serve-udp-echo", "(internal) the UDP echo")->group("");
  udp->add_option("--cpu", cpu);
  CLI11_PARSE(app, argc, argv);
  try {
    if (*serve_cmd)
      return serve(certs, cpu, handler, as_worker, metadata, metrics);
    if (*udp)
      return serve_udp_echo(cpu);
    if (*stream)
      return run_stream(opt);
    if (*gossip)
      return run_gossip(gossip_opt);
    if (*scrape)
      return run_scrape(scrape_opt);
    if (*cluster)
      return run_cluster(opt);
    return run_unary(opt);
  } catch (const std::exception& ex) {
    std::cerr << "rpcnet-bench: " << ex.what() << '\n';
    return 1;
  }
}
