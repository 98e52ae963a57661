// `rpcnet-grpc-bench stream`: the gRPC C++ baseline that `rpcnet-bench
// stream` is compared against -- one streaming call over gRPC with TLS
// between two processes on the same host.
//
//   --mode oneway    one Subscribe stream (server streaming): the server
//                    writes messages of --payload bytes as fast as flow
//                    control allows; reports frames/s and MB/s (payload
//                    bytes, 1 MB = 1e6 bytes).
//   --mode pingpong  one Chat stream (bidirectional): the client sends a
//                    message and waits for its echo before the next one;
//                    reports round trips/s and latency percentiles.
//
// API choice, measured on the 2-core reference machine with client and
// server sharing it (--duration 3, every server API against every client
// API, runs interleaved, medians; another build and benchmark were running
// at the same time, so single runs spread by up to 2x and only the ranking
// is worth keeping):
//   Subscribe, 64 B (9 runs each): callback server writer with a sync client
//     reader ~139k frames/s, callback/async ~128k, callback/callback ~120k,
//     async CQ server writer/sync ~106k, sync server writer/sync ~91k, the
//     other four 78k-97k. At 64 KiB (4 runs each) callback/sync was again
//     ahead, ~6.5k frames/s against 4.4k-6.2k.
//   Chat, 64 B (4 runs each): async CQ server with a sync client ~13.6k
//     round trips/s (p50 45 us), async/async ~10.6k, callback/sync ~9.8k,
//     the other six 6.5k-8.3k.
// The server therefore serves Subscribe with the callback API and Chat with
// the async API in one service, and the client uses the sync API for both.
// Likely why (not measured separately): in each winner the thread that sees
// an operation complete also starts the next one, with no hand-off between
// threads, which on two cores shared by both processes is costly.

#include "echo.grpc.pb.h"
#include "grpc_bench.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace rpcnet::grpc_bench {

namespace {

using rpcnet_bench::Echo;
using rpcnet_bench::Payload;

// ---------------------------------------------------------------------------
// Server (child process)
// ---------------------------------------------------------------------------

// Call is declared with the callback API only so that no method is left to
// the sync API: a single sync method would make the server start a sync
// thread pool that this workload never uses. Unimplemented, it answers
// UNIMPLEMENTED.
using stream_service_base =
    Echo::WithCallbackMethod_Call<Echo::WithCallbackMethod_Subscribe<Echo::WithAsyncMethod_Chat<Echo::Service>>>;

// Writes the same prepared message over and over: the stream ends only when
// a write fails, which is how a client's cancellation (or its deadline)
// shows up on the server.
class subscription final : public grpc::ServerWriteReactor<Payload> {
public:
  explicit subscription(std::size_t size) {
    message_.set_data(std::string(size, 'x'));
    StartWrite(&message_);
  }

  void OnWriteDone(bool ok) override {
    if (ok) {
      StartWrite(&message_);
    } else {
      Finish(grpc::Status::OK);
    }
  }

  void OnDone() override {
    delete this;
  }

private:
  Payload message_;
};

class stream_service final : public stream_service_base {
  grpc::ServerWriteReactor<Payload>* Subscribe(grpc::CallbackServerContext* /*context*/,
                                               const Payload* request) override {
    return new subscription(request->reply_size());
  }
};

// One Chat call on the async API, from acceptance to its final status; it
// is its own completion queue tag and deletes itself when the call is over.
class chat_call {
public:
  chat_call(stream_service& service, grpc::ServerCompletionQueue& queue) : service_(service), queue_(queue) {
    service_.RequestChat(&context_, &stream_, &queue_, &queue_, this);
  }

  void proceed(bool ok) {
    switch (state_) {
    case state::accepting:
      if (!ok) {  // the server is shutting down
        delete this;
        return;
      }
      // Accept the next call before serving this one, so a new call never
      // waits for this one to end.
      new chat_call(service_, queue_);
      read();
      return;
    case state::reading:
      if (!ok) {  // the client has sent its last message
        finish();
        return;
      }
      state_ = state::writing;
      stream_.Write(message_, this);
      return;
    case state::writing:
      if (ok) {
        read();
      } else {
        finish();
      }
      return;
    case state::finishing:
      delete this;
      return;
    }
  }

private:
  enum class state { accepting, reading, writing, finishing };

  void read() {
    state_ = state::reading;
    stream_.Read(&message_, this);
  }

  void finish() {
    state_ = state::finishing;
    stream_.Finish(grpc::Status::OK, this);
  }

  stream_service& service_;
  grpc::ServerCompletionQueue& queue_;
  grpc::ServerContext context_;
  grpc::ServerAsyncReaderWriter<Payload, Payload> stream_{&context_};
  Payload message_;
  state state_ = state::accepting;
};

// ---------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------

// Ends a stream whose server has stalled; with the sync API a blocked read
// has no other way out.
gpr_timespec stream_deadline(const stream_options& options) {
  return grpc_deadline_after(std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::duration<double>(options.warmup_s + options.duration_s) + stall_timeout));
}

std::string describe(const grpc::Status& status) {
  return status.error_message() + " (code " + std::to_string(static_cast<int>(status.error_code())) + ")";
}

void check_size(const Payload& message, const stream_options& options, const char* rpc) {
  if (message.data().size() != options.payload) {
    throw error(std::string(rpc) + " delivered " + std::to_string(message.data().size()) +
                " bytes, expected " + std::to_string(options.payload));
  }
}

// The number of messages that arrived within the measurement window.
std::uint64_t measure_oneway(Echo::Stub& stub, const stream_options& options) {
  Payload request;
  request.set_reply_size(static_cast<std::uint32_t>(options.payload));
  grpc::ClientContext context;
  context.set_deadline(stream_deadline(options));
  auto const window = measurement_window::starting_now(options);
  auto reader = stub.Subscribe(&context, request);

  Payload message;
  std::uint64_t frames = 0;
  bool window_over = false;
  while (!window_over && reader->Read(&message)) {
    auto const now = clock_type::now();
    check_size(message, options, "Subscribe");
    frames += window.contains(now) ? 1 : 0;
    window_over = now >= window.end;
  }
  if (!window_over) {
    throw error("the Subscribe stream ended early: " + describe(reader->Finish()));
  }
  // Cancelling is how a subscriber says it has had enough. The messages
  // already on their way then fail fast, and must be drained before Finish.
  context.TryCancel();
  while (reader->Read(&message)) {
  }
  reader->Finish();
  return frames;
}

// The latency of each round trip that started within the measurement window.
std::vector<std::uint64_t> measure_pingpong(Echo::Stub& stub, const stream_options& options) {
  Payload request;
  request.set_data(std::string(options.payload, 'x'));
  grpc::ClientContext context;
  context.set_deadline(stream_deadline(options));
  auto stream = stub.Chat(&context);
  auto const window = measurement_window::starting_now(options);

  std::vector<std::uint64_t> latencies_ns;
  // Room for ~50k round trips/s keeps reallocation out of the measured loop
  // of ordinary runs; the cap keeps long runs from reserving memory up front.
  latencies_ns.reserve(static_cast<std::size_t>(std::min(options.duration_s * 50000.0, 1e7)));

  Payload echo;
  for (auto started = clock_type::now(); started < window.end; started = clock_type::now()) {
    if (!stream->Write(request) || !stream->Read(&echo)) {
      throw error("the Chat stream ended early: " + describe(stream->Finish()));
    }
    auto const now = clock_type::now();
    check_size(echo, options, "Chat");
    if (window.contains(started)) {
      latencies_ns.push_back(
          static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - started).count()));
    }
  }
  stream->WritesDone();
  if (grpc::Status const status = stream->Finish(); !status.ok()) {
    throw error("the Chat stream failed: " + describe(status));
  }
  return latencies_ns;
}

void report_oneway(const stream_options& options, std::uint64_t frames) {
  double const frames_per_s = static_cast<double>(frames) / options.duration_s;
  double const mb_per_s = frames_per_s * static_cast<double>(options.payload) / 1e6;
  if (options.json) {
    std::printf("{\"impl\":\"grpc\",\"mode\":\"stream-oneway\",\"payload\":%zu,\"duration_s\":%.3f,"
                "\"frames_per_s\":%.1f,\"mb_per_s\":%.2f}\n",
                options.payload, options.duration_s, frames_per_s, mb_per_s);
  } else {
    std::printf("grpc     stream-oneway payload=%zuB  %10.0f frames/s  %9.2f MB/s\n", options.payload,
                frames_per_s, mb_per_s);
  }
}

void report_pingpong(const stream_options& options, std::vector<std::uint64_t>& latencies_ns) {
  rpcnet::bench::latency_report out;
  out.impl = "grpc";
  out.mode = "stream-pingpong";
  out.concurrency = 1;
  out.payload = options.payload;
  out.summarize(latencies_ns, options.duration_s);
  if (options.json) {
    // The shared report has no round-trip key; a round trip is one of its
    // calls, so its rate is added under the name the stream reports use.
    std::string json = out.json();
    json.pop_back();
    char round_trips[64];
    std::snprintf(round_trips, sizeof(round_trips), ",\"round_trips_per_s\":%.1f}", out.rps);
    std::printf("%s%s\n", json.c_str(), round_trips);
  } else {
    std::printf("%s\n", out.text().c_str());
  }
}

}  // namespace

int serve_stream(const server_options& options) {
  stream_service service;
  std::unique_ptr<grpc::ServerCompletionQueue> chat_queue;
  auto const built = build_server(options, [&](grpc::ServerBuilder& builder) {
    builder.RegisterService(&service);
    chat_queue = builder.AddCompletionQueue();
  });
  new chat_call(service, *chat_queue);
  announce_port(built.port);

  // Subscribe runs on gRPC's own threads; this one serves Chat, one stream
  // at a time being all the workload opens. The server runs until the
  // parent sends SIGTERM, whose default action ends the process, so the
  // queue is never shut down.
  void* tag = nullptr;
  bool ok = false;
  while (chat_queue->Next(&tag, &ok)) {
    static_cast<chat_call*>(tag)->proceed(ok);
  }
  return 0;
}

int run_stream(stream_options options) {
  if (options.mode == stream_mode::oneway) {
    std::uint64_t frames = 0;
    run_with_server(options, "stream", [&](const std::shared_ptr<grpc::Channel>& channel) {
      frames = measure_oneway(*Echo::NewStub(channel), options);
    });
    report_oneway(options, frames);
  } else {
    std::vector<std::uint64_t> latencies_ns;
    run_with_server(options, "stream", [&](const std::shared_ptr<grpc::Channel>& channel) {
      latencies_ns = measure_pingpong(*Echo::NewStub(channel), options);
    });
    report_pingpong(options, latencies_ns);
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace rpcnet::grpc_bench
