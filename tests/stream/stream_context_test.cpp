// The context of streaming calls beyond the blocking handlers': an actor
// serving a stream reads the caller's metadata and deadline and sets the
// trailers; a client reads the trailers of the final STATUS, after a clean
// end and after an error; an interceptor's refusal of an actor-served
// stream carries its trailers. And when the server gives a stream up --
// the caller resets it, its deadline passes, its connection closes --
// while the handler still runs, the call counts in abandoned_calls, once;
// a reset after the handler ended the reply does not count.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include <rpcnet/rpcnet.hpp>

#include "eventually.hpp"
#include "stream_fixture.hpp"

using namespace rpcnet;
using namespace std::chrono_literals;

namespace {

struct topic_state {
  call_context ctx;
};

/// Serves one call: its first message names the caller's "topic" metadata
/// and whether the call has a deadline; it takes the caller's messages
/// without answering and, at the caller's end, sets a trailer and finishes.
caf::behavior topic_server(caf::stateful_actor<topic_state>* self, caf::actor connection,
                           uint64_t id, call_context ctx) {
  self->state.ctx = std::move(ctx);
  const auto& seen = self->state.ctx;
  auto first = std::string{seen.metadata().get("topic").value_or("none")}
               + (seen.deadline() ? " with deadline" : " without deadline");
  self->request(connection, caf::duration{5s}, send_atom::value, id, to_bytes(first))
    .then([=](bool) { self->send(connection, demand_atom::value, id, uint32_t{1}); });
  return {
    [=](message_atom, uint64_t, byte_buffer&) {
      self->send(connection, demand_atom::value, id, uint32_t{1});
    },
    [=](end_atom, uint64_t, caf::error& status) {
      self->state.ctx.trailers().add("served-by", "topic_server");
      self->send(connection, finish_atom::value, id, status);
      self->quit();
    },
  };
}

/// Answers its caller's first message with "ready" and then holds the call
/// open until it ends; finishes the call then (which a failed call ignores).
caf::behavior holding_server(caf::event_based_actor* self, caf::actor connection, uint64_t id) {
  self->send(connection, demand_atom::value, id, uint32_t{1});
  return {
    [=](message_atom, uint64_t, byte_buffer&) {
      self->request(connection, caf::duration{5s}, send_atom::value, id, to_bytes("ready"));
    },
    [=](end_atom, uint64_t, caf::error& status) {
      self->send(connection, finish_atom::value, id, status);
      self->quit();
    },
  };
}

/// Takes the rest of a call's messages (a handler's stream_reader, or a
/// client_stream) up to the end: the end's error, or none.
template <class Reader>
caf::error end_of(Reader& messages) {
  for (;;) {
    auto msg = messages.next();
    if (!msg)
      return std::move(msg.error());
    if (!*msg)
      return {};
  }
}

/// Answers the caller's first message with "ready", then reads until the
/// call ends: a handler that runs until its caller goes.
caf::error ready_then_read(stream_reader& in, stream_writer& out) {
  auto first = in.next();
  if (!first || !*first)
    return make_error(error::protocol, "no first message");
  if (auto err = out.write(to_bytes("ready")))
    return err;
  return end_of(in);
}

/// Writes two rows with a "rows" trailer; fails with details when the
/// request says "fail".
caf::error report(call_context& ctx, stream_reader& in, stream_writer& out) {
  auto req = in.next();
  if (!req || !*req)
    return make_error(error::protocol, "no request");
  ctx.trailers().add("rows", "2");
  for (auto row : {"a", "b"})
    if (auto err = out.write(to_bytes(row)))
      return err;
  if (as_string_view(**req) == "fail")
    return make_error(error::remote, "broken", byte_buffer{5});
  return {};
}

/// Refuses every call, leaving a trailer behind.
class refusing_interceptor : public server_interceptor {
public:
  caf::error before(call_context& ctx, call_shape) override {
    ctx.trailers().add("www-authenticate", "Bearer");
    return make_error(error::unauthenticated, "who are you");
  }
};

void register_all(rpc_server& server) {
  server.register_streaming_actor("topic", [](caf::actor_system& sys, caf::actor connection,
                                              uint64_t id, call_context ctx) {
    return sys.spawn(topic_server, std::move(connection), id, std::move(ctx));
  });
  server.register_streaming_actor("hold", [](caf::actor_system& sys, caf::actor connection,
                                             uint64_t id) {
    return sys.spawn(holding_server, std::move(connection), id);
  });
  server.register_streaming("read", ready_then_read);
  server.register_streaming("report", report);
  server.register_streaming("done", [](stream_reader&, stream_writer&) { return caf::error{}; });
  server.register_unary("echo", [](byte_buffer req) { return caf::expected<byte_buffer>{req}; });
}

struct context_fixture : test::stream_fixture {
  explicit context_fixture(test::transport_kind kind = test::transport_kind::quic)
    : stream_fixture(register_all, kind) {
  }

  /// Opens `method`, sends one message and waits for the handler's "ready".
  client_stream running(const std::string& method, const call_options& opts = {}) {
    auto stream = client->call_streaming(method, opts);
    REQUIRE(stream);
    REQUIRE_FALSE(stream->send(to_bytes("hi")));
    auto ready = stream->next();
    REQUIRE(ready);
    REQUIRE(*ready);
    CHECK(as_string_view(**ready) == "ready");
    return std::move(*stream);
  }

  /// True once the server counts `n` abandoned calls and none in flight.
  bool settles_at(uint64_t n) {
    return test::eventually(
      [&] { return server.abandoned_calls() == n && server.in_flight() == 0; });
  }
};

} // namespace

TEST_CASE("an actor serving a stream reads the caller's metadata and deadline, and its "
          "trailers reach the caller at the end",
          "[stream][call_context]") {
  auto kind = GENERATE(test::transport_kind::quic, test::transport_kind::in_process);
  CAPTURE(kind);
  context_fixture f{kind};
  auto opts = call_options{}.with_metadata("topic", "weather").with_timeout(5s);
  auto stream = f.client->call_streaming("topic", opts);
  REQUIRE(stream);
  auto first = stream->next();
  REQUIRE(first);
  REQUIRE(*first);
  CHECK(as_string_view(**first) == "weather with deadline");
  REQUIRE_FALSE(stream->finish());
  CHECK_FALSE(end_of(*stream));
  CHECK(stream->trailers().get("served-by") == std::optional<std::string_view>{"topic_server"});
}

TEST_CASE("a client reads a stream's trailers after a clean end and after an error",
          "[stream][call_context][trailers]") {
  auto kind = GENERATE(test::transport_kind::quic, test::transport_kind::in_process);
  CAPTURE(kind);
  context_fixture f{kind};
  SECTION("a clean end") {
    auto stream = f.client->call_server_streaming("report", to_bytes("ok"));
    REQUIRE(stream);
    CHECK_FALSE(end_of(*stream));
    CHECK(stream->trailers().get("rows") == std::optional<std::string_view>{"2"});
  }
  SECTION("an error, which carries them too") {
    auto stream = f.client->call_server_streaming("report", to_bytes("fail"));
    REQUIRE(stream);
    auto err = end_of(*stream);
    CHECK(code_of(err) == error::remote);
    CHECK(details_of(err) == byte_buffer{5});
    CHECK(trailers_of(err).get("rows") == std::optional<std::string_view>{"2"});
    CHECK(stream->trailers().get("rows") == std::optional<std::string_view>{"2"});
  }
}

TEST_CASE("an interceptor refusing an actor-served stream sends its trailers with the refusal",
          "[stream][call_context][trailers]") {
  test::stream_fixture f{[](rpc_server& server) {
    register_all(server);
    server.add_interceptor(std::make_shared<refusing_interceptor>());
  }};
  auto stream = f.client->call_streaming("topic");
  REQUIRE(stream);
  auto err = end_of(*stream);
  CHECK(code_of(err) == error::unauthenticated);
  CHECK(stream->trailers().get("www-authenticate") == std::optional<std::string_view>{"Bearer"});
}

TEST_CASE("a caller's reset of a stream whose handler still runs counts as abandoned",
          "[stream][cancel]") {
  auto kind = GENERATE(test::transport_kind::quic, test::transport_kind::in_process);
  CAPTURE(kind);
  context_fixture f{kind};
  SECTION("a handler on the pool") {
    auto stream = f.running("read");
    stream.cancel();
  }
  SECTION("an actor") {
    auto stream = f.running("hold");
    stream.cancel();
  }
  CHECK(f.settles_at(1));
}

TEST_CASE("a stream whose deadline passes while its handler runs counts as abandoned once",
          "[stream][deadline]") {
  auto kind = GENERATE(test::transport_kind::quic, test::transport_kind::in_process);
  CAPTURE(kind);
  context_fixture f{kind};
  SECTION("a handler on the pool") {
    auto stream = f.running("read", call_options{}.with_timeout(300ms));
    CHECK(code_of(end_of(stream)) == error::timeout);
  }
  SECTION("an actor") {
    auto stream = f.running("hold", call_options{}.with_timeout(300ms));
    CHECK(code_of(end_of(stream)) == error::timeout);
  }
  // The server's deadline and the client's reset race; either gives the
  // call up, and only the first counts.
  CHECK(f.settles_at(1));
}

TEST_CASE("a stream whose connection closes while its handler runs counts as abandoned",
          "[stream][cancel]") {
  auto kind = GENERATE(test::transport_kind::quic, test::transport_kind::in_process);
  CAPTURE(kind);
  context_fixture f{kind};
  SECTION("a handler on the pool") {
    auto stream = f.running("read");
    f.client->close();
    CHECK(end_of(stream));
  }
  SECTION("an actor") {
    auto stream = f.running("hold");
    f.client->close();
    CHECK(end_of(stream));
  }
  CHECK(f.settles_at(1));
}

TEST_CASE("a caller's reset after the handler ended the reply does not count as abandoned",
          "[stream][cancel]") {
  auto kind = GENERATE(test::transport_kind::quic, test::transport_kind::in_process);
  CAPTURE(kind);
  context_fixture f{kind};
  auto stream = f.client->call_streaming("done");
  REQUIRE(stream);
  // The reply ended while the upload is still open; then the caller resets.
  CHECK_FALSE(end_of(*stream));
  stream->cancel();
  // The reset reaches the connection's actor before this call's frames.
  REQUIRE(f.client->call("echo", to_bytes("x")));
  CHECK(f.server.abandoned_calls() == 0);
  CHECK(f.settles_at(0));
}
