// Methods routed to service actors (rpc_server::register_actor): a typed
// actor answering (call_atom, method, bytes) -> bytes serves the calls, sees
// which method was called, keeps its state across calls, and its error
// replies reach the client with their rpcnet code and message. A service
// that never answers, or has exited, fails the call without leaking it.
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "loopback.hpp"

using namespace rpcnet;
using namespace rpcnet::test;

namespace {

// Every service takes an argument: CAF 0.17 binds a reference to a null
// pointer (UBSan) when a function actor is spawned without arguments.

/// "upper" and "lower" change the case of the request's text; any other
/// method the service is called for fails with unknown_method naming `name`.
service_actor::behavior_type case_service(const std::string& name) {
  return {
    [name](call_atom, std::string& method, byte_buffer& request) -> caf::result<byte_buffer> {
      if (method == "upper") {
        std::transform(request.begin(), request.end(), request.begin(),
                       [](uint8_t c) { return static_cast<uint8_t>(std::toupper(c)); });
        return request;
      }
      if (method == "lower") {
        std::transform(request.begin(), request.end(), request.begin(),
                       [](uint8_t c) { return static_cast<uint8_t>(std::tolower(c)); });
        return request;
      }
      return make_error(error::unknown_method, name + " has no " + method);
    },
  };
}

/// Fails every call with the rpcnet error named by the request's text,
/// with `message` for remote errors.
service_actor::behavior_type failing_service(const std::string& message) {
  return {
    [message](call_atom, std::string&, byte_buffer& request) -> caf::result<byte_buffer> {
      auto what = std::string{as_string_view(request)};
      if (what == "overloaded")
        return make_error(error::overloaded, "busy");
      return make_error(error::remote, message);
    },
  };
}

struct counter_state {
  uint64_t calls = 0;
};

/// Answers the n-th call with "first + n - 1": proves one actor serves
/// every call.
service_actor::behavior_type counting_service(
  service_actor::stateful_pointer<counter_state> self, uint64_t first) {
  self->state.calls = first - 1;
  return {
    [self](call_atom, std::string&, byte_buffer&) -> caf::result<byte_buffer> {
      return to_bytes(std::to_string(++self->state.calls));
    },
  };
}

struct silent_state {
  std::vector<caf::typed_response_promise<byte_buffer>> unanswered;
};

/// Takes every call and never answers it; room for `expected` calls.
service_actor::behavior_type silent_service(service_actor::stateful_pointer<silent_state> self,
                                            size_t expected) {
  self->state.unanswered.reserve(expected);
  return {
    [self](call_atom, std::string&, byte_buffer&) -> caf::result<byte_buffer> {
      auto promise = self->make_response_promise<byte_buffer>();
      self->state.unanswered.push_back(promise);
      return promise;
    },
  };
}

/// Stops `service` and waits (bounded) until it is gone.
bool stop_actor(caf::actor_system& sys, const service_actor& service) {
  caf::scoped_actor self{sys};
  self->monitor(service);
  caf::anon_send_exit(service, caf::exit_reason::user_shutdown);
  bool down = false;
  self->receive([&](caf::down_msg&) { down = true; }, caf::after(patience) >> [] {});
  return down;
}

} // namespace

TEST_CASE("a service actor answers the calls routed to it and sees the method called",
          "[service_actor]") {
  loopback net;
  auto service = net.server_system().spawn(case_service, std::string{"case_service"});
  net.server().register_actor("upper", service);
  net.server().register_actor("lower", service);
  auto client = net.connect();
  auto upper = client.call("upper", to_bytes("Hello"));
  REQUIRE(upper);
  CHECK(as_string_view(*upper) == "HELLO");
  auto lower = client.call("lower", to_bytes("Hello"));
  REQUIRE(lower);
  CHECK(as_string_view(*lower) == "hello");
  CHECK(stop_actor(net.server_system(), service));
}

TEST_CASE("one service actor serves every call, keeping its state between them",
          "[service_actor]") {
  loopback net;
  auto service = net.server_system().spawn(counting_service, uint64_t{1});
  net.server().register_actor("count", service);
  auto client = net.connect();
  for (int n = 1; n <= 5; ++n) {
    auto reply = client.call("count", {});
    REQUIRE(reply);
    CHECK(as_string_view(*reply) == std::to_string(n));
  }
  CHECK(stop_actor(net.server_system(), service));
}

TEST_CASE("a service actor's remote error reaches the client as remote with its message",
          "[service_actor]") {
  loopback net;
  auto service = net.server_system().spawn(failing_service, std::string{"nope"});
  net.server().register_actor("fail", service);
  auto client = net.connect();
  auto reply = client.call("fail", to_bytes("remote"));
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::remote);
  CHECK(message_of(reply.error()) == "nope");
  CHECK(stop_actor(net.server_system(), service));
}

TEST_CASE("a service actor's other rpcnet error reaches the client with its own code",
          "[service_actor]") {
  loopback net;
  auto service = net.server_system().spawn(failing_service, std::string{"nope"});
  net.server().register_actor("fail", service);
  auto client = net.connect();
  auto reply = client.call("fail", to_bytes("overloaded"));
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::overloaded);
  CHECK(message_of(reply.error()) == "busy");
  CHECK(stop_actor(net.server_system(), service));
}

TEST_CASE("a function handler can replace a service actor for a method", "[service_actor]") {
  loopback net;
  auto service = net.server_system().spawn(case_service, std::string{"case_service"});
  net.server().register_actor("upper", service);
  auto client = net.connect();
  auto before = client.call("upper", to_bytes("x"));
  REQUIRE(before);
  CHECK(as_string_view(*before) == "X");
  net.server().register_unary("upper", [](byte_buffer) -> caf::expected<byte_buffer> {
    return to_bytes("function");
  });
  auto after = client.call("upper", to_bytes("x"));
  REQUIRE(after);
  CHECK(as_string_view(*after) == "function");
  CHECK(stop_actor(net.server_system(), service));
}

TEST_CASE("a service actor that never answers fails the call with timeout and the server "
          "forgets the call",
          "[service_actor]") {
  loopback net;
  auto service = net.server_system().spawn(silent_service, size_t{4});
  net.server().register_actor("silent", service);
  net.server().register_unary("echo", echo_handler());
  auto client = net.connect();
  auto start = clock_type::now();
  auto reply = client.call("silent", to_bytes("x"), 300ms);
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::timeout);
  CHECK(elapsed_since(start) < 2'000ms);
  // The server gives up on the service at the caller's deadline.
  CHECK(wait_until([&] { return net.server().in_flight() == 0; }));
  CHECK(client.call("echo", to_bytes("x")));
  CHECK(stop_actor(net.server_system(), service));
}

TEST_CASE("a call to a service actor that has exited fails with remote and the connection "
          "stays usable",
          "[service_actor]") {
  // error::connection means "the connection failed, closed or could not be
  // made"; here the connection is fine, the server's handler is not.
  loopback net;
  auto service = net.server_system().spawn(case_service, std::string{"case_service"});
  net.server().register_actor("upper", service);
  net.server().register_unary("echo", echo_handler());
  REQUIRE(stop_actor(net.server_system(), service));
  auto client = net.connect();
  auto reply = client.call("upper", to_bytes("x"), patience);
  REQUIRE_FALSE(reply);
  INFO("the call failed with: " << describe(reply.error()));
  CHECK(code_of(reply.error()) == error::remote);
  CHECK(wait_until([&] { return net.server().in_flight() == 0; }));
  CHECK(client.call("echo", to_bytes("x")));
}
