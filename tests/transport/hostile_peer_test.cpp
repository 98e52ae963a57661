// Tests that a server treats stream bytes from the network as hostile
// (docs/architecture.md "Errors", PROTOCOL.md sections 2 and 3): a peer that breaks the
// framing (truncated, oversized, no end frame, bytes after the end frame) or
// the call protocol (unknown frame type, unsupported version, frames out of
// order) on one stream gets a protocol error on that stream -- a STATUS
// frame with error::protocol, or a reset with app_error::protocol -- and the
// server counts it, while a well-formed call on the same QUIC connection and
// a normal rpc_client call on another connection still succeed. The hostile
// bytes are written with the transport API directly (raw_connection.hpp).
#include <catch2/catch.hpp>

#include <atomic>
#include <initializer_list>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "call_protocol.hpp"
#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/transport/frame_codec.hpp>

#include "echo_server.hpp"
#include "eventually.hpp"
#include "raw_connection.hpp"

using rpcnet::byte_buffer;
using rpcnet::frame_encoder;
using rpcnet::test::echo_server;
using rpcnet::test::eventually;
using rpcnet::test::raw_connection;
using rpcnet::test::stream_outcome;
namespace wire = rpcnet::wire;

namespace {

/// Which layer a hostile input breaks, and so which counters must move:
/// the transport's framing (transport().stream_protocol_errors, and
/// protocol_errors() for the error the server answers with) or only the
/// call protocol (protocol_errors()).
enum class broken_layer { framing, call };

/// The server's maximum frame payload (transport_config's default).
constexpr uint32_t max_frame = 8u * 1024 * 1024;

byte_buffer length_prefix(uint32_t length) {
  byte_buffer out(frame_encoder::header_size);
  frame_encoder::write_header(out.data(), length);
  return out;
}

byte_buffer framed(const byte_buffer& payload) {
  byte_buffer out;
  frame_encoder::append(out, payload);
  return out;
}

byte_buffer end_frame() {
  byte_buffer out;
  frame_encoder::append_end(out);
  return out;
}

byte_buffer concat(std::initializer_list<byte_buffer> parts) {
  byte_buffer out;
  for (auto& p : parts)
    out.insert(out.end(), p.begin(), p.end());
  return out;
}

/// The method the hostile requests name: its handler counts its calls, and
/// must never run for a request that is malformed.
constexpr const char* spy_method = "spy";

byte_buffer call_frame(uint64_t request_id, const std::string& method = spy_method) {
  wire::call_header hdr;
  hdr.request_id = request_id;
  hdr.deadline_ms = 5000;
  hdr.method = method;
  return framed(wire::encode_call(hdr));
}

byte_buffer data_frame(const std::string& body) {
  return framed(wire::encode_data(rpcnet::to_bytes(body)));
}

std::string describe(const stream_outcome& out) {
  std::ostringstream os;
  os << out.frames.size() << " frames, finished=" << out.finished << ", reset=" << out.reset
     << " (code " << out.reset_code << "), detail '" << out.detail << "'";
  for (auto& st : out.statuses())
    os << "; STATUS code " << int{st.code} << " request " << st.request_id << " '"
       << st.message << "'";
  return os.str();
}

/// True if the server answered the stream with a protocol error: a STATUS
/// frame with error::protocol and the end frame, or a reset (RESET_STREAM or
/// STOP_SENDING) with app_error::protocol.
bool answered_with_protocol_error(const stream_outcome& out) {
  for (auto& st : out.statuses())
    if (st.code == static_cast<uint8_t>(rpcnet::error::protocol) && out.finished)
      return !st.message.empty();
  return out.reset && out.reset_code == static_cast<uint64_t>(rpcnet::app_error::protocol);
}

/// The reply to raw_connection::echo_call(request_id, body) is complete.
void require_echo_reply(const stream_outcome& out, uint64_t request_id, const std::string& body) {
  INFO("well-formed call: " << describe(out));
  REQUIRE(out.finished);
  CHECK_FALSE(out.reset);
  auto bodies = out.bodies();
  REQUIRE(bodies.size() == 1);
  CHECK(rpcnet::as_string_view(bodies[0]) == body);
  auto statuses = out.statuses();
  REQUIRE(statuses.size() == 1);
  CHECK(statuses[0].ok());
  CHECK(statuses[0].request_id == request_id);
}

/// The counters of `srv` reach exactly the expected values for one hostile
/// stream that broke `layer`.
void require_counted_once(echo_server& srv, broken_layer layer) {
  uint64_t framing = layer == broken_layer::framing ? 1 : 0;
  INFO("protocol_errors() = " << srv.server().protocol_errors()
                              << ", transport().stream_protocol_errors = "
                              << srv.stats().stream_protocol_errors);
  REQUIRE(eventually([&] {
    return srv.server().protocol_errors() >= 1 && srv.stats().stream_protocol_errors >= framing;
  }));
  CHECK(srv.server().protocol_errors() == 1);
  CHECK(srv.stats().stream_protocol_errors == framing);
}

/// The story every test below tells: one QUIC connection carries a hostile
/// stream and a well-formed call side by side while another client calls
/// normally; the hostile stream alone is refused, and counted, and its
/// method's handler never runs. When the hostile stream's CALL frame arrived
/// whole before the breakage, `request_id` is its id, and a STATUS answer
/// must name it (PROTOCOL.md 3: a reply's STATUS echoes the CALL).
void require_refused_while_serving(const byte_buffer& hostile, bool fin, broken_layer layer,
                                   std::optional<uint64_t> request_id = std::nullopt) {
  rpcnet::runtime rt;
  echo_server srv{rt.system()};
  auto spy_calls = std::make_shared<std::atomic<int>>(0);
  srv.server().register_unary(spy_method,
                              [spy_calls](byte_buffer req) -> caf::expected<byte_buffer> {
                                ++*spy_calls;
                                return req;
                              });
  raw_connection raw{rt.system(), srv.address()};
  auto bad = raw.open_stream(hostile, fin);
  auto good = raw.open_stream(raw_connection::echo_call(77, rpcnet::to_bytes("well-formed")),
                              true);
  CHECK(rpcnet::test::serves_a_normal_call(rt.system(), srv));
  auto& bad_out = raw.await(bad);
  INFO("hostile stream: " << describe(bad_out));
  CHECK(answered_with_protocol_error(bad_out));
  if (request_id)
    for (auto& st : bad_out.statuses())
      CHECK(st.request_id == *request_id);
  require_echo_reply(raw.await(good), 77, "well-formed");
  require_counted_once(srv, layer);
  // The connection survived, and still takes calls after the refusal.
  CHECK_FALSE(raw.closed());
  auto again = raw.open_stream(raw_connection::echo_call(78, rpcnet::to_bytes("after")), true);
  require_echo_reply(raw.await(again), 78, "after");
  CHECK(srv.stats().connections_accepted == 2);
  // Two round trips after the hostile stream: a handler spawned for it
  // would have run by now.
  CHECK(*spy_calls == 0);
}

} // namespace

// -- the call protocol ------------------------------------------------------------

TEST_CASE("a frame of an unknown type gets a protocol error while other calls succeed",
          "[hostile]") {
  auto hostile = concat({framed(byte_buffer{0x7F, 1, 2, 3}), end_frame()});
  require_refused_while_serving(hostile, true, broken_layer::call);
}

TEST_CASE("a CALL frame of an unsupported protocol version gets a protocol error",
          "[hostile]") {
  wire::call_header hdr;
  hdr.request_id = 1;
  hdr.deadline_ms = 5000;
  hdr.method = spy_method;
  auto payload = wire::encode_call(hdr);
  payload[1] = 9; // version
  auto hostile = concat({framed(payload), data_frame("x"), end_frame()});
  require_refused_while_serving(hostile, true, broken_layer::call);
}

TEST_CASE("a DATA frame before any CALL frame gets a protocol error", "[hostile]") {
  auto hostile = concat({data_frame("x"), call_frame(1), end_frame()});
  require_refused_while_serving(hostile, true, broken_layer::call);
}

TEST_CASE("a request that ends after its CALL frame gets a protocol error", "[hostile]") {
  auto hostile = concat({call_frame(1), end_frame()});
  require_refused_while_serving(hostile, true, broken_layer::call, 1);
}

TEST_CASE("a request with two DATA frames gets a protocol error", "[hostile]") {
  auto hostile = concat({call_frame(1), data_frame("a"), data_frame("b"), end_frame()});
  require_refused_while_serving(hostile, true, broken_layer::call, 1);
}

// -- the framing ------------------------------------------------------------------

TEST_CASE("a frame truncated by FIN gets a protocol error while other calls succeed",
          "[hostile]") {
  // A prefix claiming 100 bytes, 10 of them, then the end of the stream.
  auto hostile = concat({length_prefix(100), byte_buffer(10, 0xAB)});
  require_refused_while_serving(hostile, true, broken_layer::framing);
}

TEST_CASE("a length prefix over the maximum frame size gets a protocol error at once",
          "[hostile]") {
  // No FIN: the server must refuse on the prefix, not wait for 8 MiB.
  auto hostile = concat({length_prefix(max_frame + 1), byte_buffer(1000, 0xCD)});
  require_refused_while_serving(hostile, false, broken_layer::framing);
}

TEST_CASE("a length prefix of 4 GiB gets a protocol error without the server waiting",
          "[hostile]") {
  require_refused_while_serving(length_prefix(0xFFFFFFFFu), false, broken_layer::framing);
}

TEST_CASE("a stream that ends without an end frame gets a protocol error naming its "
          "request",
          "[hostile]") {
  auto hostile = concat({call_frame(1), data_frame("x")});
  require_refused_while_serving(hostile, true, broken_layer::framing, 1);
}

TEST_CASE("an oversized frame after a valid CALL frame gets a protocol error naming its "
          "request",
          "[hostile]") {
  auto hostile = concat({call_frame(1), length_prefix(max_frame + 1), byte_buffer(1000, 0)});
  require_refused_while_serving(hostile, false, broken_layer::framing, 1);
}

TEST_CASE("bytes after the end frame get a protocol error and the handler never runs",
          "[hostile]") {
  // CALL, DATA and the end frame are a valid request; the byte after them
  // arrives in the same packet, so the server knows the stream is malformed
  // before it answers.
  auto hostile = concat({call_frame(1), data_frame("x"), end_frame(), byte_buffer{0x42}});
  require_refused_while_serving(hostile, true, broken_layer::framing, 1);
}

TEST_CASE("many hostile streams on one connection are each refused and counted",
          "[hostile]") {
  rpcnet::runtime rt;
  echo_server srv{rt.system()};
  raw_connection raw{rt.system(), srv.address()};
  constexpr int n = 64;
  std::vector<uint64_t> tokens;
  for (int i = 0; i < n; ++i) {
    // Alternate a framing error and a call-protocol error.
    auto hostile = i % 2 == 0 ? concat({length_prefix(100), byte_buffer(10, 1)})
                              : concat({framed(byte_buffer{0x7F}), end_frame()});
    tokens.push_back(raw.open_stream(hostile, true));
  }
  auto good = raw.open_stream(raw_connection::echo_call(5, rpcnet::to_bytes("ok")), true);
  for (int i = 0; i < n; ++i) {
    auto& out = raw.await(tokens[static_cast<size_t>(i)]);
    INFO("hostile stream " << i << ": " << describe(out));
    REQUIRE(answered_with_protocol_error(out));
  }
  require_echo_reply(raw.await(good), 5, "ok");
  INFO("protocol_errors() = " << srv.server().protocol_errors()
                              << ", stream_protocol_errors = "
                              << srv.stats().stream_protocol_errors);
  REQUIRE(eventually([&] {
    return srv.server().protocol_errors() >= n && srv.stats().stream_protocol_errors >= n / 2;
  }));
  CHECK(srv.server().protocol_errors() == n);
  CHECK(srv.stats().stream_protocol_errors == n / 2);
  CHECK_FALSE(raw.closed());
  CHECK(rpcnet::test::serves_a_normal_call(rt.system(), srv));
}
