// `rpcnet-grpc-bench unary`: the gRPC C++ baseline that `rpcnet-bench unary`
// is compared against. It measures closed-loop unary echo calls over gRPC
// with TLS between two processes on the same host, reporting throughput and
// latency percentiles in the same shape as rpcnet-bench.

#include "echo.grpc.pb.h"
#include "grpc_bench.hpp"
#include "support/bench_metadata.hpp"

#include <sched.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace rpcnet::grpc_bench {

namespace {

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

// Why the call's metadata is not the `expected` pairs of the benchmark, or
// empty when it is. gRPC adds metadata of its own (user-agent and the
// like), so only the benchmark's keys are counted.
std::string metadata_problem(const grpc::ServerContext& context, std::size_t expected) {
  std::size_t found = 0;
  for (auto const& [key, value] : context.client_metadata()) {
    std::string_view const k{key.data(), key.size()};
    if (!k.starts_with(rpcnet::bench::metadata_key_prefix)) {
      continue;
    }
    if (!rpcnet::bench::is_bench_pair(k, std::string_view{value.data(), value.size()})) {
      return "metadata pair '" + std::string(k) + "' is not one of the benchmark's";
    }
    ++found;
  }
  if (found != expected) {
    return "expected " + std::to_string(expected) + " metadata pairs, got " + std::to_string(found);
  }
  return {};
}

void serve_queue(rpcnet_bench::Echo::AsyncService& service, grpc::ServerCompletionQueue& queue,
                 std::size_t metadata) {
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
    // Metadata lost or altered on the way fails the call, which the client
    // reports instead of a figure.
    if (metadata > 0) {
      if (auto why = metadata_problem(pending->context, metadata); !why.empty()) {
        pending->responder.FinishWithError(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, why), pending);
        continue;
      }
    }
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

// ---------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------

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

std::vector<std::uint64_t> run_client(const unary_options& options, const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = rpcnet_bench::Echo::NewStub(channel);

  rpcnet_bench::Payload request;
  request.set_data(std::string(options.payload, 'x'));
  // Built once; each call's fresh context copies them in, as rpcnet's
  // calls copy their options.
  auto const metadata = rpcnet::bench::bench_metadata_pairs(options.metadata);

  // Declared before the calls so it outlives every reader bound to it.
  grpc::CompletionQueue queue;
  std::vector<client_call> calls(static_cast<std::size_t>(options.concurrency));

  auto start_call = [&](client_call& call) {
    call.context.emplace();
    for (auto const& [key, value] : metadata) {
      call.context->AddMetadata(key, value);
    }
    call.reply.Clear();
    call.started = clock_type::now();
    call.reader = stub->PrepareAsyncCall(&*call.context, request, &queue);
    call.reader->StartCall();
    call.reader->Finish(&call.reply, &call.status, &call);
  };

  auto const window = measurement_window::starting_now(options);

  std::vector<std::uint64_t> latencies_ns;
  // Room for ~200k calls/s keeps reallocation out of the measured loop of
  // ordinary runs; the cap keeps long runs from reserving memory up front.
  latencies_ns.reserve(static_cast<std::size_t>(std::min(options.duration_s * 200000.0, 1e7)));

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
    if (window.contains(now)) {
      latencies_ns.push_back(
          static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - call.started).count()));
    }
    if (now < window.end) {
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
  return latencies_ns;
}

}  // namespace

int serve_unary(const server_options& options) {
  rpcnet_bench::Echo::AsyncService service;
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> queues;
  auto const built = build_server(options, [&](grpc::ServerBuilder& builder) {
    builder.RegisterService(&service);
    for (int i = server_thread_count(); i > 0; --i) {
      queues.push_back(builder.AddCompletionQueue());
    }
  });

  std::vector<std::thread> threads;
  for (auto& queue : queues) {
    threads.emplace_back([&service, &queue, &options] { serve_queue(service, *queue, options.metadata); });
  }
  announce_port(built.port);

  // The server runs until the parent sends SIGTERM, whose default action ends
  // the process; the queues are never shut down, so the joins never return.
  for (auto& thread : threads) {
    thread.join();
  }
  return 0;
}

int run_unary(unary_options options) {
  std::vector<std::uint64_t> latencies_ns;
  std::vector<std::string> server_args;
  if (options.metadata > 0) {
    server_args = {"--metadata", std::to_string(options.metadata)};
  }
  run_with_server(
      options, "unary",
      [&](const std::shared_ptr<grpc::Channel>& channel) { latencies_ns = run_client(options, channel); },
      server_args);

  rpcnet::bench::latency_report out;
  out.impl = "grpc";
  out.mode = "unary";
  out.concurrency = static_cast<std::uint64_t>(options.concurrency);
  out.payload = options.payload;
  out.metadata_pairs = options.metadata;
  out.metadata_pair_bytes = rpcnet::bench::metadata_pair_bytes;
  out.summarize(latencies_ns, options.duration_s);
  std::printf("%s\n", options.json ? out.json().c_str() : out.text().c_str());
  std::fflush(stdout);
  return 0;
}

}  // namespace rpcnet::grpc_bench
