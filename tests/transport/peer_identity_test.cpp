// Tests who connection_ready says the peer is, over real QUIC + TLS on
// loopback between two bare endpoints: under mutual TLS the server learns
// the client certificate's subject and each kind of subjectAltName; a
// server that asks for no client certificate learns no identity, even from
// a client that has one; the client always learns the server's.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/after.hpp>
#include <caf/scoped_actor.hpp>

#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/transport/endpoint.hpp>

#include "test_certs.hpp"

using namespace std::chrono_literals;
using namespace rpcnet;
using strings = std::vector<std::string>;

namespace {

/// One handshake between a bare server endpoint and a bare client
/// endpoint; each side's connection reports to a scoped actor of its own.
struct handshake {
  struct sides {
    bool server_requires_client_cert = false;
    bool client_presents_cert = false;
  };

  handshake(caf::actor_system& sys, sides how) : server_owner(sys), client_owner(sys) {
    auto server_cfg = test::bare_server_config();
    if (how.server_requires_client_cert)
      server_cfg.client_ca_path = test::cert_file("ca.pem");
    endpoint::options opts;
    opts.on_accept = [this](connection_id, const socket_address&) {
      return caf::actor_cast<caf::actor>(server_owner);
    };
    auto srv = endpoint::start(sys, server_cfg, std::move(opts));
    REQUIRE(srv);
    server = std::move(*srv);
    server->start_accepting();

    auto client_cfg = test::bare_client_config();
    if (how.client_presents_cert)
      client_cfg = client_cfg.with_client_certificate(test::cert_file("client_cert.pem"),
                                                      test::cert_file("client_key.pem"));
    auto cli = endpoint::start(sys, client_cfg);
    REQUIRE(cli);
    client = std::move(*cli);
    client->connect(server->local_address(), "localhost",
                    caf::actor_cast<caf::actor>(client_owner));
  }

  ~handshake() {
    client->shutdown();
    server->shutdown();
  }

  /// The connection_ready `owner` receives within 5 s; fails the test if
  /// the connection closes first.
  static connection_ready ready_at(caf::scoped_actor& owner) {
    std::optional<connection_ready> ready;
    std::string failure;
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!ready && failure.empty()) {
      auto left = deadline - std::chrono::steady_clock::now();
      owner->receive([&](connection_ready& msg) { ready = std::move(msg); },
                     [&](connection_closed& msg) { failure = "closed: " + msg.reason; },
                     [&](connection_batch&) {},
                     caf::after(std::max(left, decltype(left)::zero()))
                       >> [&] { failure = "no handshake in 5 s"; });
    }
    INFO(failure);
    REQUIRE(ready);
    return std::move(*ready);
  }

  connection_ready server_ready() {
    return ready_at(server_owner);
  }
  connection_ready client_ready() {
    return ready_at(client_owner);
  }

  caf::scoped_actor server_owner;
  caf::scoped_actor client_owner;
  std::shared_ptr<endpoint> server;
  std::shared_ptr<endpoint> client;
};

/// What the development server certificate (certs/make-certs.sh) names.
void check_development_server(const std::optional<peer_identity>& id) {
  REQUIRE(id);
  CHECK(id->subject == "CN=localhost,O=rpcnet");
  CHECK(id->dns_names == strings{"localhost"});
  CHECK(id->ip_addresses == strings{"127.0.0.1", "::1"});
  CHECK(id->uris.empty());
  CHECK(id->emails.empty());
}

} // namespace

TEST_CASE("under mutual TLS the server's connection_ready names the client's certificate",
          "[identity]") {
  runtime rt;
  handshake hs{rt.system(), {.server_requires_client_cert = true, .client_presents_cert = true}};
  auto ready = hs.server_ready();
  REQUIRE(ready.identity);
  const auto& id = *ready.identity;
  CHECK(id.subject == "CN=rpcnet-client,O=rpcnet");
  CHECK(id.dns_names == strings{"client.rpcnet.test"});
  CHECK(id.uris == strings{"spiffe://rpcnet.test/client"});
  CHECK(id.ip_addresses == strings{"127.0.0.1"});
  CHECK(id.emails == strings{"client@rpcnet.test"});
  check_development_server(hs.client_ready().identity);
}

TEST_CASE("a server that asks for no client certificate learns no identity of its client",
          "[identity]") {
  runtime rt;
  bool client_has_cert = GENERATE(false, true);
  INFO("client presents a certificate: " << client_has_cert);
  handshake hs{rt.system(), {.server_requires_client_cert = false,
                             .client_presents_cert = client_has_cert}};
  CHECK_FALSE(hs.server_ready().identity);
  check_development_server(hs.client_ready().identity);
}

TEST_CASE("the client's connection_ready names the server's certificate", "[identity]") {
  runtime rt;
  handshake hs{rt.system(), {}};
  auto ready = hs.client_ready();
  CHECK(ready.peer == hs.server->local_address());
  check_development_server(ready.identity);
}
