// rpcnet-bench stream: one streaming call's throughput and latency. One way,
// the server streams messages of --payload bytes as fast as the client takes
// them (frames/s, MB/s); ping-pong, the client sends one message on a
// bidirectional stream and waits for its echo (round trips/s, latency).
// --compare runs the gRPC C++ streaming baseline in the same invocation.
#include <cstdio>
#include <iostream>

#include "bench_common.hpp"

namespace rpcnet::bench {

namespace {

struct stream_figures {
  double frames_per_s = 0;
  double mb_per_s = 0;
  latency_report pingpong;
};

void measure_oneway(const rpc_client& client, const bench_options& opt, stream_figures& out) {
  auto size = static_cast<uint32_t>(opt.payload);
  byte_buffer request{static_cast<uint8_t>(size), static_cast<uint8_t>(size >> 8),
                      static_cast<uint8_t>(size >> 16), static_cast<uint8_t>(size >> 24)};
  auto stream = client.call_server_streaming("subscribe", request);
  if (!stream)
    throw bench_error("subscribe: " + describe(stream.error()));
  auto [from, until] = measurement_window(opt);
  uint64_t frames = 0;
  for (auto now = bench_clock::now(); now < until; now = bench_clock::now()) {
    auto msg = stream->next();
    if (!msg || !*msg)
      throw bench_error("the subscription ended: " + (msg ? "cleanly" : describe(msg.error())));
    if (now >= from)
      ++frames;
  }
  stream->cancel();
  out.frames_per_s = static_cast<double>(frames) / opt.duration;
  out.mb_per_s = out.frames_per_s * static_cast<double>(opt.payload) / 1e6;
}

void measure_pingpong(const rpc_client& client, const bench_options& opt, stream_figures& out) {
  auto stream = client.call_streaming("chat");
  if (!stream)
    throw bench_error("chat: " + describe(stream.error()));
  byte_buffer message(opt.payload, uint8_t{0x5a});
  std::vector<uint64_t> latencies;
  auto [from, until] = measurement_window(opt);
  for (auto now = bench_clock::now(); now < until; now = bench_clock::now()) {
    if (auto err = stream->send(message))
      throw bench_error("chat: " + describe(err));
    auto echo = stream->next();
    if (!echo || !*echo)
      throw bench_error("chat ended: " + (echo ? "cleanly" : describe(echo.error())));
    if (now >= from)
      latencies.push_back(static_cast<uint64_t>((bench_clock::now() - now).count()));
  }
  stream->cancel();
  out.pingpong = make_report("rpcnet", "pingpong", opt);
  out.pingpong.concurrency = 1;
  out.pingpong.summarize(latencies, opt.duration);
}

std::string figures_json(const char* impl, const stream_figures& f, const bench_options& opt) {
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "{\"impl\":\"%s\",\"payload\":%zu,\"duration_s\":%.3f,\"frames_per_s\":%.1f,"
                "\"mb_per_s\":%.2f,\"round_trips_per_s\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f,"
                "\"p999_us\":%.1f}",
                impl, opt.payload, opt.duration, f.frames_per_s, f.mb_per_s, f.pingpong.rps,
                f.pingpong.p50_us, f.pingpong.p99_us, f.pingpong.p999_us);
  return buf;
}

void print_text(const char* impl, const stream_figures& f, const bench_options& opt) {
  std::printf("%-8s stream payload=%zuB  one way %10.0f frames/s %9.2f MB/s   ping-pong %8.0f "
              "round trips/s  p50 %7.1fus  p99 %8.1fus\n",
              impl, opt.payload, f.frames_per_s, f.mb_per_s, f.pingpong.rps, f.pingpong.p50_us,
              f.pingpong.p99_us);
}

std::optional<stream_figures> grpc_figures(const bench_options& opt) {
  auto oneway = run_grpc_baseline("stream --mode oneway", opt);
  auto pingpong = run_grpc_baseline("stream --mode pingpong", opt);
  if (!oneway || !pingpong)
    return std::nullopt;
  stream_figures f;
  f.frames_per_s = json_number(*oneway, "frames_per_s");
  f.mb_per_s = json_number(*oneway, "mb_per_s");
  f.pingpong = make_report("grpc", "pingpong", opt);
  f.pingpong.rps = json_number(*pingpong, "round_trips_per_s");
  f.pingpong.p50_us = json_number(*pingpong, "p50_us");
  f.pingpong.p99_us = json_number(*pingpong, "p99_us");
  f.pingpong.p999_us = json_number(*pingpong, "p999_us");
  return f;
}

} // namespace

int run_stream(const bench_options& opt) {
  if (opt.cpu)
    pin_to_cpu(*opt.cpu);
  stream_figures ours;
  {
    auto server = start_rpcnet_server(opt);
    runtime rt;
    auto client = connect_to(rt.system(), opt, server.port());
    measure_oneway(client, opt, ours);
    measure_pingpong(client, opt, ours);
    client.close();
    if (!server.stop())
      throw bench_error("the server process died during the measurement");
  }
  auto grpc = opt.compare ? grpc_figures(opt) : std::nullopt;
  if (opt.json) {
    auto out = figures_json("rpcnet", ours, opt);
    if (grpc) {
      out.pop_back();
      out += ",\"baselines\":{\"grpc\":" + figures_json("grpc", *grpc, opt) + "}";
      out += ",\"frames_vs_grpc\":" + std::to_string(ours.frames_per_s / grpc->frames_per_s);
      out += ",\"round_trips_vs_grpc\":" + std::to_string(ours.pingpong.rps / grpc->pingpong.rps)
             + "}";
    }
    std::cout << out << '\n';
  } else {
    print_text("rpcnet", ours, opt);
    if (grpc) {
      print_text("grpc", *grpc, opt);
      std::printf("rpcnet/grpc: %.2fx frames/s, %.2fx round trips/s\n",
                  ours.frames_per_s / grpc->frames_per_s, ours.pingpong.rps / grpc->pingpong.rps);
    }
  }
  return 0;
}

} // namespace rpcnet::bench
