// Closing a client: through its actor (close_atom) or rpc_client::close().
// Calls in flight end at once with the documented error instead of waiting
// for their deadline, later calls fail with connection, and copies of an
// rpc_client share the one connection they close.
#include <caf/send.hpp>

#include "loopback.hpp"

using namespace rpcnet;
using namespace rpcnet::test;

TEST_CASE("closing the client's actor fails calls in flight with cancelled",
          "[client_close]") {
  // client_connection.hpp: "Closes the connection; calls in flight fail
  // with `cancelled`."
  loopback net;
  auto started = std::make_shared<arrivals>();
  net.server().register_unary("slow", gated_echo_handler(started, net.make_gate()));
  auto client = net.connect();
  auto pending = call_in_background(client, "slow", to_bytes("x"), 10'000ms);
  REQUIRE(started->wait_for(1, patience));
  caf::anon_send(client.actor(), close_atom::value);
  REQUIRE(ready_within(pending, 2'000ms));
  auto reply = pending.get();
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::cancelled);
}

TEST_CASE("rpc_client::close ends calls in flight at once", "[client_close]") {
  loopback net;
  auto started = std::make_shared<arrivals>();
  net.server().register_unary("slow", gated_echo_handler(started, net.make_gate()));
  auto client = net.connect();
  auto pending = call_in_background(client, "slow", to_bytes("x"), 10'000ms);
  REQUIRE(started->wait_for(1, patience));
  client.close();
  REQUIRE(ready_within(pending, 2'000ms));
  auto reply = pending.get();
  REQUIRE_FALSE(reply);
  auto code = code_of(reply.error());
  CHECK((code == error::cancelled || code == error::connection));
}

TEST_CASE("after rpc_client::close calls fail with connection at once", "[client_close]") {
  loopback net;
  net.server().register_unary("echo", echo_handler());
  auto client = net.connect();
  REQUIRE(client.call("echo", to_bytes("x")));
  client.close();
  auto start = clock_type::now();
  auto reply = client.call("echo", to_bytes("x"), patience);
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::connection);
  CHECK(elapsed_since(start) < 1'000ms);
}

TEST_CASE("copies of a client share its connection, so closing one closes all",
          "[client_close]") {
  loopback net;
  net.server().register_unary("echo", echo_handler());
  auto client = net.connect();
  auto copy = client;
  REQUIRE(copy.call("echo", to_bytes("x")));
  CHECK(net.server().transport().connections_accepted == 1);
  client.close();
  auto reply = copy.call("echo", to_bytes("x"), patience);
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::connection);
}
