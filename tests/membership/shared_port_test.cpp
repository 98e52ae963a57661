// Tests a node with one UDP port: its RPC server's QUIC connections and its
// gossip arrive on the same socket, and the transport thread tells them
// apart by their first byte (PROTOCOL.md §1.1).
#include <catch2/catch.hpp>

#include <rpcnet/actors/rpc_client.hpp>
#include <rpcnet/actors/rpc_server.hpp>
#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/membership/cluster_membership.hpp>
#include <rpcnet/transport/endpoint.hpp>

#include "test_certs.hpp"

using namespace rpcnet;
using namespace std::chrono_literals;

TEST_CASE("gossip and RPC calls share the server's port", "[shared_port]") {
  runtime rt;
  rpc_server server{rt.system(), test::server_config()};
  server.register_unary("echo", [](byte_buffer req) -> caf::expected<byte_buffer> {
    return req;
  });
  auto bound = server.bind();
  REQUIRE(bound);
  REQUIRE_FALSE(server.start());
  auto node = cluster_membership::start(rt.system(), cluster_config{}.with_tag("role", "worker"),
                                        server.endpoint_handle());
  REQUIRE(node);
  CHECK(node->local_member().address == bound->to_string());
  // Another member joins through the server's address.
  auto other = cluster_membership::start(rt.system(), cluster_config{});
  REQUIRE(other);
  REQUIRE_FALSE(other->join({bound->to_string()}));
  bool seen = false;
  for (const auto& m : other->members())
    seen |= m.id == node->local_node_id() && m.tags.at("role") == "worker";
  CHECK(seen);
  // And a client calls the server on the very same port.
  auto client = rpc_client::connect(rt.system(), bound->to_string(), test::client_config());
  REQUIRE(client);
  auto reply = client->call("echo", to_bytes("over QUIC"));
  REQUIRE(reply);
  CHECK(as_string_view(*reply) == "over QUIC");
  CHECK(node->stats().datagrams_received > 0);
  CHECK(server.endpoint_handle()->stats().foreign_datagrams == 0);
}
