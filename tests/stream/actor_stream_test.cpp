// Streaming calls driven by actors: a consumer actor receives a server
// stream one message per demand it sends, and a server serves a
// bidirectional call with an actor of its own spawned per call -- both over
// real QUIC, with the blocking form on the other end. A factory that throws
// costs its call, not the connection.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "call_protocol.hpp"
#include <rpcnet/rpcnet.hpp>

#include "eventually.hpp"
#include "stream_fixture.hpp"

using namespace rpcnet;
using namespace std::chrono_literals;

namespace {

/// What a consumer actor saw of its call.
struct consumer_log {
  std::vector<std::string> messages;
  caf::error end;
};

struct consumer_state {
  consumer_log log;
  uint64_t id = 0;
};

/// Opens a server-streaming call of `method` with `request`, takes the
/// messages one demand at a time, and fulfils `done` at the end.
caf::behavior one_at_a_time_consumer(caf::stateful_actor<consumer_state>* self,
                                     rpc_client_actor client, std::string method,
                                     byte_buffer request,
                                     std::shared_ptr<std::promise<consumer_log>> done) {
  auto kind = static_cast<uint8_t>(wire::call_kind::server_streaming);
  self
    ->request(client, caf::duration{5s}, stream_atom::value, method, kind,
              caf::actor_cast<caf::actor>(self))
    .then(
      [=](uint64_t id) {
        self->state.id = id;
        self->request(client, caf::duration{5s}, send_atom::value, id, request)
          .then([=](bool) {
            self->send(client, finish_atom::value, id);
            self->send(client, demand_atom::value, id, uint32_t{1});
          });
      },
      [=](caf::error& err) {
        self->state.log.end = err;
        done->set_value(self->state.log);
        self->quit();
      });
  return {
    [=](message_atom, uint64_t id, byte_buffer& msg) {
      self->state.log.messages.emplace_back(as_string_view(msg));
      self->send(client, demand_atom::value, id, uint32_t{1});
    },
    [=](end_atom, uint64_t, caf::error& status) {
      self->state.log.end = status;
      done->set_value(self->state.log);
      self->quit();
    },
  };
}

/// Serves one bidirectional call: answers each message with its upper-case
/// form, asking for the next only after the answer is under way.
caf::behavior upper_case_server(caf::event_based_actor* self, caf::actor connection,
                                uint64_t id) {
  self->send(connection, demand_atom::value, id, uint32_t{1});
  return {
    [=](message_atom, uint64_t, byte_buffer& msg) {
      std::transform(msg.begin(), msg.end(), msg.begin(),
                     [](uint8_t c) { return static_cast<uint8_t>(std::toupper(c)); });
      self->request(connection, caf::duration{5s}, send_atom::value, id, msg).then([=](bool) {
        self->send(connection, demand_atom::value, id, uint32_t{1});
      });
    },
    [=](end_atom, uint64_t, caf::error& status) {
      self->send(connection, finish_atom::value, id, status);
      self->quit();
    },
  };
}

/// Registers "count" (a server stream of 1..n) and "upper" (an actor per
/// call).
void count_and_upper(rpc_server& server) {
  server.register_streaming("count", [](stream_reader& in, stream_writer& out) -> caf::error {
    auto req = in.next();
    if (!req || !*req)
      return make_error(error::protocol, "count wants a number");
    auto n = std::stoi(std::string{as_string_view(**req)});
    for (int i = 1; i <= n; ++i)
      if (auto err = out.write(to_bytes(std::to_string(i))))
        return err;
    return {};
  });
  server.register_streaming_actor("upper", [](caf::actor_system& sys, caf::actor connection,
                                              uint64_t id) {
    return sys.spawn(upper_case_server, std::move(connection), id);
  });
}

struct server_fixture : test::stream_fixture {
  explicit server_fixture(test::transport_kind kind = test::transport_kind::quic)
    : stream_fixture(count_and_upper, kind) {
  }
};

} // namespace

TEST_CASE("a consumer actor receives a server stream one message per demand", "[stream]") {
  auto kind = GENERATE(test::transport_kind::quic, test::transport_kind::in_process);
  CAPTURE(kind);
  server_fixture f{kind};
  auto done = std::make_shared<std::promise<consumer_log>>();
  auto result = done->get_future();
  f.rt.system().spawn(one_at_a_time_consumer, f.client->actor(), std::string{"count"},
                      to_bytes("300"), done);
  REQUIRE(result.wait_for(10s) == std::future_status::ready);
  auto log = result.get();
  INFO("end: " << describe(log.end));
  CHECK_FALSE(log.end);
  REQUIRE(log.messages.size() == 300);
  for (size_t i = 0; i < log.messages.size(); ++i)
    CHECK(log.messages[i] == std::to_string(i + 1));
}

TEST_CASE("a consumer actor hears the server's error as the end of its stream", "[stream]") {
  auto kind = GENERATE(test::transport_kind::quic, test::transport_kind::in_process);
  CAPTURE(kind);
  server_fixture f{kind};
  auto done = std::make_shared<std::promise<consumer_log>>();
  auto result = done->get_future();
  f.rt.system().spawn(one_at_a_time_consumer, f.client->actor(), std::string{"count"},
                      to_bytes("not a number"), done);
  REQUIRE(result.wait_for(10s) == std::future_status::ready);
  auto log = result.get();
  CHECK(log.messages.empty());
  CHECK(code_of(log.end) == error::remote);
}

TEST_CASE("a server actor spawned per call serves a bidirectional stream", "[stream]") {
  auto kind = GENERATE(test::transport_kind::quic, test::transport_kind::in_process);
  CAPTURE(kind);
  server_fixture f{kind};
  auto stream = f.client->call_streaming("upper");
  REQUIRE(stream);
  for (std::string word : {"quic", "actors", "stream"}) {
    REQUIRE_FALSE(stream->send(to_bytes(word)));
    auto reply = stream->next();
    REQUIRE(reply);
    REQUIRE(*reply);
    std::transform(word.begin(), word.end(), word.begin(),
                   [](char c) { return static_cast<char>(std::toupper(c)); });
    CHECK(as_string_view(**reply) == word);
  }
  REQUIRE_FALSE(stream->finish());
  auto end = stream->next();
  REQUIRE(end);
  CHECK_FALSE(*end);
  // The server's actor hands the reply's end to the transport before it
  // stops counting the call, so the client may hear the end first.
  CHECK(test::eventually([&] { return f.server.in_flight() == 0; }));
}

TEST_CASE("a stream actor factory that throws fails that call with remote, and the "
          "connection serves the next call",
          "[stream]") {
  test::stream_fixture f{[](rpc_server& server) {
    server.register_streaming_actor(
      "broken", [](caf::actor_system&, caf::actor, uint64_t) -> caf::actor {
        throw std::runtime_error("no actor today");
      });
    server.register_unary("echo", [](byte_buffer req) { return caf::expected<byte_buffer>{req}; });
  }};
  auto stream = f.client->call_streaming("broken");
  REQUIRE(stream);
  auto first = stream->next();
  REQUIRE_FALSE(first);
  CHECK(code_of(first.error()) == error::remote);
  CHECK(message_of(first.error()).find("no actor today") != std::string::npos);
  // The connection's actor lives on: the same connection answers.
  auto reply = f.client->call("echo", to_bytes("still here"));
  REQUIRE(reply);
  CHECK(as_string_view(*reply) == "still here");
  // The echo's handler thread counts itself out just after its reply left.
  CHECK(test::eventually([&] { return f.server.in_flight() == 0; }));
}
