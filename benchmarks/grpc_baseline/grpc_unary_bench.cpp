// rpcnet-grpc-bench: the gRPC C++ baseline that `rpcnet-bench unary` is
// compared against. It measures closed-loop unary echo calls over gRPC with
// TLS between two processes on the same host, reporting throughput and
// latency percentiles in the same shape as rpcnet-bench.
//
//   rpcnet-grpc-bench unary [--concurrency C] [--payload B] [--duration S]
//                           [--warmup S] [--json] [--cert P] [--key P]
//                           [--ca P] [--cpu N]
//
// The `serve` subcommand is internal: `unary` re-executes this binary as
// `serve` so the server has its own process, like rpcnet's server does.

#include "echo.grpc.pb.h"
#include "support/latency_report.hpp"
#include "support/server_process.hpp"

#include <CLI/CLI.hpp>
#include <grpcpp/grpcpp.h>

#if __has_include(<absl/synchronization/mutex.h>)
#include <absl/synchronization/mutex.h>
#define RPCNET_GRPC_HAS_ABSL_MUTEX 1
#endif

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

constexpr char program_name[] = "rpcnet-grpc-bench";

// How long the parent waits for the child to report its port, and how long
// the client tolerates a complete standstill before it gives up.
constexpr auto server_start_timeout = std::chrono::seconds(15);
constexpr auto stall_timeout = std::chrono::seconds(10);

using error = rpcnet::bench::bench_error;
using rpcnet::bench::pin_to_cpu;

std::string read_file(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw error("cannot read " + std::string(what) + " file '" + path + "'");
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// gRPC accepts only system_clock time points, which jump with wall-clock
// changes; a monotonic gpr_timespec keeps its timeouts steady like ours.
gpr_timespec grpc_deadline_after(std::chrono::milliseconds delay) {
  return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                      gpr_time_from_millis(static_cast<std::int64_t>(delay.count()), GPR_TIMESPAN));
}

// ---------------------------------------------------------------------------
// Server (child process)
// ---------------------------------------------------------------------------

// Server API choice: the async CompletionQueue API, each queue drained by
// its own thread, which does the socket I/O and the echo inline. On the
// 2-core reference machine (client and server sharing it) a single such
// thread measured fastest. Medians at C=128, 64 B: async with one thread
// ~49k calls/s, callback API ~43k, async with two threads ~40k, sync API
// ~27k; at C=1 async with one thread was also ahead, if narrowly (5.9k
// against 5.1k-5.7k). Extra server threads only compete with the client for
// the same cores, so the server takes half of the CPUs it may run on, and at
// least one.

// One call from acceptance to reply; serve_queue frees it when the reply
// has gone out (or the server is shutting the call down).
struct server_call {
  grpc::ServerContext context;
  rpcnet_bench::Payload request;
  rpcnet_bench::Payload reply;
  grpc::ServerAsyncResponseWriter<rpcnet_bench::Payload> responder{&context};
  bool replied = false;
};

// Calls accepted ahead of arrival per queue, so a burst of new calls never
// waits for a round trip through the queue before it is matched.
constexpr int preposted_calls_per_queue = 64;

void serve_queue(rpcnet_bench::Echo::AsyncService& service, grpc::ServerCompletionQueue& queue) {
  auto accept_one = [&] {
    auto* call = new server_call;
    service.RequestCall(&call->context, &call->request, &call->responder, &queue, &queue, call);
  };
  for (int i = 0; i < preposted_calls_per_queue; ++i) {
    accept_one();
  }
  void* tag = nullptr;
  bool ok = false;
  while (queue.Next(&tag, &ok)) {
    std::unique_ptr<server_call> call(static_cast<server_call*>(tag));
    if (call->replied || !ok) {
      continue;
    }
    accept_one();
    // From here the queue owns the call until the reply has been sent.
    auto* pending = call.release();
    pending->replied = true;
    // Swapping hands the request bytes to the reply without copying them.
    pending->reply.mutable_data()->swap(*pending->request.mutable_data());
    pending->responder.Finish(pending->reply, grpc::Status::OK, pending);
  }
}

int server_thread_count() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) {
    return 1;
  }
  return std::max(1, CPU_COUNT(&set) / 2);
}

int run_server(int port, const std::string& cert_path, const std::string& key_path,
               std::optional<int> cpu) {
  if (cpu) {
    pin_to_cpu(*cpu);
  }
  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({read_file(key_path, "key"), read_file(cert_path, "certificate")});

  rpcnet_bench::Echo::AsyncService service;
  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(port), grpc::SslServerCredentials(ssl),
                           &selected_port);
  builder.RegisterService(&service);
  builder.SetMaxReceiveMessageSize(-1);
  builder.SetMaxSendMessageSize(-1);

  int const thread_count = server_thread_count();
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> queues;
  for (int i = 0; i < thread_count; ++i) {
    queues.push_back(builder.AddCompletionQueue());
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || selected_port == 0) {
    throw error("cannot listen on 127.0.0.1:" + std::to_string(port));
  }

  std::vector<std::thread> threads;
  for (auto& queue : queues) {
    threads.emplace_back([&service, &queue] { serve_queue(service, *queue); });
  }
  // The parent reads this one line to learn where to connect; it must be the
  // only thing ever written to stdout.
  std::printf("%d\n", selected_port);
  std::fflush(stdout);

  // The server runs until the parent sends SIGTERM, whose default action ends
  // the process; the queues are never shut down, so the joins never return.
  for (auto& thread : threads) {
    thread.join();
  }
  return 0;
}

// ---------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------

struct bench_options {
  int concurrency = 1;
  std::size_t payload = 64;
  double duration_s = 5.0;
  double warmup_s = 1.0;
  bool json = false;
  std::string cert_path;
  std::string key_path;
  std::string ca_path;
  std::optional<int> cpu;
};

struct measurement {
  std::vector<std::uint64_t> latencies_ns;
};

// One of the C slots of the closed loop; each completion immediately refills
// its slot with a new call, keeping exactly C calls in flight.
struct client_call {
  // A ClientContext serves a single call, so it is rebuilt for each one.
  std::optional<grpc::ClientContext> context;
  std::unique_ptr<grpc::ClientAsyncResponseReader<rpcnet_bench::Payload>> reader;
  rpcnet_bench::Payload reply;
  grpc::Status status;
  clock_type::time_point started;
};

measurement run_client(const bench_options& options, int port, const std::string& ca_pem) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ca_pem;
  grpc::ChannelArguments args;
  // The certificate names localhost; connecting by address keeps name
  // resolution out of the picture while the override still verifies it.
  args.SetString(GRPC_SSL_TARGET_NAME_OVERRIDE_ARG, "localhost");
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  auto channel = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port),
                                           grpc::SslCredentials(ssl), args);
  if (!channel->WaitForConnected(grpc_deadline_after(server_start_timeout))) {
    throw error("cannot connect to the gRPC server on 127.0.0.1:" + std::to_string(port));
  }
  auto stub = rpcnet_bench::Echo::NewStub(channel);

  rpcnet_bench::Payload request;
  request.set_data(std::string(options.payload, 'x'));

  // Declared before the calls so it outlives every reader bound to it.
  grpc::CompletionQueue queue;
  std::vector<client_call> calls(static_cast<std::size_t>(options.concurrency));

  auto start_call = [&](client_call& call) {
    call.context.emplace();
    call.reply.Clear();
    call.started = clock_type::now();
    call.reader = stub->PrepareAsyncCall(&*call.context, request, &queue);
    call.reader->StartCall();
    call.reader->Finish(&call.reply, &call.status, &call);
  };

  auto const begin = clock_type::now();
  auto const measure_begin =
      begin + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(options.warmup_s));
  auto const measure_end =
      measure_begin +
      std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(options.duration_s));

  measurement result;
  // Room for ~200k calls/s keeps reallocation out of the measured loop of
  // ordinary runs; the cap keeps long runs from reserving memory up front.
  result.latencies_ns.reserve(static_cast<std::size_t>(std::min(options.duration_s * 200000.0, 1e7)));

  for (auto& call : calls) {
    start_call(call);
  }
  std::size_t in_flight = calls.size();
  std::optional<std::string> failure;
  bool cancelled = false;
  auto last_progress = clock_type::now();

  while (in_flight > 0) {
    void* tag = nullptr;
    bool ok = false;
    auto const next = queue.AsyncNext(&tag, &ok, grpc_deadline_after(std::chrono::seconds(1)));
    auto const now = clock_type::now();
    if (next == grpc::CompletionQueue::TIMEOUT) {
      if (!cancelled && now - last_progress > stall_timeout) {
        failure = failure.value_or("no call completed for " +
                                   std::to_string(stall_timeout.count()) + " s");
        cancelled = true;
        for (auto& call : calls) {
          call.context->TryCancel();
        }
      }
      continue;
    }
    if (next == grpc::CompletionQueue::SHUTDOWN) {
      break;
    }
    last_progress = now;
    --in_flight;
    auto& call = *static_cast<client_call*>(tag);
    if (!failure) {
      if (!ok || !call.status.ok()) {
        failure = "call failed: " + (ok ? call.status.error_message() : std::string("completion queue error")) +
                  " (code " + std::to_string(static_cast<int>(call.status.error_code())) + ")";
      } else if (call.reply.data().size() != options.payload) {
        failure = "echo returned " + std::to_string(call.reply.data().size()) + " bytes, expected " +
                  std::to_string(options.payload);
      }
    }
    if (failure) {
      continue;
    }
    if (now >= measure_begin && now < measure_end) {
      result.latencies_ns.push_back(
          static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - call.started).count()));
    }
    if (now < measure_end) {
      start_call(call);
      ++in_flight;
    }
  }
  queue.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (queue.Next(&tag, &ok)) {
  }
  if (failure) {
    throw error(*failure);
  }
  return result;
}

void report(const bench_options& options, measurement& result) {
  rpcnet::bench::latency_report out;
  out.impl = "grpc";
  out.mode = "unary";
  out.concurrency = static_cast<std::uint64_t>(options.concurrency);
  out.payload = options.payload;
  out.summarize(result.latencies_ns, options.duration_s);
  std::printf("%s\n", options.json ? out.json().c_str() : out.text().c_str());
  std::fflush(stdout);
}

int run_unary(bench_options options) {
  std::string cert_dir = "certs";
  if (char const* env = std::getenv("RPCNET_CERT_DIR"); env != nullptr && *env != '\0') {
    cert_dir = env;
  }
  if (options.cert_path.empty()) {
    options.cert_path = cert_dir + "/test_cert.pem";
  }
  if (options.key_path.empty()) {
    options.key_path = cert_dir + "/test_key.pem";
  }
  if (options.ca_path.empty()) {
    options.ca_path = cert_dir + "/ca.pem";
  }
  // Checked here so a missing file is reported once, by the parent, instead
  // of as a server that never comes up.
  read_file(options.cert_path, "certificate");
  read_file(options.key_path, "key");
  std::string const ca_pem = read_file(options.ca_path, "CA certificate");

  if (options.cpu) {
    pin_to_cpu(*options.cpu);
  }
  // Forked before this process creates any gRPC state or threads.
  std::vector<std::string> args{program_name, "serve", "--port", "0", "--cert", options.cert_path,
                                "--key", options.key_path};
  if (options.cpu) {
    args.insert(args.end(), {"--cpu", std::to_string(*options.cpu)});
  }
  rpcnet::bench::server_process server(std::move(args), server_start_timeout);
  measurement result = run_client(options, server.port(), ca_pem);
  if (!server.stop()) {
    throw error("server process died during the run");
  }
  report(options, result);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gRPC C++ unary echo baseline for rpcnet-bench", program_name};
  app.require_subcommand(1);

  bench_options options;
  auto* unary = app.add_subcommand("unary", "closed-loop unary echo calls over gRPC with TLS");
  unary->add_option("--concurrency", options.concurrency, "calls in flight at all times")
      ->check(CLI::Range(1, 1 << 20));
  unary->add_option("--payload", options.payload, "payload bytes echoed per call")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1} << 30));
  unary->add_option("--duration", options.duration_s, "measured seconds")->check(CLI::PositiveNumber);
  unary->add_option("--warmup", options.warmup_s, "unmeasured seconds before measuring")
      ->check(CLI::NonNegativeNumber);
  unary->add_flag("--json", options.json, "print one JSON object instead of a text line");
  unary->add_option("--cert", options.cert_path, "server certificate (default $RPCNET_CERT_DIR or certs/)");
  unary->add_option("--key", options.key_path, "server private key");
  unary->add_option("--ca", options.ca_path, "CA certificate the client trusts");
  int unary_cpu = 0;
  auto* unary_cpu_option =
      unary->add_option("--cpu", unary_cpu, "pin server and client to this CPU")->check(CLI::Range(0, CPU_SETSIZE - 1));

  int serve_port = 0;
  std::string serve_cert;
  std::string serve_key;
  int serve_cpu = 0;
  auto* serve = app.add_subcommand("serve", "internal: the server process started by `unary`");
  serve->group("");
  serve->add_option("--port", serve_port, "port on 127.0.0.1, 0 for any")->check(CLI::Range(0, 65535));
  serve->add_option("--cert", serve_cert, "server certificate")->required();
  serve->add_option("--key", serve_key, "server private key")->required();
  auto* serve_cpu_option = serve->add_option("--cpu", serve_cpu, "pin to this CPU")->check(CLI::Range(0, CPU_SETSIZE - 1));

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
      return run_server(serve_port, serve_cert, serve_key,
                        serve_cpu_option->count() > 0 ? std::optional<int>(serve_cpu) : std::nullopt);
    }
    if (unary_cpu_option->count() > 0) {
      options.cpu = unary_cpu;
    }
    return run_unary(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", program_name, e.what());
    return 1;
  }
}
