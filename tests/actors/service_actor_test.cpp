// Methods routed to service actors (rpc_server::register_actor): a typed
// actor answering (call_atom, method, bytes) -> bytes serves the calls, sees
// which method was called, keeps its state across calls, and its error
// replies reach the client with their rpcnet code and message. A service
// that never answers, or has exited, fails the call without leaking it.
// A context service actor reads each call's metadata and deadline, sets
// trailers, and is told by message when the caller cancels, runs out of
// time or goes away.
#include <algorithm>
#include <cctype>
#include <future>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "loopback.hpp"
#include "raw_peers.hpp"

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

/// Answers with the caller's "tenant" metadata and the milliseconds left
/// of its deadline ("blue 1998"), and puts the method in a trailer.
context_service_actor::behavior_type tenant_service(context_service_actor::pointer,
                                                    const std::string& trailer_key) {
  return {
    [trailer_key](call_atom, std::string& method, byte_buffer&,
                  call_context& ctx) -> caf::result<byte_buffer> {
      ctx.trailers().add(trailer_key, method);
      auto tenant = ctx.metadata().get("tenant").value_or("none");
      if (!ctx.deadline())
        return to_bytes(std::string{tenant} + " none");
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(ctx.remaining());
      return to_bytes(std::string{tenant} + " " + std::to_string(left.count()));
    },
    [](cancel_atom, uint64_t) {},
  };
}

/// Fails every call with overloaded, details and a "retry-after" trailer.
context_service_actor::behavior_type busy_service(context_service_actor::pointer,
                                                  const std::string& retry_after) {
  return {
    [retry_after](call_atom, std::string&, byte_buffer&,
                  call_context& ctx) -> caf::result<byte_buffer> {
      ctx.trailers().add("retry-after", retry_after);
      return make_error(error::overloaded, "busy", byte_buffer{4, 2});
    },
    [](cancel_atom, uint64_t) {},
  };
}

/// What a holding service saw, for the test thread to read.
struct service_log {
  std::mutex mtx;
  /// The ids of the calls that arrived, and those cancellations named.
  std::vector<uint64_t> calls;
  std::vector<uint64_t> cancels;
  /// Why the first cancelled call was cancelled, as its context says.
  caf::error cause;
  arrivals started;
  arrivals cancelled;

  void call(const call_context& ctx) {
    {
      std::lock_guard<std::mutex> guard{mtx};
      calls.push_back(ctx.id());
    }
    started.arrive();
  }

  void cancel(uint64_t id, caf::error why) {
    {
      std::lock_guard<std::mutex> guard{mtx};
      cancels.push_back(id);
      if (!cause)
        cause = std::move(why);
    }
    cancelled.arrive();
  }

  error cause_code() {
    std::lock_guard<std::mutex> guard{mtx};
    return code_of(cause);
  }

  /// True when exactly one call came and its cancellation named it.
  bool one_call_cancelled() {
    std::lock_guard<std::mutex> guard{mtx};
    return calls.size() == 1 && cancels == calls;
  }
};

struct holding_state {
  std::unordered_map<uint64_t, std::pair<call_context, caf::typed_response_promise<byte_buffer>>>
    held;
};

/// Holds every call unanswered until the server gives it up, then answers
/// it anyway with an error the server must drop.
context_service_actor::behavior_type holding_service(
  context_service_actor::stateful_pointer<holding_state> self, std::shared_ptr<service_log> log) {
  return {
    // snippet-begin: context-service
    [self, log](call_atom, std::string&, byte_buffer&,
                call_context& ctx) -> caf::result<byte_buffer> {
      auto promise = self->make_response_promise<byte_buffer>();
      self->state.held.emplace(ctx.id(), std::make_pair(ctx, promise));
      log->call(ctx); // ctx.metadata(), ctx.deadline(), ctx.trailers() ...
      return promise;
    },
    [self, log](cancel_atom, uint64_t id) { // the server gave call `id` up
      auto it = self->state.held.find(id);
      if (it == self->state.held.end())
        return log->cancel(id, make_error(error::protocol, "no such call held"));
      log->cancel(id, it->second.first.cancellation()); // cancelled, timeout or connection
      it->second.second.deliver(make_error(error::remote, "too late")); // dropped
      self->state.held.erase(it);
    },
    // snippet-end: context-service
  };
}

/// A server whose method "hold" is a holding service.
struct holding_server {
  holding_server() {
    service = net.server_system().spawn(holding_service, log);
    net.server().register_actor("hold", service);
    net.server().register_unary("echo", echo_handler());
  }

  loopback net;
  std::shared_ptr<service_log> log = std::make_shared<service_log>();
  context_service_actor service;
};

/// Stops `service` and waits (bounded) until it is gone.
template <class Handle>
bool stop_actor(caf::actor_system& sys, const Handle& service) {
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
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
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
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
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
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
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
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
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
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
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
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
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
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
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

TEST_CASE("a context service actor reads the caller's metadata and deadline and sets trailers",
          "[service_actor][call_context]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  auto service = net.server_system().spawn(tenant_service, std::string{"served-by"});
  net.server().register_actor("tenant", service);
  auto client = net.connect();
  auto opts = call_options{}.with_metadata("tenant", "blue").with_timeout(2s);
  auto reply = client.call_with_trailers("tenant", to_bytes("x"), opts);
  REQUIRE(reply);
  auto body = std::string{as_string_view(reply->body)};
  REQUIRE(body.rfind("blue ", 0) == 0);
  auto left_ms = std::stol(body.substr(5));
  CHECK(left_ms > 0);
  CHECK(left_ms <= 2000);
  CHECK(reply->trailers.get("served-by") == std::optional<std::string_view>{"tenant"});
  CHECK(stop_actor(net.server_system(), service));
}

TEST_CASE("a context service actor's error reply reaches the caller with its details and "
          "trailers",
          "[service_actor][call_context]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  auto service = net.server_system().spawn(busy_service, std::string{"5"});
  net.server().register_actor("busy", service);
  auto client = net.connect();
  auto reply = client.call("busy", to_bytes("x"));
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::overloaded);
  CHECK(message_of(reply.error()) == "busy");
  CHECK(details_of(reply.error()) == byte_buffer{4, 2});
  CHECK(trailers_of(reply.error()).get("retry-after") == std::optional<std::string_view>{"5"});
  CHECK(stop_actor(net.server_system(), service));
}

TEST_CASE("a context service actor is told by message when its caller cancels, and the "
          "server drops its late answer",
          "[service_actor][call_context][cancel]") {
  holding_server server;
  auto& net = server.net;
  auto client = net.connect();
  auto pending = std::async(std::launch::async, [&] {
    return client.call("hold", to_bytes("x"), call_options{}.with_timeout(10s).with_key({9}));
  });
  REQUIRE(server.log->started.wait_for(1, patience));
  client.cancel(call_key{9});
  REQUIRE(ready_within(pending, patience));
  CHECK(code_of(pending.get().error()) == error::cancelled);
  REQUIRE(server.log->cancelled.wait_for(1, patience));
  CHECK(server.log->one_call_cancelled());
  CHECK(server.log->cause_code() == error::cancelled);
  CHECK(wait_until([&] { return net.server().abandoned_calls() == 1; }));
  CHECK(wait_until([&] { return net.server().in_flight() == 0; }));
  // The service answered after all; the connection serves the next call.
  CHECK(client.call("echo", to_bytes("x")));
  CHECK(stop_actor(net.server_system(), server.service));
}

TEST_CASE("a context service actor is told by message when the call's deadline passes",
          "[service_actor][call_context][deadline]") {
  holding_server server;
  auto& net = server.net;
  SECTION("rpcnet's client, which gives up at the same moment") {
    auto client = net.connect();
    auto reply = client.call("hold", to_bytes("x"), call_options{}.with_timeout(150ms));
    CHECK(code_of(reply.error()) == error::timeout);
    REQUIRE(server.log->cancelled.wait_for(1, patience));
    // The server's deadline and the client's reset race: either names it.
    auto cause = server.log->cause_code();
    CHECK((cause == error::timeout || cause == error::cancelled));
  }
  SECTION("a peer that waits for the server's answer") {
    raw_client peer{net.client_system(), net.address()};
    auto hdr = unary_call("hold", 3);
    hdr.deadline_ms = 150;
    auto reply = peer.exchange(framed({wire::encode_call(hdr), wire::encode_data(to_bytes("x"))}));
    auto st = reply.status();
    REQUIRE(st);
    CHECK(st->code == static_cast<uint8_t>(error::timeout));
    REQUIRE(server.log->cancelled.wait_for(1, patience));
    CHECK(server.log->cause_code() == error::timeout);
    CHECK(net.server().deadlines_exceeded() == 1);
  }
  CHECK(server.log->one_call_cancelled());
  CHECK(wait_until([&] { return net.server().abandoned_calls() == 1; }));
  CHECK(wait_until([&] { return net.server().in_flight() == 0; }));
  CHECK(stop_actor(net.server_system(), server.service));
}

TEST_CASE("a context service actor is told by message when its caller's connection closes",
          "[service_actor][call_context][cancel]") {
  holding_server server;
  auto& net = server.net;
  auto client = net.connect();
  auto pending = std::async(std::launch::async,
                            [&] { return client.call("hold", to_bytes("x"), 10s); });
  REQUIRE(server.log->started.wait_for(1, patience));
  client.close();
  REQUIRE(ready_within(pending, patience));
  REQUIRE(server.log->cancelled.wait_for(1, patience));
  CHECK(server.log->one_call_cancelled());
  CHECK(server.log->cause_code() == error::connection);
  CHECK(wait_until([&] { return net.server().abandoned_calls() == 1; }));
  CHECK(wait_until([&] { return net.server().in_flight() == 0; }));
  CHECK(stop_actor(net.server_system(), server.service));
}
