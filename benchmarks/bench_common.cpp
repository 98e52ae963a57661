#include "bench_common.hpp"

#include <rpcnet/cluster/cluster_node.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "support/bench_metadata.hpp"

namespace rpcnet::bench {

std::pair<bench_clock::time_point, bench_clock::time_point>
measurement_window(const bench_options& opt) {
  auto seconds = [](double s) {
    return std::chrono::duration_cast<bench_clock::duration>(std::chrono::duration<double>(s));
  };
  auto from = bench_clock::now() + seconds(opt.warmup);
  return {from, from + seconds(opt.duration)};
}

latency_report make_report(const char* impl, const char* mode, const bench_options& opt) {
  latency_report report;
  report.impl = impl;
  report.mode = mode;
  report.concurrency = opt.concurrency;
  report.payload = opt.payload;
  report.duration_s = opt.duration;
  return report;
}

server_process start_rpcnet_server(const bench_options& opt, bool as_worker) {
  std::vector<std::string> args{"rpcnet-bench", "serve", "--certs", opt.certs, "--handler",
                                opt.handler};
  if (as_worker)
    args.push_back("--worker");
  if (opt.metadata > 0)
    args.insert(args.end(), {"--metadata", std::to_string(opt.metadata)});
  if (opt.metrics)
    args.push_back("--metrics");
  if (opt.cpu)
    args.insert(args.end(), {"--cpu", std::to_string(*opt.cpu)});
  return server_process{args};
}

rpc_client connect_to(caf::actor_system& sys, const bench_options& opt, int port) {
  auto cfg = rpc_config{opt.certs + "/test_cert.pem", "127.0.0.1:0"}
               .with_ca_path(opt.certs + "/ca.pem")
               .with_server_name("localhost");
  if (opt.metrics)
    cfg = cfg.with_metrics(std::make_shared<metrics_registry>());
  auto client = rpc_client::connect(sys, "127.0.0.1:" + std::to_string(port), cfg);
  if (!client)
    throw bench_error("cannot connect: " + describe(client.error()));
  return std::move(*client);
}

std::optional<std::string> run_grpc_baseline(const std::string& args, const bench_options& opt) {
  auto exe = std::filesystem::read_symlink("/proc/self/exe").parent_path() / "rpcnet-grpc-bench";
  if (!std::filesystem::exists(exe)) {
    std::cerr << "rpcnet-bench: " << exe.string()
              << " not built (install libgrpc++-dev); skipping the gRPC baseline\n";
    return std::nullopt;
  }
  std::string cmd = exe.string() + " " + args + " --json --payload " + std::to_string(opt.payload)
                    + " --duration " + std::to_string(opt.duration) + " --warmup "
                    + std::to_string(opt.warmup) + " --cert " + opt.certs + "/test_cert.pem --key "
                    + opt.certs + "/test_key.pem --ca " + opt.certs + "/ca.pem";
  if (opt.cpu)
    cmd += " --cpu " + std::to_string(*opt.cpu);
  std::string out;
  auto* pipe = popen(cmd.c_str(), "r");
  if (!pipe)
    throw bench_error(errno_text("cannot run the gRPC baseline"));
  char buf[512];
  while (fgets(buf, sizeof(buf), pipe))
    out += buf;
  if (pclose(pipe) != 0)
    throw bench_error("the gRPC baseline failed: " + cmd);
  return out;
}

double json_number(const std::string& json, const std::string& key) {
  // A plain search, not std::regex: GCC 12 warns inside <regex> under the
  // sanitizers, and the baseline's flat JSON needs no more than this.
  auto field = "\"" + key + "\":";
  auto at = json.find(field);
  if (at == std::string::npos)
    throw bench_error("the baseline printed no " + key);
  const char* begin = json.c_str() + at + field.size();
  char* end = nullptr;
  double value = std::strtod(begin, &end);
  if (end == begin)
    throw bench_error("the baseline's " + key + " is not a number");
  return value;
}

int serve(const std::string& certs, std::optional<int> cpu, const std::string& handler,
          bool as_worker, size_t metadata, bool metrics) {
  if (cpu)
    pin_to_cpu(*cpu);
  runtime rt;
  auto cfg = rpc_config{certs + "/test_cert.pem", "127.0.0.1:0"}.with_key_path(certs
                                                                             + "/test_key.pem");
  if (metrics)
    cfg = cfg.with_metrics(std::make_shared<metrics_registry>());
  // A worker is a cluster node (membership on the server's port); the
  // plain benchmarks measure a server alone.
  std::unique_ptr<cluster_node> node;
  std::optional<rpc_server> alone;
  if (as_worker) {
    auto opened = cluster_node::open(rt.system(), cfg, cluster_config{}.with_tag("role", "worker"));
    if (!opened) {
      std::cerr << "rpcnet-bench: " << describe(opened.error()) << '\n';
      return 1;
    }
    node = std::move(*opened);
  } else {
    alone.emplace(rt.system(), cfg);
  }
  rpc_server& server = node ? node->server() : *alone;
  auto execution = handler == "pool" ? handler_execution::blocking_pool : handler_execution::actor;
  // One handler whatever --metadata says, so that runs with and without
  // pairs differ only in the pairs. Metadata that went missing or changed
  // size on the way fails the call, so it shows in the client's error count
  // instead of passing unseen.
  server.register_unary(
    "echo",
    [metadata](call_context& ctx, byte_buffer request) -> caf::expected<byte_buffer> {
      const auto& md = ctx.metadata();
      if (md.size() != metadata)
        return make_error(error::remote, "echo expected " + std::to_string(metadata)
                                           + " metadata pairs, got " + std::to_string(md.size()));
      for (const auto& [key, value] : md.entries())
        if (!is_bench_pair(key, value))
          return make_error(error::remote, "echo got metadata pair '" + std::string{key}
                                             + "' that is not one of the benchmark's");
      return request;
    },
    execution);
  // Streams messages of the requested size until the caller cancels.
  server.register_streaming("subscribe", [](stream_reader& in, stream_writer& out) -> caf::error {
    auto req = in.next();
    if (!req || !*req || (*req)->size() != 4)
      return make_error(error::protocol, "subscribe wants a 4-byte message size");
    auto& r = **req;
    auto size = uint32_t{r[0]} | uint32_t{r[1]} << 8 | uint32_t{r[2]} << 16 | uint32_t{r[3]} << 24;
    byte_buffer message(size, uint8_t{0x5a});
    for (;;)
      if (auto err = out.write(message))
        return {};
  });
  // Echoes every message back.
  server.register_streaming("chat", [](stream_reader& in, stream_writer& out) -> caf::error {
    for (;;) {
      auto msg = in.next();
      if (!msg || !*msg)
        return {};
      if (auto err = out.write(**msg))
        return {};
    }
  });
  if (auto err = server.start()) {
    std::cerr << "rpcnet-bench: " << describe(err) << '\n';
    return 1;
  }
  std::printf("%d\n", server.local_address()->port());
  std::fflush(stdout);
  // Runs until the parent's SIGTERM ends the process.
  for (;;)
    pause();
}

} // namespace rpcnet::bench
