// A streaming call whose peer breaks the protocol mid-stream ends alone:
// the server resets that stream with a protocol error and counts it, while
// a well-formed streaming call on the same QUIC connection and calls on
// other connections go on. The hostile bytes are written with the transport
// API directly (raw_connection.hpp).
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "call_protocol.hpp"
#include <rpcnet/rpcnet.hpp>
#include <rpcnet/transport/frame_codec.hpp>

#include "raw_connection.hpp"
#include "test_certs.hpp"

using namespace rpcnet;
using namespace std::chrono_literals;
using rpcnet::test::raw_connection;

namespace {

/// The opening of a bidirectional call of `method`, and `messages` DATA
/// frames after it.
byte_buffer bidi_call(uint64_t id, const std::string& method,
                      std::initializer_list<std::string> messages) {
  wire::call_header hdr;
  hdr.kind = wire::call_kind::bidi_streaming;
  hdr.request_id = id;
  hdr.deadline_ms = 5000;
  hdr.method = method;
  byte_buffer out;
  wire::append_call(out, hdr);
  for (auto& m : messages)
    wire::append_data(out, to_bytes(m));
  return out;
}

} // namespace

TEST_CASE("a malformed frame mid-stream ends that stream alone with a protocol error",
          "[stream]") {
  runtime rt;
  rpc_server server{rt.system(), test::server_config()};
  std::atomic<int> handler_saw_protocol{0};
  server.register_streaming("chat", [&](stream_reader& in, stream_writer& out) -> caf::error {
    for (;;) {
      auto msg = in.next();
      if (!msg) {
        if (code_of(msg.error()) == error::protocol)
          ++handler_saw_protocol;
        return std::move(msg.error());
      }
      if (!*msg)
        return {};
      if (auto err = out.write(to_bytes("ack: " + std::string{as_string_view(**msg)}))) {
        // The broken stream may fail the write first: "hi" was taken.
        if (code_of(err) == error::protocol)
          ++handler_saw_protocol;
        return err;
      }
    }
  });
  auto bound = server.bind();
  REQUIRE(bound);
  REQUIRE_FALSE(server.start());
  raw_connection raw{rt.system(), *bound};

  // A message, then a frame of an unknown type, on one stream.
  auto hostile = bidi_call(1, "chat", {"hi"});
  frame_encoder::append(hostile, byte_buffer{0x7f, 1, 2, 3});
  auto bad = raw.open_stream(std::move(hostile), false);
  // A well-formed call on the same connection.
  auto good_bytes = bidi_call(2, "chat", {"still here"});
  frame_encoder::append_end(good_bytes);
  auto good = raw.open_stream(std::move(good_bytes), true);

  const auto& bad_out = raw.await(bad, 5s);
  CHECK(bad_out.reset);
  CHECK(bad_out.reset_code == static_cast<uint64_t>(app_error::protocol));
  const auto& good_out = raw.await(good, 5s);
  REQUIRE(good_out.finished);
  auto statuses = good_out.statuses();
  REQUIRE(statuses.size() == 1);
  CHECK(statuses[0].ok());
  CHECK(server.protocol_errors() == 1);

  auto client = rpc_client::connect(rt.system(), bound->to_string(), test::client_config());
  REQUIRE(client);
  auto chat = client->call_streaming("chat");
  REQUIRE(chat);
  REQUIRE_FALSE(chat->send(to_bytes("other connection")));
  auto reply = chat->next();
  REQUIRE(reply);
  REQUIRE(*reply);
  CHECK(as_string_view(**reply) == "ack: other connection");
  auto until = std::chrono::steady_clock::now() + 5s;
  while (handler_saw_protocol == 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(1ms);
  CHECK(handler_saw_protocol == 1);
}
