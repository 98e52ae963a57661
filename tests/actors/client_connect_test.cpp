// rpc_client::connect's documented failures -- tls when the server's
// certificate does not verify, connection when nobody answers, config for
// bad settings -- each arriving promptly, and the connection's idle
// timeout and keep-alive as configured through rpc_config.
#include <thread>

#include "loopback.hpp"

using namespace rpcnet;
using namespace rpcnet::test;

TEST_CASE("connecting with a server name the certificate does not carry fails with tls",
          "[connect]") {
  loopback net;
  auto start = clock_type::now();
  auto client = rpc_client::connect(net.client_system(), net.address(),
                                    client_config().with_server_name("not-the-server.example"));
  REQUIRE_FALSE(client);
  CHECK(code_of(client.error()) == error::tls);
  CHECK(elapsed_since(start) < patience);
}

TEST_CASE("connecting while trusting a CA that did not sign the server fails with tls",
          "[connect]") {
  loopback net;
  // client_cert.pem is a leaf certificate, not the CA of the server's.
  auto client = rpc_client::connect(net.client_system(), net.address(),
                                    client_config().with_ca_path(cert_file("client_cert.pem")));
  REQUIRE_FALSE(client);
  CHECK(code_of(client.error()) == error::tls);
}

TEST_CASE("connecting to an address where nobody answers fails with connection after the "
          "handshake timeout",
          "[connect]") {
  runtime rt;
  // A bound server that never starts accepting: its handshakes go
  // unanswered.
  rpc_server silent{rt.system(), server_config()};
  auto addr = silent.bind();
  REQUIRE(addr);
  auto start = clock_type::now();
  auto client = rpc_client::connect(rt.system(), addr->to_string(),
                                    client_config().with_handshake_timeout(300ms));
  auto took = elapsed_since(start);
  REQUIRE_FALSE(client);
  CHECK(code_of(client.error()) == error::connection);
  CHECK(took >= 300ms);
  CHECK(took < 3'000ms);
}

TEST_CASE("connecting to a port nobody listens on fails with connection at once, long "
          "before the handshake timeout",
          "[connect]") {
  runtime rt;
  std::string closed_port;
  {
    // A port that was just in use and is closed now: ICMP port unreachable.
    rpc_server gone{rt.system(), server_config()};
    auto addr = gone.bind();
    REQUIRE(addr);
    closed_port = addr->to_string();
  }
  auto start = clock_type::now();
  auto client = rpc_client::connect(rt.system(), closed_port,
                                    client_config().with_handshake_timeout(10s));
  auto took = elapsed_since(start);
  REQUIRE_FALSE(client);
  CHECK(code_of(client.error()) == error::connection);
  CHECK(message_of(client.error()).find("port is closed") != std::string::npos);
  CHECK(took < 2s);
}

TEST_CASE("connecting to a malformed address fails with config", "[connect]") {
  runtime rt;
  auto address = GENERATE(std::string{"localhost"}, std::string{"127.0.0.1"},
                          std::string{"127.0.0.1:notaport"}, std::string{""});
  CAPTURE(address);
  auto client = rpc_client::connect(rt.system(), address, client_config());
  REQUIRE_FALSE(client);
  CHECK(code_of(client.error()) == error::config);
}

TEST_CASE("connecting with a CA file that does not exist fails with config", "[connect]") {
  loopback net;
  auto client = rpc_client::connect(net.client_system(), net.address(),
                                    client_config().with_ca_path(cert_file("missing.pem")));
  REQUIRE_FALSE(client);
  CHECK(code_of(client.error()) == error::config);
}

TEST_CASE("a connection idle for longer than the idle timeout closes, and the next call "
          "dials a new one",
          "[connect]") {
  loopback net{server_config().with_idle_timeout(300ms)};
  net.server().register_unary("echo", echo_handler());
  auto cfg = client_config().with_idle_timeout(300ms);
  // The client's own endpoint, so that the test sees when the client's
  // side gave the connection up: each side's idle timer runs on its own,
  // and a call sent between the server's expiry and the client's is a call
  // in flight on a dead connection, which fails with `connection`.
  auto ep = endpoint::start(net.client_system(), cfg.to_transport(false));
  REQUIRE(ep);
  auto client = rpc_client::connect(net.client_system(), net.address(), cfg, *ep);
  REQUIRE(client);
  REQUIRE(client->call("echo", to_bytes("x")));
  REQUIRE(wait_until([&] {
    return net.server().transport().connections_open == 0 && (*ep)->stats().connections_open == 0;
  }));
  auto reply = client->call("echo", to_bytes("x"), patience);
  INFO(describe(reply ? caf::error{} : reply.error()));
  CHECK(reply);
  CHECK(net.server().transport().connections_accepted == 2);
  client->close();
  (*ep)->shutdown();
}

TEST_CASE("keep-alive holds an idle connection open past the idle timeout", "[connect]") {
  loopback net{server_config().with_idle_timeout(300ms)};
  net.server().register_unary("echo", echo_handler());
  auto client = net.connect(
    client_config().with_idle_timeout(300ms).with_keep_alive_interval(50ms));
  REQUIRE(client.call("echo", to_bytes("x")));
  std::this_thread::sleep_for(1'000ms);
  auto reply = client.call("echo", to_bytes("y"), patience);
  REQUIRE(reply);
  CHECK(as_string_view(*reply) == "y");
}
