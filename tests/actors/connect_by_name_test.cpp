// rpc_client::connect given a host name: "localhost:<port>" reaches a real
// server on 127.0.0.1, an empty server_name takes the name typed, a name
// that does not resolve fails with connection before anything starts, and
// servers bind to "localhost:0".
#include "loopback.hpp"

#include <rpcnet/transport/endpoint.hpp>

using namespace rpcnet;
using namespace rpcnet::test;

namespace {

/// "localhost:<port>" of a server bound to 127.0.0.1.
std::string by_name(const loopback& net) {
  auto addr = socket_address::parse(net.address());
  REQUIRE(addr);
  return "localhost:" + std::to_string(addr->port());
}

} // namespace

TEST_CASE("a client connects to localhost:<port> of a server on 127.0.0.1 and calls it",
          "[connect_by_name]") {
  loopback net;
  net.server().register_unary("echo", echo_handler());
  auto client = net.connect_to(by_name(net));
  auto reply = client.call("echo", to_bytes("by name"), patience);
  REQUIRE(reply);
  CHECK(as_string_view(*reply) == "by name");
  CHECK(client.local_address().is_loopback());
}

TEST_CASE("with server_name left empty, the certificate is checked against the host name "
          "typed",
          "[connect_by_name]") {
  loopback net;
  net.server().register_unary("echo", echo_handler());
  // The development certificate names localhost: an empty server_name
  // verifies only if connect took "localhost" from the address.
  auto client = net.connect_to(by_name(net), client_config().with_server_name(""));
  REQUIRE(client.call("echo", to_bytes("x"), patience));
  // A numeric address has no name to take: as before, that is a config error.
  auto numeric = rpc_client::connect(net.client_system(), net.address(),
                                     client_config().with_server_name(""));
  REQUIRE_FALSE(numeric);
  CHECK(code_of(numeric.error()) == error::config);
  CHECK(message_of(numeric.error()).find("server_name must not be empty") != std::string::npos);
  // A server_name that is set wins over the name typed.
  auto other = rpc_client::connect(net.client_system(), by_name(net),
                                   client_config().with_server_name("not-the-server.example"));
  REQUIRE_FALSE(other);
  CHECK(code_of(other.error()) == error::tls);
}

TEST_CASE("a client from a shared endpoint connects to localhost:<port>", "[connect_by_name]") {
  loopback net;
  net.server().register_unary("echo", echo_handler());
  auto ep = endpoint::start(net.client_system(), client_config().to_transport(false));
  REQUIRE(ep);
  auto client = rpc_client::connect(net.client_system(), by_name(net), client_config(), *ep);
  REQUIRE(client);
  REQUIRE(client->call("echo", to_bytes("shared"), patience));
  client->close();
  (*ep)->shutdown();
}

TEST_CASE("connecting to a name that does not resolve fails with connection at once",
          "[connect_by_name]") {
  runtime rt;
  auto start = clock_type::now();
  auto client = rpc_client::connect(rt.system(), "no-such-server.invalid:7000", client_config());
  REQUIRE_FALSE(client);
  CHECK(code_of(client.error()) == error::connection);
  CHECK(message_of(client.error())
        == "cannot resolve 'no-such-server.invalid': Name or service not known");
  CHECK(elapsed_since(start) < patience);
  auto malformed = rpc_client::connect(rt.system(), "localhost:99999", client_config());
  REQUIRE_FALSE(malformed);
  CHECK(code_of(malformed.error()) == error::config);
}

TEST_CASE("a server binds to localhost:0 and a client reaches it by either spelling",
          "[connect_by_name]") {
  loopback net{server_config().with_bind_address("localhost:0")};
  net.server().register_unary("echo", echo_handler());
  CHECK(socket_address::parse(net.address())->is_loopback());
  REQUIRE(net.connect().call("echo", to_bytes("numeric"), patience));
  REQUIRE(net.connect_to(by_name(net)).call("echo", to_bytes("named"), patience));
  // A bind address that does not resolve: config, naming the field.
  runtime rt;
  rpc_server server{rt.system(), server_config().with_bind_address("nowhere.invalid:0")};
  auto bound = server.bind();
  REQUIRE_FALSE(bound);
  CHECK(code_of(bound.error()) == error::config);
  CHECK(message_of(bound.error()).find("bind_address: cannot resolve 'nowhere.invalid'")
        != std::string::npos);
}
