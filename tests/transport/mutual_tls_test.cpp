// Mutual TLS: a server configured with a client CA accepts a client that
// presents a certificate that CA signed, and refuses one that presents
// none -- the refusal is a tls error, the server counts it and keeps
// serving.
#include <catch2/catch.hpp>

#include <rpcnet/actors/rpc_client.hpp>
#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/transport/error.hpp>

#include "echo_server.hpp"
#include "eventually.hpp"

using namespace rpcnet;
using rpcnet::test::echo_server;
using rpcnet::test::eventually;

namespace {

rpc_config mtls_server_config() {
  return test::server_config().with_client_ca_path(test::cert_file("ca.pem"));
}

} // namespace

TEST_CASE("a server requiring client certificates accepts a client with one", "[tls]") {
  runtime rt;
  echo_server srv{rt.system(), mtls_server_config()};
  auto client = rpc_client::connect(
    rt.system(), srv.address_text(),
    test::client_config().with_client_certificate(test::cert_file("client_cert.pem"),
                                                  test::cert_file("client_key.pem")));
  REQUIRE(client);
  auto reply = client->call("echo", to_bytes("with a certificate"));
  REQUIRE(reply);
  CHECK(as_string_view(*reply) == "with a certificate");
}

TEST_CASE("a server requiring client certificates refuses a client without one with tls",
          "[tls]") {
  runtime rt;
  echo_server srv{rt.system(), mtls_server_config()};
  auto client = rpc_client::connect(rt.system(), srv.address_text(),
                                    test::client_config().with_handshake_timeout(
                                      std::chrono::seconds{2}));
  // TLS 1.3 finishes the client's side of the handshake before the server
  // has checked its certificate, so the refusal may arrive on the first
  // call instead of at connect.
  caf::error failure;
  if (!client) {
    failure = client.error();
  } else {
    auto reply = client->call("echo", to_bytes("no certificate"), std::chrono::seconds{2});
    REQUIRE_FALSE(reply);
    failure = reply.error();
  }
  INFO("failure: " << describe(failure));
  CHECK(code_of(failure) == error::tls); // TLS alert 116, certificate_required
  CHECK(eventually([&] { return srv.stats().handshakes_failed >= 1; }));

  auto good = rpc_client::connect(
    rt.system(), srv.address_text(),
    test::client_config().with_client_certificate(test::cert_file("client_cert.pem"),
                                                  test::cert_file("client_key.pem")));
  REQUIRE(good);
  CHECK(good->call("echo", to_bytes("still serving")));
}
