// rpcnet-bench: throughput and latency of rpcnet between two processes on
// this machine, next to its baselines in the same run.
//
//   rpcnet-bench unary [--concurrency C] [--payload B] [--duration S]
//                      [--warmup S] [--json] [--certs DIR] [--cpu N]
//                      [--compare]
//
// `unary` runs closed-loop echo calls on one connection with C in flight.
// `--compare` also runs, in the same invocation, the gRPC C++ baseline
// (rpcnet-grpc-bench, when built) and a bare UDP ping-pong, the floor for
// one call in flight. The server subcommands are internal: the benchmark
// re-executes itself so that each server has a process of its own.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <iostream>
#include <optional>
#include <regex>
#include <thread>

#include <CLI/CLI.hpp>
#include <caf/all.hpp>

#include <rpcnet/rpcnet.hpp>

#include "support/latency_report.hpp"
#include "support/server_process.hpp"

namespace {

using namespace rpcnet;
using namespace rpcnet::bench;
using bench_clock = std::chrono::steady_clock;

struct unary_options {
  size_t concurrency = 1;
  size_t payload = 64;
  double duration = 5;
  double warmup = 1;
  bool json = false;
  bool compare = false;
  std::string certs = "certs";
  std::optional<int> cpu;
  /// Where the server runs its echo handler: "pool" or "actor".
  std::string handler = "actor";
};

/// When measuring starts (after the warm-up) and ends, counted from now.
std::pair<bench_clock::time_point, bench_clock::time_point>
measurement_window(const unary_options& opt) {
  auto seconds = [](double s) {
    return std::chrono::duration_cast<bench_clock::duration>(std::chrono::duration<double>(s));
  };
  auto from = bench_clock::now() + seconds(opt.warmup);
  return {from, from + seconds(opt.duration)};
}

/// A report of this run's shape, before its figures are filled in.
latency_report make_report(const char* impl, const char* mode, const unary_options& opt) {
  latency_report report;
  report.impl = impl;
  report.mode = mode;
  report.concurrency = opt.concurrency;
  report.payload = opt.payload;
  report.duration_s = opt.duration;
  return report;
}

// -- the rpcnet server (child process) -----------------------------------------

int serve_unary(const std::string& certs, std::optional<int> cpu, const std::string& handler) {
  if (cpu)
    pin_to_cpu(*cpu);
  runtime rt;
  rpc_server server{rt.system(), rpc_config{certs + "/test_cert.pem", "127.0.0.1:0"}
                                   .with_key_path(certs + "/test_key.pem")};
  server.register_unary(
    "echo", [](byte_buffer request) -> caf::expected<byte_buffer> { return request; },
    handler == "pool" ? handler_execution::blocking_pool : handler_execution::actor);
  if (auto err = server.start()) {
    std::cerr << "rpcnet-bench: " << describe(err) << '\n';
    return 1;
  }
  std::printf("%d\n", server.socket_addr()->port());
  std::fflush(stdout);
  // Runs until the parent's SIGTERM ends the process.
  for (;;)
    pause();
}

// -- the rpcnet client: an actor keeping C calls in flight ---------------------

struct load_result {
  std::vector<uint64_t> latencies_ns;
  uint64_t errors = 0;
  std::string first_error;
};

struct load_state {
  load_result result;
  size_t active = 0;
  /// Issues one call and, on its reply, the next; kept in the state so
  /// the closure does not own itself.
  std::function<void()> issue;
};

caf::behavior load_generator(caf::stateful_actor<load_state>* self, rpc_client_actor client,
                             byte_buffer payload, size_t concurrency,
                             bench_clock::time_point measure_from, bench_clock::time_point until,
                             std::shared_ptr<std::promise<load_result>> done) {
  auto finish_one = [self, done] {
    if (--self->state.active == 0) {
      done->set_value(std::move(self->state.result));
      self->quit();
    }
  };
  self->state.issue = [self, client, payload, measure_from, until, finish_one] {
    auto start = bench_clock::now();
    self->request(client, caf::infinite, call_atom::value, std::string{"echo"}, payload)
      .then(
        [=](byte_buffer&) {
          auto now = bench_clock::now();
          if (start >= measure_from && now <= until)
            self->state.result.latencies_ns.push_back(
              static_cast<uint64_t>((now - start).count()));
          if (now < until)
            self->state.issue();
          else
            finish_one();
        },
        [=](caf::error& err) {
          if (self->state.result.errors++ == 0)
            self->state.result.first_error = describe(err);
          finish_one();
        });
  };
  self->state.active = concurrency;
  for (size_t i = 0; i < concurrency; ++i)
    self->state.issue();
  return {[](caf::unit_t) {}};
}

latency_report run_rpcnet_unary(const unary_options& opt) {
  std::vector<std::string> args{"rpcnet-bench", "serve-unary", "--certs", opt.certs,
                                "--handler", opt.handler};
  if (opt.cpu)
    args.insert(args.end(), {"--cpu", std::to_string(*opt.cpu)});
  server_process server{args};
  runtime rt;
  auto cfg = rpc_config{opt.certs + "/test_cert.pem", "127.0.0.1:0"}
               .with_ca_path(opt.certs + "/ca.pem")
               .with_server_name("localhost");
  auto client = rpc_client::connect(rt.system(), "127.0.0.1:" + std::to_string(server.port()),
                                    cfg);
  if (!client)
    throw bench_error("cannot connect: " + describe(client.error()));
  auto done = std::make_shared<std::promise<load_result>>();
  auto fut = done->get_future();
  auto [measure_from, until] = measurement_window(opt);
  rt.system().spawn(load_generator, client->actor(), byte_buffer(opt.payload, uint8_t{0x5a}),
                    opt.concurrency, measure_from, until, done);
  if (fut.wait_until(until + std::chrono::seconds{30}) != std::future_status::ready)
    throw bench_error("the load generator did not finish");
  auto result = fut.get();
  if (result.errors > 0)
    std::cerr << "rpcnet-bench: " << result.errors << " calls failed, first: "
              << result.first_error << '\n';
  auto report = make_report("rpcnet", "unary", opt);
  report.errors = result.errors;
  report.summarize(result.latencies_ns, opt.duration);
  client->close();
  if (!server.stop())
    throw bench_error("the server process died during the measurement");
  return report;
}

// -- the UDP ping-pong floor ------------------------------------------------------

int serve_udp_echo(std::optional<int> cpu) {
  if (cpu)
    pin_to_cpu(*cpu);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0
      || getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return 1;
  std::printf("%d\n", ntohs(addr.sin_port));
  std::fflush(stdout);
  char buf[65536];
  for (;;) {
    sockaddr_in from{};
    socklen_t flen = sizeof(from);
    auto n = recvfrom(fd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &flen);
    if (n > 0)
      sendto(fd, buf, static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), flen);
  }
}

latency_report run_udp_pingpong(const unary_options& opt) {
  std::vector<std::string> args{"rpcnet-bench", "serve-udp-echo"};
  if (opt.cpu)
    args.insert(args.end(), {"--cpu", std::to_string(*opt.cpu)});
  server_process server{args};
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(server.port()));
  timeval tv{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    throw bench_error(errno_text("udp socket"));
  std::vector<char> buf(std::max<size_t>(opt.payload, 1));
  std::vector<uint64_t> latencies;
  uint64_t lost = 0;
  auto [measure_from, until] = measurement_window(opt);
  for (auto now = bench_clock::now(); now < until; now = bench_clock::now()) {
    auto t0 = bench_clock::now();
    if (send(fd, buf.data(), buf.size(), 0) < 0 || recv(fd, buf.data(), buf.size(), 0) < 0) {
      ++lost;
      continue;
    }
    auto t1 = bench_clock::now();
    if (t0 >= measure_from)
      latencies.push_back(static_cast<uint64_t>((t1 - t0).count()));
  }
  close(fd);
  auto report = make_report("udp", "pingpong", opt);
  report.concurrency = 1;
  report.errors = lost;
  report.summarize(latencies, opt.duration);
  return report;
}

// -- the gRPC baseline, run as a separate program ----------------------------

std::optional<latency_report> run_grpc_unary(const unary_options& opt) {
  auto self_dir = std::filesystem::read_symlink("/proc/self/exe").parent_path();
  auto exe = self_dir / "rpcnet-grpc-bench";
  if (!std::filesystem::exists(exe)) {
    std::cerr << "rpcnet-bench: " << exe.string()
              << " not built (install libgrpc++-dev); skipping the gRPC baseline\n";
    return std::nullopt;
  }
  std::string cmd = exe.string() + " unary --json --concurrency "
                    + std::to_string(opt.concurrency) + " --payload " + std::to_string(opt.payload)
                    + " --duration " + std::to_string(opt.duration) + " --warmup "
                    + std::to_string(opt.warmup) + " --cert " + opt.certs + "/test_cert.pem --key "
                    + opt.certs + "/test_key.pem --ca " + opt.certs + "/ca.pem";
  if (opt.cpu)
    cmd += " --cpu " + std::to_string(*opt.cpu);
  std::string out;
  if (auto* pipe = popen(cmd.c_str(), "r")) {
    char buf[512];
    while (fgets(buf, sizeof(buf), pipe))
      out += buf;
    if (pclose(pipe) != 0)
      throw bench_error("the gRPC baseline failed");
  }
  auto field = [&](const char* key) {
    std::smatch m;
    if (!std::regex_search(out, m, std::regex{std::string{"\""} + key + "\":([0-9.eE+-]+)"}))
      throw bench_error(std::string{"the gRPC baseline printed no "} + key);
    return std::stod(m[1]);
  };
  auto report = make_report("grpc", "unary", opt);
  report.calls = static_cast<uint64_t>(field("calls"));
  report.rps = field("rps");
  report.p50_us = field("p50_us");
  report.p99_us = field("p99_us");
  report.p999_us = field("p999_us");
  return report;
}

int run_unary(const unary_options& opt) {
  if (opt.cpu)
    pin_to_cpu(*opt.cpu);
  auto ours = run_rpcnet_unary(opt);
  std::optional<latency_report> grpc;
  std::optional<latency_report> udp;
  if (opt.compare) {
    grpc = run_grpc_unary(opt);
    udp = run_udp_pingpong(opt);
  }
  if (opt.json) {
    std::string out = ours.json();
    if (opt.compare) {
      out.pop_back();
      out += ",\"baselines\":{";
      if (grpc)
        out += "\"grpc\":" + grpc->json() + ",";
      out += "\"udp_pingpong\":" + udp->json() + "}";
      if (grpc)
        out += ",\"rps_vs_grpc\":" + std::to_string(ours.rps / grpc->rps)
               + ",\"p50_vs_grpc\":" + std::to_string(ours.p50_us / grpc->p50_us);
      out += ",\"p50_vs_udp\":" + std::to_string(ours.p50_us / udp->p50_us) + "}";
    }
    std::cout << out << '\n';
  } else {
    std::cout << ours.text() << '\n';
    if (grpc)
      std::cout << grpc->text() << '\n'
                << "rpcnet/grpc: " << ours.rps / grpc->rps << "x calls/s, "
                << ours.p50_us / grpc->p50_us << "x p50\n";
    if (udp)
      std::cout << udp->text() << '\n'
                << "rpcnet p50 / udp p50: " << ours.p50_us / udp->p50_us << "x\n";
  }
  return ours.errors == 0 ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"rpcnet-bench: rpcnet throughput and latency next to its baselines"};
  app.require_subcommand(1);
  unary_options opt;
  auto* unary = app.add_subcommand("unary", "closed-loop unary calls on one connection");
  unary->add_option("--concurrency", opt.concurrency, "calls in flight")->check(CLI::Range(1, 100000));
  unary->add_option("--payload", opt.payload, "request and reply bytes")->check(CLI::Range(0, 4 << 20));
  unary->add_option("--duration", opt.duration, "measured seconds")->check(CLI::Range(0.1, 3600.0));
  unary->add_option("--warmup", opt.warmup, "unmeasured seconds first")->check(CLI::Range(0.0, 600.0));
  unary->add_flag("--json", opt.json, "print one JSON object");
  unary->add_flag("--compare", opt.compare, "also run the gRPC baseline and a UDP ping-pong");
  unary->add_option("--certs", opt.certs, "directory of test_cert.pem, test_key.pem, ca.pem");
  unary->add_option("--cpu", opt.cpu, "pin client and servers to this CPU");
  unary->add_option("--handler", opt.handler,
                    "where the server runs the echo handler: actor (gRPC's async server runs "
                    "handlers inline too) or pool (the default for handlers that may block)")
    ->check(CLI::IsMember({"actor", "pool"}));
  std::string certs = "certs";
  std::optional<int> cpu;
  auto* serve = app.add_subcommand("serve-unary", "(internal) the echo server")->group("");
  serve->add_option("--certs", certs);
  serve->add_option("--cpu", cpu);
  std::string handler = "actor";
  serve->add_option("--handler", handler);
  auto* udp = app.add_subcommand("serve-udp-echo", "(internal) the UDP echo")->group("");
  udp->add_option("--cpu", cpu);
  CLI11_PARSE(app, argc, argv);
  try {
    if (*serve)
      return serve_unary(certs, cpu, handler);
    if (*udp)
      return serve_udp_echo(cpu);
    return run_unary(opt);
  } catch (const std::exception& ex) {
    std::cerr << "rpcnet-bench: " << ex.what() << '\n';
    return 1;
  }
}
