// Callers that are actors themselves: they request (call_atom, method,
// bytes[, timespan]) from rpc_client::actor() and get the reply or the
// error as a response. Covers forwarding a result or an error, a call's
// own timeout against the configured one, and the readiness query.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <boost/serialization/utility.hpp>

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include <rpcnet/typed/serialization.hpp>

#include "loopback.hpp"

using namespace rpcnet;
using namespace rpcnet::test;

namespace {

/// Spawns an actor that calls `method` through `connection` -- with its own
/// timeout if `timeout` is set -- and forwards the reply (byte_buffer) or
/// the failure (caf::error) to `reply_to`.
void spawn_forwarding_caller(caf::actor_system& sys, rpc_client_actor connection,
                             std::string method, byte_buffer request, caf::actor reply_to,
                             std::optional<caf::timespan> timeout = std::nullopt) {
  // The call's inputs are spawn arguments: CAF 0.17 binds a reference to a
  // null pointer (UBSan) when a function actor gets none.
  sys.spawn([](caf::event_based_actor* self, rpc_client_actor connection, std::string method,
               byte_buffer request, caf::actor reply_to, std::optional<caf::timespan> timeout) {
    auto on_reply = [self, reply_to](byte_buffer& reply) { self->send(reply_to, reply); };
    auto on_error = [self, reply_to](caf::error& err) { self->send(reply_to, err); };
    // The request's own CAF timeout is generous: the call's deadline is
    // the connection actor's to enforce.
    if (timeout)
      self->request(connection, std::chrono::seconds{10}, call_atom::value, method, request,
                    *timeout)
        .then(on_reply, on_error);
    else
      self->request(connection, std::chrono::seconds{10}, call_atom::value, method, request)
        .then(on_reply, on_error);
  }, std::move(connection), std::move(method), std::move(request), std::move(reply_to), timeout);
}

/// Waits (bounded) for what a forwarding caller sends back.
caf::expected<byte_buffer> receive_forwarded(caf::scoped_actor& self) {
  caf::expected<byte_buffer> result{make_error(error::timeout, "the caller forwarded nothing")};
  self->receive([&](byte_buffer& reply) { result = std::move(reply); },
                [&](caf::error& err) { result = std::move(err); },
                caf::after(patience) >> [] {});
  return result;
}

} // namespace

TEST_CASE("an actor calls a method through the client's actor and forwards the reply",
          "[actor_caller]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  net.server().register_unary("add", add_handler);
  auto client = net.connect();
  caf::scoped_actor self{net.client_system()};
  spawn_forwarding_caller(net.client_system(), client.actor(), "add", encode(operands{2, 40}),
                          caf::actor_cast<caf::actor>(self));
  auto reply = receive_forwarded(self);
  REQUIRE(reply);
  auto sum = decode<int64_t>(*reply);
  REQUIRE(sum);
  CHECK(*sum == 42);
}

TEST_CASE("an actor's call fails with the server's error as an error response",
          "[actor_caller]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  net.server().register_unary("fail", [](byte_buffer) -> caf::expected<byte_buffer> {
    return make_error(error::remote, "boom");
  });
  auto client = net.connect();
  caf::scoped_actor self{net.client_system()};
  spawn_forwarding_caller(net.client_system(), client.actor(), "fail", {},
                          caf::actor_cast<caf::actor>(self));
  auto reply = receive_forwarded(self);
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::remote);
  CHECK(message_of(reply.error()) == "boom");
}

TEST_CASE("an actor's call with its own timespan fails with timeout after that timespan",
          "[actor_caller]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  auto started = std::make_shared<arrivals>();
  net.server().register_unary("slow", gated_echo_handler(started, net.make_gate()));
  auto client = net.connect();
  caf::scoped_actor self{net.client_system()};
  auto start = clock_type::now();
  spawn_forwarding_caller(net.client_system(), client.actor(), "slow", to_bytes("x"),
                          caf::actor_cast<caf::actor>(self),
                          caf::timespan{std::chrono::milliseconds{150}});
  auto reply = receive_forwarded(self);
  auto took = elapsed_since(start);
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::timeout);
  CHECK(took >= 150ms);
  CHECK(took < 2'000ms);
}

TEST_CASE("a call's own timespan overrides the configured call timeout", "[actor_caller]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  auto started = std::make_shared<arrivals>();
  net.server().register_unary("slow", sleeping_echo_handler(300ms, started));
  auto client = net.connect(client_config().with_call_timeout(100ms));
  caf::scoped_actor self{net.client_system()};
  auto me = caf::actor_cast<caf::actor>(self);

  SECTION("without a timespan the configured 100 ms apply") {
    spawn_forwarding_caller(net.client_system(), client.actor(), "slow", to_bytes("x"), me);
    auto reply = receive_forwarded(self);
    REQUIRE_FALSE(reply);
    CHECK(code_of(reply.error()) == error::timeout);
  }
  SECTION("with a timespan of 2 s the 300 ms handler's reply arrives") {
    spawn_forwarding_caller(net.client_system(), client.actor(), "slow", to_bytes("x"), me,
                            caf::timespan{std::chrono::seconds{2}});
    auto reply = receive_forwarded(self);
    REQUIRE(reply);
    CHECK(as_string_view(*reply) == "x");
  }
}

TEST_CASE("a connected client's actor answers the readiness query with true",
          "[actor_caller]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  auto client = net.connect();
  caf::scoped_actor self{net.client_system()};
  bool ready = false;
  caf::error failure;
  self->request(client.actor(), patience, connect_atom::value)
    .receive([&](bool value) { ready = value; }, [&](caf::error& err) { failure = err; });
  CHECK_FALSE(failure);
  CHECK(ready);
}
