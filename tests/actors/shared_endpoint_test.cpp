// One node, one UDP port: a client can call out from its server's endpoint
// (rpc_client::connect with an endpoint), so the peer sees the node's own
// address, and closing that client closes only its connection -- the server
// on the same endpoint keeps serving.
#include <catch2/catch.hpp>

#include <caf/expected.hpp>

#include <rpcnet/actors/rpc_client.hpp>
#include <rpcnet/actors/rpc_server.hpp>
#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/transport/error.hpp>

#include "test_certs.hpp"

using namespace rpcnet;

namespace {

/// A started server answering "who" with the caller's address.
struct node {
  explicit node(caf::actor_system& sys, rpc_config cfg = test::server_config())
    : server(sys, std::move(cfg)) {
    server.register_unary("echo", [](byte_buffer req) -> caf::expected<byte_buffer> {
      return req;
    });
    auto bound = server.bind();
    REQUIRE(bound);
    addr = *bound;
    REQUIRE_FALSE(server.start());
  }
  rpc_server server;
  socket_address addr;
};

} // namespace

TEST_CASE("a client connects from its server's endpoint and shares its port", "[endpoint]") {
  runtime rt;
  node a{rt.system(), test::server_config().with_ca_path(test::cert_file("ca.pem"))};
  node b{rt.system()};
  auto client = rpc_client::connect(rt.system(), b.addr.to_string(), test::client_config(),
                                    a.server.endpoint_handle());
  REQUIRE(client);
  CHECK(client->local_address() == a.addr);
  auto reply = client->call("echo", to_bytes("from a"));
  REQUIRE(reply);
  CHECK(as_string_view(*reply) == "from a");

  SECTION("closing the client leaves the server on the same endpoint serving") {
    client->close();
    auto after = client->call("echo", to_bytes("late"));
    REQUIRE_FALSE(after);
    CHECK(code_of(after.error()) == error::connection);
    auto other = rpc_client::connect(rt.system(), a.addr.to_string(), test::client_config());
    REQUIRE(other);
    auto served = other->call("echo", to_bytes("still here"));
    REQUIRE(served);
    CHECK(as_string_view(*served) == "still here");
  }
}

TEST_CASE("connecting from an endpoint without a CA fails with config", "[endpoint]") {
  runtime rt;
  node a{rt.system()};
  node b{rt.system()};
  auto client = rpc_client::connect(rt.system(), b.addr.to_string(), test::client_config(),
                                    a.server.endpoint_handle());
  REQUIRE_FALSE(client);
  CHECK(code_of(client.error()) == error::config);
}
