// Unary calls end to end over QUIC on loopback, one server and one client:
// payloads arrive byte for byte (empty and 1 MiB included), typed payloads
// round-trip through rpcnet::encode/decode, every way a call can fail
// reaches the caller with the right rpcnet::error code and message, a
// failed or timed-out call leaves the connection usable, and the server's
// handler table and bound address behave as documented.
#include <cstdint>
#include <string>
#include <utility>

#include <boost/serialization/utility.hpp>

#include <caf/sec.hpp>

#include <rpcnet/typed/serialization.hpp>

#include "loopback.hpp"

using namespace rpcnet;
using namespace rpcnet::test;

namespace {

/// A payload whose every byte depends on its position and on `seed`.
byte_buffer patterned_payload(size_t size, uint32_t seed) {
  byte_buffer out(size);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& b : out) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<uint8_t>(x >> 24);
  }
  return out;
}

} // namespace

// -- payloads -----------------------------------------------------------------

TEST_CASE("echo returns the request's bytes unchanged", "[unary]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  net.server().register_unary("echo", echo_handler());
  auto client = net.connect();
  auto request = to_bytes("hello, rpcnet");
  auto reply = client.call("echo", request);
  REQUIRE(reply);
  CHECK(as_string_view(*reply) == "hello, rpcnet");
}

TEST_CASE("echo of an empty payload returns an empty payload", "[unary]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  net.server().register_unary("echo", echo_handler());
  auto client = net.connect();
  auto reply = client.call("echo", byte_buffer{});
  REQUIRE(reply);
  CHECK(reply->empty());
}

TEST_CASE("echo of a 1 MiB payload returns the same 1 MiB", "[unary]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  net.server().register_unary("echo", echo_handler());
  auto client = net.connect();
  auto request = patterned_payload(1024 * 1024, 1);
  auto reply = client.call("echo", request, 10'000ms);
  REQUIRE(reply);
  REQUIRE(reply->size() == request.size());
  bool same = *reply == request;
  CHECK(same);
}

TEST_CASE("add decodes two integers and returns their encoded sum", "[unary]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  net.server().register_unary("add", add_handler);
  auto client = net.connect();
  auto [a, b] = GENERATE(operands{21, 21}, operands{-5, 3}, operands{INT64_MAX - 1, 1},
                         operands{0, 0});
  auto reply = client.call("add", encode(operands{a, b}));
  REQUIRE(reply);
  auto sum = decode<int64_t>(*reply);
  REQUIRE(sum);
  CHECK(*sum == a + b);
}

TEST_CASE("add with a malformed payload fails with the handler's serialization error",
          "[unary]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  net.server().register_unary("add", add_handler);
  auto client = net.connect();
  auto reply = client.call("add", to_bytes("not two integers"));
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::serialization);
  CHECK_FALSE(message_of(reply.error()).empty());
}

// -- failures -----------------------------------------------------------------

TEST_CASE("a call to an unregistered method fails with unknown_method naming it",
          "[unary]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  net.server().register_unary("echo", echo_handler());
  auto client = net.connect();
  auto reply = client.call("no_such_method", to_bytes("x"));
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::unknown_method);
  CHECK(message_of(reply.error()).find("no_such_method") != std::string::npos);
  // The connection is still good.
  CHECK(client.call("echo", to_bytes("x")));
}

TEST_CASE("a handler that returns a remote error fails the call with remote and its "
          "message",
          "[unary]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  net.server().register_unary("fail", [](byte_buffer) -> caf::expected<byte_buffer> {
    return make_error(error::remote, "boom");
  });
  auto client = net.connect();
  auto reply = client.call("fail", to_bytes("x"));
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::remote);
  CHECK(message_of(reply.error()) == "boom");
}

TEST_CASE("a handler that returns another rpcnet error keeps its code and message",
          "[unary]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  net.server().register_unary("busy", [](byte_buffer) -> caf::expected<byte_buffer> {
    return make_error(error::overloaded, "try later");
  });
  auto client = net.connect();
  auto reply = client.call("busy", to_bytes("x"));
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::overloaded);
  CHECK(message_of(reply.error()) == "try later");
}

TEST_CASE("a handler that returns a non-rpcnet error fails the call with remote and the "
          "error's text",
          "[unary]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  net.server().register_unary("fail", [](byte_buffer) -> caf::expected<byte_buffer> {
    return caf::make_error(caf::sec::runtime_error, std::string{"disk on fire"});
  });
  auto client = net.connect();
  auto reply = client.call("fail", to_bytes("x"));
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::remote);
  CHECK(message_of(reply.error()).find("disk on fire") != std::string::npos);
}

TEST_CASE("a handler that throws fails the call with remote and the exception's message",
          "[unary]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  net.server().register_unary("throw", [](byte_buffer) -> caf::expected<byte_buffer> {
    throw std::runtime_error("kaput");
  });
  net.server().register_unary("echo", echo_handler());
  auto client = net.connect();
  auto reply = client.call("throw", to_bytes("x"));
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::remote);
  CHECK(message_of(reply.error()) == "kaput");
  // Neither the server nor the connection suffered.
  CHECK(client.call("echo", to_bytes("still here")));
}

TEST_CASE("a handler that throws a non-standard exception fails the call with remote",
          "[unary]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  net.server().register_unary("throw", [](byte_buffer) -> caf::expected<byte_buffer> {
    throw 42;
  });
  auto client = net.connect();
  auto reply = client.call("throw", to_bytes("x"));
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::remote);
  CHECK_FALSE(message_of(reply.error()).empty());
}

TEST_CASE("a handler slower than the timeout fails with timeout and the connection serves "
          "the next call",
          "[unary]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  auto started = std::make_shared<arrivals>();
  auto release = net.make_gate();
  net.server().register_unary("slow", gated_echo_handler(started, release));
  auto client = net.connect();

  auto start = clock_type::now();
  auto reply = client.call("slow", to_bytes("first"), 200ms);
  auto took = elapsed_since(start);
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::timeout);
  CHECK(took >= 200ms);
  CHECK(took < 2'000ms);
  CHECK(started->count() == 1);

  // The late reply to the first call must not be taken for the next one.
  release->open();
  REQUIRE(wait_until([&] { return net.server().in_flight() == 0; }));
  auto next = client.call("slow", to_bytes("second"), patience);
  REQUIRE(next);
  CHECK(as_string_view(*next) == "second");
}

TEST_CASE("the client's configured call timeout applies to calls without their own",
          "[unary]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  auto started = std::make_shared<arrivals>();
  net.server().register_unary("slow", gated_echo_handler(started, net.make_gate()));
  auto client = net.connect(client_config().with_call_timeout(150ms));
  auto start = clock_type::now();
  auto reply = client.call("slow", to_bytes("x"));
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::timeout);
  CHECK(elapsed_since(start) < 2'000ms);
}

TEST_CASE("the client refuses empty and over-long method names with config before "
          "sending",
          "[unary]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  auto called = std::make_shared<arrivals>();
  net.server().register_unary(std::string(255, 'm'),
                              [called](byte_buffer req) -> caf::expected<byte_buffer> {
                                called->arrive();
                                return req;
                              });
  auto client = net.connect();
  auto empty = client.call("", to_bytes("x"));
  REQUIRE_FALSE(empty);
  CHECK(code_of(empty.error()) == error::config);
  auto too_long = client.call(std::string(256, 'm'), to_bytes("x"));
  REQUIRE_FALSE(too_long);
  CHECK(code_of(too_long.error()) == error::config);
  CHECK(called->count() == 0);
  // 255 bytes is the longest name, and it works.
  CHECK(client.call(std::string(255, 'm'), to_bytes("x")));
  CHECK(called->count() == 1);
}

TEST_CASE("a request larger than the client's maximum frame size fails with config",
          "[unary]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  net.server().register_unary("echo", echo_handler());
  auto client = net.connect(client_config().with_max_frame_size(1024));
  auto reply = client.call("echo", byte_buffer(1024, 0x01));
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::config);
  // One byte less fits: the frame is the payload plus its type byte.
  CHECK(client.call("echo", byte_buffer(1023, 0x01)));
}

TEST_CASE("a request larger than the server's maximum frame size fails with protocol and "
          "is counted",
          "[unary]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind, server_config().with_max_frame_size(4096)};
  net.server().register_unary("echo", echo_handler());
  auto client = net.connect();
  auto reply = client.call("echo", byte_buffer(16 * 1024, 0x01), patience);
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::protocol);
  CHECK(net.server().protocol_errors() + net.server().transport().stream_protocol_errors >= 1);
  // The connection serves calls that fit.
  auto ok = client.call("echo", byte_buffer(100, 0x02), patience);
  CHECK(ok);
}

// -- the handler table --------------------------------------------------------

TEST_CASE("registering a method again replaces its handler for later calls", "[unary]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  net.server().register_unary("version", [](byte_buffer) -> caf::expected<byte_buffer> {
    return to_bytes("v1");
  });
  auto client = net.connect();
  auto first = client.call("version", {});
  REQUIRE(first);
  CHECK(as_string_view(*first) == "v1");
  net.server().register_unary("version", [](byte_buffer) -> caf::expected<byte_buffer> {
    return to_bytes("v2");
  });
  auto second = client.call("version", {});
  REQUIRE(second);
  CHECK(as_string_view(*second) == "v2");
}

TEST_CASE("a method registered while the server runs is callable at once", "[unary]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  auto client = net.connect();
  auto before = client.call("late", to_bytes("x"));
  REQUIRE_FALSE(before);
  CHECK(code_of(before.error()) == error::unknown_method);
  net.server().register_unary("late", echo_handler());
  auto after = client.call("late", to_bytes("x"));
  CHECK(after);
}

TEST_CASE("a call already dispatched keeps the handler it started with", "[unary]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  auto started = std::make_shared<arrivals>();
  auto release = net.make_gate();
  net.server().register_unary("m", gated_echo_handler(started, release));
  auto client = net.connect();
  auto pending = call_in_background(client, "m", to_bytes("old"), patience);
  REQUIRE(started->wait_for(1, patience));
  net.server().register_unary("m", [](byte_buffer) -> caf::expected<byte_buffer> {
    return to_bytes("new");
  });
  release->open();
  REQUIRE(ready_within(pending, patience));
  auto old_reply = pending.get();
  REQUIRE(old_reply);
  CHECK(as_string_view(*old_reply) == "old");
  auto new_reply = client.call("m", to_bytes("x"));
  REQUIRE(new_reply);
  CHECK(as_string_view(*new_reply) == "new");
}

// -- the bound address --------------------------------------------------------

TEST_CASE("binding port 0 picks a free port that local_address() reports", "[unary]") {
  runtime rt;
  rpc_server server{rt.system(), server_config()};
  CHECK_FALSE(server.local_address());
  auto addr = server.bind();
  REQUIRE(addr);
  CHECK(addr->port() != 0);
  CHECK(addr->host() == "127.0.0.1");
  auto reported = server.local_address();
  REQUIRE(reported);
  CHECK(*reported == *addr);
  // Binding again keeps the address.
  auto again = server.bind();
  REQUIRE(again);
  CHECK(*again == *addr);
}

TEST_CASE("two servers bound to port 0 get different ports", "[unary]") {
  runtime rt;
  rpc_server first{rt.system(), server_config()};
  rpc_server second{rt.system(), server_config()};
  auto a = first.bind();
  auto b = second.bind();
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->port() != b->port());
}

TEST_CASE("a server without a readable certificate fails to bind", "[unary]") {
  runtime rt;
  rpc_server server{rt.system(), rpc_config{cert_file("missing.pem"), "127.0.0.1:0"}
                                   .with_key_path(cert_file("test_key.pem"))};
  auto addr = server.bind();
  REQUIRE_FALSE(addr);
  CHECK_FALSE(server.local_address());
}

TEST_CASE("the server counts no calls in flight once every call is answered", "[unary]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  auto started = std::make_shared<arrivals>();
  auto release = net.make_gate();
  net.server().register_unary("gated", gated_echo_handler(started, release));
  auto client = net.connect();
  CHECK(net.server().in_flight() == 0);
  auto pending = call_in_background(client, "gated", to_bytes("x"), patience);
  REQUIRE(started->wait_for(1, patience));
  CHECK(net.server().in_flight() == 1);
  release->open();
  REQUIRE(ready_within(pending, patience));
  CHECK(pending.get());
  CHECK(wait_until([&] { return net.server().in_flight() == 0; }));
}

TEST_CASE("a call its caller cancels fails with cancelled at once and leaves the connection "
          "usable",
          "[unary]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  auto started = std::make_shared<arrivals>();
  auto release = net.make_gate();
  net.server().register_unary("held", gated_echo_handler(started, release));
  net.server().register_unary("echo", [](byte_buffer req) { return caf::expected<byte_buffer>{req}; });
  auto client = net.connect();
  auto held = std::async(std::launch::async, [&client] {
    return client.call("held", to_bytes("slow"), std::chrono::seconds{10}, call_key{42});
  });
  REQUIRE(started->wait_for(1, std::chrono::seconds{5}));
  client.cancel(call_key{41}); // names no call: nothing happens
  client.cancel(call_key{0});  // the key of calls without one: never matches
  CHECK_FALSE(ready_within(held, std::chrono::milliseconds{100}));
  client.cancel(call_key{42});
  REQUIRE(ready_within(held, std::chrono::seconds{2}));
  auto result = held.get();
  REQUIRE_FALSE(result);
  CHECK(code_of(result.error()) == error::cancelled);
  release->open();
  auto reply = client.call("echo", to_bytes("still here"));
  REQUIRE(reply);
  CHECK(as_string_view(*reply) == "still here");
}
