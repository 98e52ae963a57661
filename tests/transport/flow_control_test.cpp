// Tests the transport's limits as a caller meets them: payloads larger than
// the 1 MiB stream window and, together, the 16 MiB connection window make
// it through intact (credit is returned as bytes are consumed); the maximum
// frame size is enforced on both sides; and more concurrent calls than the
// server's stream limit all complete, as do many more sequential calls than
// it (stream credit is returned when streams close).
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include <caf/scoped_actor.hpp>

#include <rpcnet/actors/rpc_client.hpp>
#include <rpcnet/actors/runtime.hpp>

#include "echo_server.hpp"
#include "eventually.hpp"

using namespace std::chrono_literals;
using rpcnet::byte_buffer;
using rpcnet::error;
using rpcnet::rpc_client;
using rpcnet::test::describe_reply;
using rpcnet::test::echo_server;
using rpcnet::test::require_connect;
using rpcnet::test::require_echo;

namespace {

constexpr size_t mib = 1024 * 1024;

/// Bytes that differ at every offset, so a reordered or repeated chunk
/// shows.
byte_buffer pattern(size_t size, uint32_t seed) {
  byte_buffer out(size);
  uint32_t x = seed;
  for (auto& b : out) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<uint8_t>(x >> 24);
  }
  return out;
}

/// Issues `payloads.size()` calls of "echo" at once from one actor and
/// checks that each reply equals its request.
void require_concurrent_echoes(caf::actor_system& sys, const rpc_client& client,
                               const std::vector<byte_buffer>& payloads) {
  caf::scoped_actor self{sys};
  std::vector<decltype(self->request(client.actor(), caf::duration{10s}, rpcnet::call_atom::value,
                                     std::string{}, byte_buffer{}))>
    pending;
  for (auto& p : payloads)
    pending.push_back(
      self->request(client.actor(), caf::duration{20s}, rpcnet::call_atom::value,
                    std::string{"echo"}, p));
  for (size_t i = 0; i < pending.size(); ++i) {
    INFO("call " << i << " of " << pending.size());
    pending[i].receive(
      [&](byte_buffer& reply) { CHECK(reply == payloads[i]); },
      [&](caf::error& err) { FAIL_CHECK("call failed: " << rpcnet::describe(err)); });
  }
}

} // namespace

TEST_CASE("a payload larger than the stream window is echoed intact", "[limits]") {
  rpcnet::runtime rt;
  echo_server srv{rt.system()};
  auto client = require_connect(rt.system(), srv.address_text());
  // 3 MiB is three stream windows; 8 MiB - 1 byte is the largest request
  // (the DATA type byte makes it a frame of exactly the maximum size).
  auto size = GENERATE(3 * mib, 8 * mib - 1);
  auto payload = pattern(size, static_cast<uint32_t>(size));
  auto reply = client.call("echo", payload, 20s);
  INFO("payload of " << size << " bytes: " << describe_reply(reply));
  REQUIRE(reply);
  CHECK(reply->size() == payload.size());
  CHECK(*reply == payload);
}

TEST_CASE("concurrent large calls beyond the connection window all complete intact",
          "[limits]") {
  rpcnet::runtime rt;
  echo_server srv{rt.system()};
  auto client = require_connect(rt.system(), srv.address_text());
  // 3 x 6 MiB in flight at once: more than the 16 MiB connection window.
  std::vector<byte_buffer> payloads;
  for (uint32_t i = 0; i < 3; ++i)
    payloads.push_back(pattern(6 * mib, i));
  require_concurrent_echoes(rt.system(), client, payloads);
}

TEST_CASE("a request over the maximum frame size fails with a config error before it is "
          "sent",
          "[limits]") {
  rpcnet::runtime rt;
  echo_server srv{rt.system()};
  auto client = require_connect(rt.system(), srv.address_text());
  auto reply = client.call("echo", byte_buffer(8 * mib), 5s);
  INFO(describe_reply(reply));
  REQUIRE_FALSE(reply);
  CHECK(rpcnet::code_of(reply.error()) == error::config);
  CHECK(srv.stats().stream_protocol_errors == 0);
  // The connection is unharmed.
  auto small = client.call("echo", rpcnet::to_bytes("small"), 5s);
  INFO(describe_reply(small));
  CHECK(small);
}

TEST_CASE("a server with a smaller maximum frame size refuses a larger request with a "
          "protocol error",
          "[limits]") {
  rpcnet::runtime rt;
  constexpr uint32_t server_max = 64 * 1024;
  echo_server srv{rt.system(), rpcnet::test::server_config().with_max_frame_size(server_max)};
  auto client = require_connect(rt.system(), srv.address_text());
  auto reply = client.call("echo", byte_buffer(100 * 1024, 7), 5s);
  INFO(describe_reply(reply));
  REQUIRE_FALSE(reply);
  CHECK(rpcnet::code_of(reply.error()) == error::protocol);
  CHECK_THAT(rpcnet::message_of(reply.error()), Catch::Contains(std::to_string(server_max)));
  INFO("stream_protocol_errors: " << srv.stats().stream_protocol_errors);
  CHECK(rpcnet::test::eventually([&] { return srv.stats().stream_protocol_errors == 1; }));
  // A request within the server's limit still goes through on the same
  // connection.
  auto fits = pattern(server_max - 1, 3);
  auto ok = client.call("echo", fits, 5s);
  INFO(describe_reply(ok));
  REQUIRE(ok);
  CHECK(*ok == fits);
}

TEST_CASE("more concurrent calls than the server's stream limit all complete", "[limits]") {
  rpcnet::runtime rt;
  echo_server srv{rt.system(), rpcnet::test::server_config().with_max_concurrent_streams(4)};
  auto client = require_connect(rt.system(), srv.address_text());
  std::vector<byte_buffer> payloads;
  for (uint32_t i = 0; i < 64; ++i)
    payloads.push_back(pattern(100 + i, i));
  require_concurrent_echoes(rt.system(), client, payloads);
}

TEST_CASE("many more sequential calls than the server's stream limit all complete",
          "[limits]") {
  rpcnet::runtime rt;
  echo_server srv{rt.system(), rpcnet::test::server_config().with_max_concurrent_streams(4)};
  auto client = require_connect(rt.system(), srv.address_text());
  for (int i = 0; i < 100; ++i)
    require_echo(client, "call " + std::to_string(i));
}
