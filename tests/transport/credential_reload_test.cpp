// Tests certificate rotation as an operator does it, over real QUIC on
// loopback, with a PKI made at test time: the files a server or client was
// started with are overwritten and reload_credentials is called. New
// connections get the new credentials -- a client that requires the new
// certificate's name connects only after the reload, and under mutual TLS
// the server sees the new client certificate's subject -- while the
// connection already open carries on untouched (the server accepted no
// second handshake for it). A bad file (a key that does not match, garbage,
// a file that is gone, an expired certificate) is refused with a config
// error naming it, logged and counted, and new connections keep the old
// credentials. And the credentials a reload replaced are freed exactly when
// the last connection that uses them closes.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <rpcnet/actors/call_context.hpp>
#include <rpcnet/actors/rpc_client.hpp>
#include <rpcnet/actors/rpc_server.hpp>
#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/transport/endpoint.hpp>
#include <rpcnet/transport/error.hpp>
#include <rpcnet/transport/library_log.hpp>
#include <rpcnet/transport/metrics_registry.hpp>

#include "captured_log.hpp"
#include "echo_server.hpp"
#include "eventually.hpp"
#include "scraped_metrics.hpp"
#include "temp_dir.hpp"
#include "test_pki.hpp"
#include "tls_credentials.hpp"

using namespace std::chrono_literals;
using namespace rpcnet;
using rpcnet::test::echo_server;
using rpcnet::test::eventually;
using rpcnet::test::require_connect;
using rpcnet::test::require_echo;
using rpcnet::test::key_pair;
using rpcnet::test::test_pki;
using rpcnet::test::install;

namespace {

namespace fs = std::filesystem;

/// A client of `pki`'s servers that requires `server_name`.
rpc_config client_for(const test_pki& pki, const std::string& server_name) {
  return rpc_config{}.with_ca_path(pki.ca).with_server_name(server_name);
}

/// A server presenting the certificate at `live`.
rpc_config server_with(const key_pair& live) {
  return rpc_config{live.cert, "127.0.0.1:0"}.with_key_path(live.key);
}

/// The error connecting to `srv` with `cfg` fails with; fails the test if
/// the connection succeeds.
caf::error refusal(caf::actor_system& sys, const echo_server& srv, rpc_config cfg) {
  auto client = rpc_client::connect(sys, srv.address_text(),
                                    std::move(cfg).with_handshake_timeout(2s));
  REQUIRE_FALSE(client);
  return client.error();
}

/// The subject of the client certificate the server saw on `client`'s
/// connection ("whoami" answers it).
std::string subject_seen_by_server(const rpc_client& client) {
  auto reply = client.call("whoami", {}, 5s);
  INFO("whoami: " << test::describe_reply(reply));
  REQUIRE(reply);
  return std::string{as_string_view(*reply)};
}

/// A line of `log` at `level` that contains every one of `parts`.
bool logged(test::captured_log& log, log_level level,
            std::initializer_list<std::string> parts) {
  for (const auto& [lvl, line] : log.lines()) {
    if (lvl != level)
      continue;
    bool all = true;
    for (const auto& part : parts)
      all = all && line.find(part) != std::string::npos;
    if (all)
      return true;
  }
  return false;
}

/// What each server rotation starts from: a test CA, certificate a (for
/// localhost) in the live files a server is started with, and b (for
/// rotated.rpcnet.test) to rotate to.
struct server_rotation {
  runtime rt;
  test::temp_dir dir;
  test_pki pki{dir};
  key_pair a = pki.server("a", "localhost", 10);
  key_pair b = pki.server("b", "rotated.rpcnet.test", 11);
  key_pair live{dir.file("server_cert.pem"), dir.file("server_key.pem")};

  server_rotation() {
    install(a, live);
  }
};

} // namespace

TEST_CASE("a server reloads a rotated certificate while its open connection carries on",
          "[reload]") {
  server_rotation rotation;
  auto& [rt, dir, pki, a, b, live] = rotation;
  test::captured_log log;
  echo_server srv{rt.system(), server_with(live)};

  auto open = require_connect(rt.system(), srv.address_text(), client_for(pki, "localhost"));
  require_echo(open, "before the reload");
  INFO("the new certificate is not served before the reload");
  CHECK(code_of(refusal(rt.system(), srv, client_for(pki, "rotated.rpcnet.test")))
        == error::tls);
  auto accepted = srv.stats().connections_accepted;
  CHECK(accepted == 1);

  install(b, live);
  auto err = srv.server().reload_credentials();
  INFO("reload: " << describe(err));
  REQUIRE_FALSE(err);
  CHECK(logged(log, log_level::info, {"tls: reloaded credentials from", live.cert, live.key}));

  // The same connection: the server accepted no new handshake for it.
  require_echo(open, "after the reload");
  CHECK(srv.stats().connections_accepted == accepted);

  auto fresh = require_connect(rt.system(), srv.address_text(),
                               client_for(pki, "rotated.rpcnet.test"));
  require_echo(fresh, "with the new certificate");
  CHECK(srv.stats().connections_accepted == accepted + 1);
  INFO("new connections no longer get the old certificate");
  CHECK(code_of(refusal(rt.system(), srv, client_for(pki, "localhost"))) == error::tls);
  require_echo(open, "still on the first connection");
}

TEST_CASE("a reload with a bad file is refused naming it and new connections keep the old "
          "certificate",
          "[reload]") {
  server_rotation rotation;
  auto& [rt, dir, pki, a, b, live] = rotation;
  auto metrics = std::make_shared<metrics_registry>();
  echo_server srv{rt.system(), server_with(live).with_metrics(metrics)};
  auto open = require_connect(rt.system(), srv.address_text(), client_for(pki, "localhost"));
  require_echo(open, "before");

  auto bad = GENERATE(as<std::string>{}, "a key that does not match the certificate",
                      "a certificate file of garbage", "PEM armour around garbage",
                      "an empty certificate file", "a key file that is gone",
                      "an expired certificate");
  INFO("bad file: " << bad);
  std::string named; // the path the error must name
  std::string says;  // and what it must say of it
  if (bad == "a key that does not match the certificate") {
    fs::copy_file(b.key, live.key, fs::copy_options::overwrite_existing);
    named = live.key;
    says = "does not match";
  } else if (bad == "a certificate file of garbage") {
    dir.write("server_cert.pem", "this is not a certificate\n");
    named = live.cert;
    says = "not PEM";
  } else if (bad == "PEM armour around garbage") {
    dir.write("server_cert.pem",
              "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
    named = live.cert;
    says = "no valid certificate";
  } else if (bad == "an empty certificate file") {
    dir.write("server_cert.pem", "");
    named = live.cert;
    says = "empty";
  } else if (bad == "a key file that is gone") {
    fs::remove(live.key);
    named = live.key;
    says = "No such file";
  } else {
    install(pki.expired_server("old", 12), live);
    named = live.cert;
    says = "expired";
  }

  test::captured_log log;
  auto err = srv.server().reload_credentials();
  INFO("reload: " << describe(err));
  REQUIRE(err);
  CHECK(code_of(err) == error::config);
  CHECK_THAT(message_of(err), Catch::Contains(named) && Catch::Contains(says));
  CHECK(logged(log, log_level::warn, {"tls: refused to reload", named}));

  // Old credentials: a client that expects the old name connects, and the
  // open connection carries on.
  auto fresh = require_connect(rt.system(), srv.address_text(), client_for(pki, "localhost"));
  require_echo(fresh, "with the old certificate");
  require_echo(open, "after the refusal");

  // Good files again: the next reload takes them.
  install(b, live);
  REQUIRE_FALSE(srv.server().reload_credentials());
  auto rotated = require_connect(rt.system(), srv.address_text(),
                                 client_for(pki, "rotated.rpcnet.test"));
  require_echo(rotated, "with the new certificate");

  test::scraped_metrics page{metrics->expose()};
  auto reloads = [&](const std::string& result) {
    return page.sum("rpcnet_transport_credential_reloads_total", {{"result", result}});
  };
  CHECK(page.type_of("rpcnet_transport_credential_reloads_total") == "counter");
  CHECK(reloads("error") == 1);
  CHECK(reloads("ok") == 1);
}

TEST_CASE("under mutual TLS a client reloads a rotated client certificate for its new "
          "connections",
          "[reload]") {
  runtime rt;
  test::temp_dir dir;
  test_pki pki{dir};
  auto server_pair = pki.server("server", "localhost", 10);
  auto one = pki.client("one", "client-one", 20);
  auto two = pki.client("two", "client-two", 21);
  echo_server srv{rt.system(), server_with(server_pair).with_client_ca_path(pki.ca)};
  srv.server().register_unary("whoami",
                              [](call_context& ctx, byte_buffer) -> caf::expected<byte_buffer> {
                                const auto* id = ctx.peer_identity();
                                return to_bytes(id ? id->subject : "nobody");
                              });

  key_pair live{dir.file("client_cert.pem"), dir.file("client_key.pem")};
  install(one, live);
  auto cfg = client_for(pki, "localhost").with_client_certificate(live.cert, live.key);
  // One endpoint for every connection, so that the reload reaches the
  // next one.
  auto ep = endpoint::start(rt.system(), cfg.to_transport(false));
  REQUIRE(ep);
  auto first = rpc_client::connect(rt.system(), srv.address_text(), cfg, *ep);
  REQUIRE(first);
  CHECK(subject_seen_by_server(*first) == "CN=client-one");
  auto accepted = srv.stats().connections_accepted;

  install(two, live);
  auto err = first->reload_credentials();
  INFO("reload: " << describe(err));
  REQUIRE_FALSE(err);
  CHECK(subject_seen_by_server(*first) == "CN=client-one");
  CHECK(srv.stats().connections_accepted == accepted);

  auto second = rpc_client::connect(rt.system(), srv.address_text(), cfg, *ep);
  REQUIRE(second);
  CHECK(subject_seen_by_server(*second) == "CN=client-two");

  // A client key that does not match is refused, naming it; the next
  // connection still presents the second certificate.
  fs::copy_file(one.key, live.key, fs::copy_options::overwrite_existing);
  auto refused = second->reload_credentials();
  INFO("refused reload: " << describe(refused));
  REQUIRE(refused);
  CHECK(code_of(refused) == error::config);
  CHECK_THAT(message_of(refused), Catch::Contains(live.key));
  auto third = rpc_client::connect(rt.system(), srv.address_text(), cfg, *ep);
  REQUIRE(third);
  CHECK(subject_seen_by_server(*third) == "CN=client-two");
  CHECK(subject_seen_by_server(*first) == "CN=client-one");

  first->close();
  second->close();
  third->close();
  (*ep)->shutdown();
}

TEST_CASE("credentials a reload replaced are freed when the last connection using them "
          "closes",
          "[reload]") {
  server_rotation rotation;
  auto& [rt, dir, pki, a, b, live] = rotation;
  auto c = pki.server("c", "localhost", 12);
  echo_server srv{rt.system(), server_with(live)};
  std::optional<rpc_client> open
    = require_connect(rt.system(), srv.address_text(), client_for(pki, "localhost"));
  require_echo(*open, "on the first certificate");

  // The server's and the client's credentials, and any other test's.
  auto before = tls_credentials::alive();
  install(b, live);
  REQUIRE_FALSE(srv.server().reload_credentials());
  INFO("the open connection's session still uses the first certificate");
  CHECK(tls_credentials::alive() == before + 1);
  require_echo(*open, "still on the first certificate");
  CHECK(tls_credentials::alive() == before + 1);

  // The client goes (its own credentials with it), and with its connection
  // the last session that used the first certificate.
  open.reset();
  CHECK(eventually([&] { return tls_credentials::alive() == before - 1; }, 10s));
  CHECK(eventually([&] { return srv.stats().connections_open == 0; }));

  // With no connection holding them, replaced credentials go at once.
  install(c, live);
  REQUIRE_FALSE(srv.server().reload_credentials());
  CHECK(tls_credentials::alive() == before - 1);
  auto fresh = require_connect(rt.system(), srv.address_text(), client_for(pki, "localhost"));
  require_echo(fresh, "on the third certificate");
}

TEST_CASE("reloading without a running endpoint fails and says why", "[reload]") {
  runtime rt;
  rpc_server unbound{rt.system(), test::server_config()};
  auto err = unbound.reload_credentials();
  CHECK(code_of(err) == error::config);

  echo_server srv{rt.system()};
  REQUIRE_FALSE(srv.server().reload_credentials());
  srv.server().stop(0ms);
  CHECK(code_of(srv.server().reload_credentials()) == error::config);

  endpoint::options opts;
  opts.on_accept = [](connection_id, const socket_address&) { return caf::actor{}; };
  auto ep = endpoint::start(rt.system(), test::bare_server_config(), std::move(opts));
  REQUIRE(ep);
  REQUIRE_FALSE((*ep)->reload_credentials());
  (*ep)->shutdown();
  CHECK(code_of((*ep)->reload_credentials()) == error::connection);
}
