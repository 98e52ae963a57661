// A peer that starts many large frames and never finishes them cannot make
// a server hold more than transport_config::max_connection_buffered_bytes: the
// server disconnects it, counts it, and goes on serving everyone else.
// Frames that complete, however large together, are not affected.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include <caf/actor_system.hpp>

#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/transport/frame_codec.hpp>

#include "echo_server.hpp"
#include "eventually.hpp"
#include "raw_connection.hpp"

using namespace std::chrono_literals;
using rpcnet::byte_buffer;
using rpcnet::frame_encoder;
using rpcnet::test::echo_server;
using rpcnet::test::eventually;
using rpcnet::test::raw_connection;

namespace {

constexpr size_t mib = 1024 * 1024;

/// The start of a frame that claims `claimed` payload bytes, of which only
/// `sent` follow.
byte_buffer unfinished_frame(uint32_t claimed, size_t sent) {
  byte_buffer out(frame_encoder::header_size + sent, uint8_t{0x02});
  frame_encoder::write_header(out.data(), claimed);
  return out;
}

} // namespace

TEST_CASE("a peer holding more unfinished frame bytes than the limit is disconnected and "
          "the server keeps serving",
          "[limits]") {
  rpcnet::runtime rt;
  echo_server srv{rt.system()};
  raw_connection raw{rt.system(), srv.address()};
  // 24 streams x 3.5 MiB of 8 MiB frames: 84 MiB held against the default
  // limit of 64 MiB; no stream alone breaks a rule.
  for (int i = 0; i < 24; ++i)
    raw.open_stream(unfinished_frame(8 * mib - 1, 3 * mib + mib / 2), false);
  REQUIRE(raw.await_close(20s));
  INFO("close reason: " << raw.close_reason());
  CHECK(raw.close_reason().find("unfinished requests") != std::string::npos);
  // The server publishes its counters once per wake-up, so the client may
  // see the close first.
  CHECK(eventually([&] { return srv.stats().connections_over_buffer_limit == 1; }));

  auto client = rpcnet::test::require_connect(rt.system(), srv.address_text());
  auto reply = client.call("echo", byte_buffer(1000, uint8_t{7}));
  REQUIRE(reply);
  CHECK(reply->size() == 1000);
}

TEST_CASE("unfinished frames under the limit leave the connection open", "[limits]") {
  rpcnet::runtime rt;
  echo_server srv{rt.system()};
  raw_connection raw{rt.system(), srv.address()};
  // 8 MiB held in total, well under the limit; then a well-formed call on
  // the same connection must still be answered.
  for (int i = 0; i < 4; ++i)
    raw.open_stream(unfinished_frame(4 * mib, 2 * mib), false);
  auto token = raw.open_stream(raw_connection::echo_call(1, byte_buffer(16, uint8_t{1})), true);
  const auto& out = raw.await(token, 10s);
  CHECK(out.finished);
  CHECK_FALSE(raw.closed());
  CHECK(srv.stats().connections_over_buffer_limit == 0);
}
