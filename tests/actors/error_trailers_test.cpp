// Trailers on error replies: what a handler or an interceptor puts in the
// call's trailers reaches the caller with the error, beside its message and
// details, through rpc_client::call and call_with_trailers alike; and the
// error keeps them apart from its code, message and details.
#include <catch2/catch.hpp>

#include <rpcnet/actors/error_trailers.hpp>

#include "call_protocol.hpp"
#include "loopback.hpp"

using namespace rpcnet;
using namespace rpcnet::test;

namespace {

/// Fails every call with `remote`, details and a "why" trailer.
context_unary_handler failing_with_trailers() {
  return [](call_context& ctx, byte_buffer) -> caf::expected<byte_buffer> {
    ctx.trailers().add("why", "quota");
    ctx.trailers().add("why", "again");
    return make_error(error::remote, "no room", byte_buffer{1, 2, 3});
  };
}

/// Refuses every call, leaving a trailer behind.
class refusing_interceptor : public server_interceptor {
public:
  caf::error before(call_context& ctx, call_shape) override {
    ctx.trailers().add("www-authenticate", "Bearer");
    return make_error(error::unauthenticated, "who are you");
  }
};

} // namespace

TEST_CASE("a handler's trailers reach the caller with its error, beside the message and details",
          "[call_context][trailers]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  net.server().register_unary("fail", failing_with_trailers());
  auto client = net.connect();
  auto check = [](const caf::error& err) {
    CHECK(code_of(err) == error::remote);
    CHECK(message_of(err) == "no room");
    CHECK(details_of(err) == byte_buffer{1, 2, 3});
    CHECK(trailers_of(err).get_all("why") == std::vector<std::string_view>{"quota", "again"});
  };
  auto plain = client.call("fail", to_bytes("x"));
  REQUIRE_FALSE(plain);
  check(plain.error());
  auto full = client.call_with_trailers("fail", to_bytes("x"));
  REQUIRE_FALSE(full);
  check(full.error());
}

TEST_CASE("an interceptor's trailers reach the caller when it refuses the call",
          "[call_context][trailers][interceptor]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  net.server().add_interceptor(std::make_shared<refusing_interceptor>());
  net.server().register_unary("echo", echo_handler());
  auto client = net.connect();
  auto reply = client.call("echo", to_bytes("x"));
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::unauthenticated);
  CHECK(trailers_of(reply.error()).get("www-authenticate")
        == std::optional<std::string_view>{"Bearer"});
}

TEST_CASE("an error carries trailers apart from its code, message and details",
          "[call_context][trailers]") {
  call_metadata md;
  md.add("retry-after", "5");
  auto err = with_trailers(make_error(error::overloaded, "busy", byte_buffer{7}), md);
  CHECK(code_of(err) == error::overloaded);
  CHECK(message_of(err) == "busy");
  CHECK(details_of(err) == byte_buffer{7});
  CHECK(trailers_of(err) == md);
  // Without details or a message, and without trailers.
  CHECK(trailers_of(with_trailers(make_error(error::remote), md)) == md);
  CHECK(details_of(with_trailers(make_error(error::remote), md)).empty());
  CHECK(trailers_of(make_error(error::remote, "x")).empty());
  CHECK(trailers_of(caf::error{}).empty());
  // Only rpcnet errors take them.
  auto foreign = caf::make_error(caf::sec::request_timeout);
  CHECK(trailers_of(with_trailers(foreign, md)).empty());
}

TEST_CASE("an error STATUS decodes into an error that carries its trailers",
          "[call_protocol][trailers]") {
  wire::status st{static_cast<uint8_t>(error::remote), 1, "nope"};
  st.trailers.add("k", "v");
  st.details = byte_buffer{9};
  auto err = wire::error_from_status(st);
  CHECK(message_of(err) == "nope");
  CHECK(details_of(err) == byte_buffer{9});
  CHECK(trailers_of(err) == st.trailers);
}
