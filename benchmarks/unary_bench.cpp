// rpcnet-bench unary: closed-loop echo calls on one connection with C in
// flight, each carrying --metadata N pairs, next to the gRPC baseline (the
// same pairs) and a bare UDP ping-pong (the floor for one call in flight)
// when asked to compare; with --compare-metrics, rpcnet alone without and
// with metrics in turns.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <iostream>
#include <vector>

#include <caf/all.hpp>

#include "bench_common.hpp"
#include "support/bench_metadata.hpp"

namespace rpcnet::bench {

namespace {

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
                             byte_buffer payload, std::optional<call_options> opts,
                             size_t concurrency, bench_clock::time_point measure_from,
                             bench_clock::time_point until,
                             std::shared_ptr<std::promise<load_result>> done) {
  auto finish_one = [self, done] {
    if (--self->state.active == 0) {
      done->set_value(std::move(self->state.result));
      self->quit();
    }
  };
  self->state.issue = [self, client, payload, opts, measure_from, until, finish_one] {
    auto start = bench_clock::now();
    auto on_reply = [=] {
      auto now = bench_clock::now();
      if (start >= measure_from && now <= until)
        self->state.result.latencies_ns.push_back(static_cast<uint64_t>((now - start).count()));
      if (now < until)
        self->state.issue();
      else
        finish_one();
    };
    auto on_error = [=](caf::error& err) {
      if (self->state.result.errors++ == 0)
        self->state.result.first_error = describe(err);
      finish_one();
    };
    // Without metadata the call takes the message it took before metadata
    // existed, so figures stay comparable with earlier runs.
    if (!opts) {
      self->request(client, caf::infinite, call_atom::value, std::string{"echo"}, payload)
        .then([=](byte_buffer&) { on_reply(); }, on_error);
      return;
    }
    // The options were built once; each call copies them, as any caller
    // that keeps its metadata around would.
    self->request(client, caf::infinite, call_atom::value, std::string{"echo"}, payload, *opts)
      .then([=](call_reply&) { on_reply(); }, on_error);
  };
  self->state.active = concurrency;
  for (size_t i = 0; i < concurrency; ++i)
    self->state.issue();
  return {[](caf::unit_t) {}};
}

/// The options every call carries: none without metadata.
std::optional<call_options> call_options_for(const bench_options& opt) {
  if (opt.metadata == 0)
    return std::nullopt;
  call_options opts;
  for (auto& [key, value] : bench_metadata_pairs(opt.metadata))
    opts.metadata.add(std::move(key), std::move(value));
  return opts;
}

/// A unary report, which says what metadata its calls carried.
latency_report make_unary_report(const char* impl, const bench_options& opt) {
  auto report = make_report(impl, "unary", opt);
  report.metadata_pairs = opt.metadata;
  report.metadata_pair_bytes = metadata_pair_bytes;
  return report;
}

latency_report run_rpcnet_unary(const bench_options& opt) {
  auto server = start_rpcnet_server(opt);
  runtime rt;
  auto client = connect_to(rt.system(), opt, server.port());
  auto done = std::make_shared<std::promise<load_result>>();
  auto fut = done->get_future();
  auto [measure_from, until] = measurement_window(opt);
  rt.system().spawn(load_generator, client.actor(), byte_buffer(opt.payload, uint8_t{0x5a}),
                    call_options_for(opt), opt.concurrency, measure_from, until, done);
  if (fut.wait_until(until + std::chrono::seconds{30}) != std::future_status::ready)
    throw bench_error("the load generator did not finish");
  auto result = fut.get();
  if (result.errors > 0)
    std::cerr << "rpcnet-bench: " << result.errors << " calls failed, first: "
              << result.first_error << '\n';
  auto report = make_unary_report("rpcnet", opt);
  report.errors = result.errors;
  report.summarize(result.latencies_ns, opt.duration);
  client.close();
  if (!server.stop())
    throw bench_error("the server process died during the measurement");
  return report;
}

// -- the UDP ping-pong floor ------------------------------------------------------

latency_report run_udp_pingpong(const bench_options& opt) {
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

std::optional<latency_report> run_grpc_unary(const bench_options& opt) {
  auto out = run_grpc_baseline("unary --concurrency " + std::to_string(opt.concurrency)
                                 + " --metadata " + std::to_string(opt.metadata),
                               opt);
  if (!out)
    return std::nullopt;
  // A baseline that ignored the pairs would make the comparison unfair.
  if (json_number(*out, "metadata_pairs") != static_cast<double>(opt.metadata))
    throw bench_error("the gRPC baseline ran with other metadata: " + *out);
  auto report = make_unary_report("grpc", opt);
  report.calls = static_cast<uint64_t>(json_number(*out, "calls"));
  report.rps = json_number(*out, "rps");
  report.p50_us = json_number(*out, "p50_us");
  report.p99_us = json_number(*out, "p99_us");
  report.p999_us = json_number(*out, "p999_us");
  return report;
}

} // namespace

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

/// Metrics off and on in turns, twice each, so that the machine's drift
/// over the run falls on both alike; the cost is the on runs' calls against
/// the off runs'.
int run_unary_metrics_cost(const bench_options& opt) {
  auto off = opt;
  off.metrics = false;
  auto on = opt;
  on.metrics = true;
  std::vector<latency_report> offs;
  std::vector<latency_report> ons;
  for (int round = 0; round < 2; ++round) {
    offs.push_back(run_rpcnet_unary(off));
    ons.push_back(run_rpcnet_unary(on));
  }
  auto calls = [](const std::vector<latency_report>& runs) {
    uint64_t n = 0;
    for (const auto& r : runs)
      n += r.calls;
    return static_cast<double>(n);
  };
  double ratio = calls(ons) / calls(offs);
  uint64_t errors = 0;
  for (const auto* runs : {&offs, &ons})
    for (const auto& r : *runs)
      errors += r.errors;
  if (opt.json) {
    auto list = [](const std::vector<latency_report>& runs) {
      std::string out = "[";
      for (const auto& r : runs)
        out += r.json() + ",";
      out.back() = ']';
      return out;
    };
    std::cout << "{\"metrics_off\":" << list(offs) << ",\"metrics_on\":" << list(ons)
              << ",\"rps_on_vs_off\":" << ratio << "}\n";
  } else {
    for (size_t i = 0; i < offs.size(); ++i)
      std::cout << "metrics off: " << offs[i].text() << '\n'
                << "metrics on:  " << ons[i].text() << '\n';
    std::cout << "calls/s with metrics / without: " << ratio << " (cost "
              << (1 - ratio) * 100 << " %)\n";
  }
  return errors == 0 ? 0 : 1;
}

int run_unary(const bench_options& opt) {
  if (opt.cpu)
    pin_to_cpu(*opt.cpu);
  if (opt.compare_metrics)
    return run_unary_metrics_cost(opt);
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

} // namespace rpcnet::bench
