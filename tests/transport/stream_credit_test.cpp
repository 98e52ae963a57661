// Backpressure at the transport: on a stream in manual credit mode the
// receiver's flow-control credit returns only as its consumer takes frames,
// so a sender facing a consumer that takes nothing stalls after about one
// stream window, and resumes as the consumer takes frames. The sender of a
// manual-credit stream hears how much the peer has acknowledged.
#include <catch2/catch.hpp>

#include <chrono>

#include <caf/scoped_actor.hpp>

#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/transport/endpoint.hpp>
#include <rpcnet/transport/frame_codec.hpp>

#include "raw_connection.hpp"
#include "test_certs.hpp"

using namespace std::chrono_literals;
using namespace rpcnet;
using rpcnet::test::raw_connection;

namespace {

constexpr size_t kib = 1024;
constexpr size_t frame_payload = 64 * kib;
constexpr size_t frame_count = 64; // 4 MiB in all, four stream windows

/// `frame_count` frames of `frame_payload` bytes and the end frame.
byte_buffer upload() {
  byte_buffer out;
  byte_buffer payload(frame_payload, uint8_t{0x33});
  for (size_t i = 0; i < frame_count; ++i)
    frame_encoder::append(out, payload);
  frame_encoder::append_end(out);
  return out;
}

/// A bare server endpoint whose connections all report to `owner`, a
/// blocking actor the test drives by hand.
struct bare_server {
  explicit bare_server(caf::actor_system& sys) : owner(sys) {
    endpoint::options opts;
    opts.on_accept = [this](connection_id, const socket_address&) {
      return caf::actor_cast<caf::actor>(owner);
    };
    auto started = endpoint::start(sys, test::bare_server_config(), std::move(opts));
    REQUIRE(started);
    ep = std::move(*started);
    ep->start_accepting();
  }

  ~bare_server() {
    ep->shutdown();
  }

  /// What arrived on the one stream the test uses.
  struct inbox {
    connection_id conn = 0;
    int64_t stream_id = -1;
    uint64_t frame_bytes = 0; // payloads plus prefixes, end frame excluded
    bool finished = false;
  };

  /// Takes what arrives until `limit` passes without anything new; switches
  /// the stream to manual credit when it first appears.
  void drain(inbox& in, std::chrono::milliseconds quiet) {
    for (bool more = true; more;) {
      more = false;
      owner->receive(
        [&](connection_batch& batch) {
          more = true;
          for (auto& ev : batch.events) {
            if (ev.what != stream_event::kind::frames)
              continue;
            if (in.stream_id < 0) {
              in.conn = batch.conn;
              in.stream_id = ev.stream_id;
              ep->submit(manual_credit_command{in.conn, in.stream_id, 0});
            }
            for (auto& f : ev.frames)
              in.frame_bytes += f.size() + frame_encoder::header_size;
            in.finished = in.finished || ev.finished;
          }
        },
        [&](connection_ready&) { more = true; },
        [&](connection_closed&) {}, caf::after(quiet) >> [] {});
    }
  }

  caf::scoped_actor owner;
  std::shared_ptr<endpoint> ep;
};

} // namespace

TEST_CASE("a consumer that takes nothing stalls the sender after about one window, and "
          "taking frames lets the rest through",
          "[credit]") {
  runtime rt;
  bare_server srv{rt.system()};
  raw_connection client{rt.system(), srv.ep->local_address()};
  auto total = frame_count * (frame_payload + frame_encoder::header_size);
  client.open_stream(upload(), true);

  bare_server::inbox in;
  srv.drain(in, 300ms);
  auto window = transport_config{}.stream_window;
  INFO("held back after " << in.frame_bytes << " of " << total << " bytes");
  // Frames delivered before the switch count as taken, so the peer may have
  // had up to two windows in flight; never the whole upload.
  CHECK(in.frame_bytes >= window / 2);
  CHECK(in.frame_bytes <= 2 * window + frame_payload);
  CHECK_FALSE(in.finished);

  // Take everything as it arrives: the rest flows.
  auto taken = uint64_t{0};
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!in.finished && std::chrono::steady_clock::now() < deadline) {
    srv.ep->submit(consume_command{in.conn, in.stream_id, 0, in.frame_bytes - taken});
    taken = in.frame_bytes;
    srv.drain(in, 50ms);
  }
  CHECK(in.finished);
  CHECK(in.frame_bytes == total);
}

TEST_CASE("the sender of a manual-credit stream hears how much the peer acknowledged",
          "[credit]") {
  runtime rt;
  bare_server srv{rt.system()};
  raw_connection client{rt.system(), srv.ep->local_address()};
  byte_buffer bytes;
  frame_encoder::append(bytes, byte_buffer(256 * kib, uint8_t{1}));
  frame_encoder::append_end(bytes);
  auto size = bytes.size();
  auto token = client.open_stream(std::move(bytes), true, true);
  // The server's owner must keep reading for the acks to come back.
  bare_server::inbox in;
  std::thread reader{[&] { srv.drain(in, 1000ms); }};
  const auto& out = client.await_until(
    token, [&](const auto& o) { return o.acked >= size; }, 10s);
  reader.join();
  CHECK(out.acked == size);
}
