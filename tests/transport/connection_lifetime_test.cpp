// Tests when connections end and what is left of them: an idle connection
// closes after the idle timeout (and calls then fail with a connection
// error), keep-alive keeps one open, a peer that vanishes mid-handshake or
// after connecting is dropped by the server's timers, a server at its
// connection limit or not accepting refuses new handshakes but keeps its
// connections, and a client learns at once that its server shut down.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include <caf/event_based_actor.hpp>

#include <rpcnet/actors/rpc_client.hpp>
#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/transport/endpoint.hpp>

#include "echo_server.hpp"
#include "eventually.hpp"
#include "udp_relay.hpp"

using namespace std::chrono_literals;
using rpcnet::byte_buffer;
using rpcnet::error;
using rpcnet::rpc_client;
using rpcnet::test::echo_server;
using rpcnet::test::elapsed_ms;
using rpcnet::test::eventually;
using rpcnet::test::require_connect;
using rpcnet::test::require_echo;
using rpcnet::test::udp_relay;

namespace {

/// The owner of connection `conn` accepted by a bare endpoint: it ignores
/// the connection's events and quits when the connection is gone.
caf::behavior quiet_owner(caf::event_based_actor* self, rpcnet::connection_id) {
  return {
    [](rpcnet::connection_ready&) {},
    [](rpcnet::connection_batch&) {},
    [self](rpcnet::connection_closed&) { self->quit(); },
  };
}

/// A bare accepting endpoint (no RPC layer) with the development
/// certificate and at most `max_connections` connections.
std::shared_ptr<rpcnet::endpoint> start_bare_server(caf::actor_system& sys,
                                                    size_t max_connections) {
  auto cfg = rpcnet::test::bare_server_config().with_max_connections(max_connections);
  rpcnet::endpoint::options opts;
  // (CAF 0.17 spawns function actors without arguments through a null
  // pointer -- undefined behaviour UBSan reports -- so the owner takes one.)
  opts.on_accept = [&sys](rpcnet::connection_id id, const rpcnet::socket_address&) {
    return sys.spawn(quiet_owner, id);
  };
  auto ep = rpcnet::endpoint::start(sys, cfg, std::move(opts));
  REQUIRE(ep);
  (*ep)->start_accepting();
  return std::move(*ep);
}

/// A client that gives up on a handshake after half a second.
rpcnet::rpc_config impatient_client() {
  return rpcnet::test::client_config().with_handshake_timeout(500ms);
}

} // namespace

TEST_CASE("an idle connection closes after the idle timeout and, without reconnecting, later "
          "calls fail with a connection error",
          "[lifetime]") {
  rpcnet::runtime rt;
  echo_server srv{rt.system()};
  // The connection's idle timeout is the smaller of both sides' (200 ms).
  auto client = require_connect(rt.system(), srv.address_text(),
                                rpcnet::test::client_config()
                                  .with_idle_timeout(200ms)
                                  .with_reconnect(rpcnet::reconnect_policy::disabled()));
  require_echo(client, "before");
  auto idle_since = std::chrono::steady_clock::now();
  INFO("server connections open: " << srv.stats().connections_open);
  REQUIRE(eventually([&] { return srv.stats().connections_open == 0; }, 3s));
  auto closed_after = elapsed_ms(idle_since);
  CHECK(closed_after >= 150);
  auto started = std::chrono::steady_clock::now();
  auto reply = client.call("echo", rpcnet::to_bytes("after"), 5s);
  INFO("closed after " << closed_after << " ms idle; call after close: "
                       << rpcnet::test::describe_reply(reply) << " after "
                       << elapsed_ms(started) << " ms");
  REQUIRE_FALSE(reply);
  CHECK(rpcnet::code_of(reply.error()) == error::connection);
  // The client's own idle timer ends it, not the 5 s call timeout.
  CHECK(elapsed_ms(started) < 2000);
}

TEST_CASE("keep-alive keeps an idle connection open past the idle timeout", "[lifetime]") {
  rpcnet::runtime rt;
  echo_server srv{rt.system()};
  auto client = require_connect(
    rt.system(), srv.address_text(),
    rpcnet::test::client_config().with_idle_timeout(300ms).with_keep_alive_interval(100ms));
  require_echo(client, "before");
  // Nothing to wait for here: the point is that time passes. One second
  // is more than three idle timeouts.
  std::this_thread::sleep_for(1s);
  CHECK(srv.stats().connections_open == 1);
  require_echo(client, "after");
}

TEST_CASE("a client that vanishes mid-handshake is dropped after the server's handshake "
          "timeout",
          "[lifetime]") {
  rpcnet::runtime rt;
  echo_server srv{rt.system(), rpcnet::test::server_config().with_handshake_timeout(500ms)};
  // Only the client's first datagram (its Initial) reaches the server;
  // nothing comes back.
  std::atomic<int> passed{0};
  udp_relay relay{srv.address(), [&](udp_relay::direction dir, const byte_buffer&) {
                    return dir == udp_relay::direction::to_server && passed++ == 0;
                  }};
  auto client = rpc_client::connect(rt.system(), relay.address(), impatient_client());
  REQUIRE_FALSE(client);
  CHECK(rpcnet::code_of(client.error()) == error::connection);
  INFO("server: " << srv.stats().connections_open << " open, "
                  << srv.stats().handshakes_failed << " handshakes failed");
  REQUIRE(eventually([&] { return srv.stats().handshakes_failed == 1; }, 3s));
  REQUIRE(eventually([&] { return srv.stats().connections_open == 0; }));
  CHECK(srv.stats().connections_accepted == 0);
  CHECK(rpcnet::test::serves_a_normal_call(rt.system(), srv));
}

TEST_CASE("a client that vanishes after connecting is dropped after the idle timeout",
          "[lifetime]") {
  rpcnet::runtime rt;
  echo_server srv{rt.system(), rpcnet::test::server_config().with_idle_timeout(300ms)};
  std::atomic<bool> cut{false};
  udp_relay relay{srv.address(), [&](udp_relay::direction, const byte_buffer&) { return !cut; }};
  auto client = require_connect(rt.system(), relay.address());
  require_echo(client, "before the cut");
  REQUIRE(srv.stats().connections_open == 1);
  cut = true;
  INFO("server connections open: " << srv.stats().connections_open);
  CHECK(eventually([&] { return srv.stats().connections_open == 0; }, 3s));
  CHECK(rpcnet::test::serves_a_normal_call(rt.system(), srv));
}

TEST_CASE("a server at its connection limit refuses new handshakes until one closes",
          "[lifetime]") {
  rpcnet::runtime rt;
  auto& sys = rt.system();
  auto server = start_bare_server(sys, 2);
  auto address = server->local_address().to_string();
  auto first = require_connect(sys, address, impatient_client());
  auto second = require_connect(sys, address, impatient_client());
  auto third = rpc_client::connect(sys, address, impatient_client());
  REQUIRE_FALSE(third);
  CHECK(rpcnet::code_of(third.error()) == error::connection);
  CHECK(server->stats().connections_refused >= 1);
  CHECK(server->stats().connections_open == 2);
  first.close();
  INFO("server connections open: " << server->stats().connections_open);
  REQUIRE(eventually([&] { return server->stats().connections_open == 1; }));
  auto fourth = require_connect(sys, address, impatient_client());
  CHECK(server->stats().connections_open == 2);
  // The server accepts when the client's Finished arrives, just after the
  // client's connect() returned.
  CHECK(eventually([&] { return server->stats().connections_accepted == 3; }));
  server->shutdown();
}

TEST_CASE("a server that stopped accepting refuses new handshakes and keeps its connections",
          "[lifetime]") {
  rpcnet::runtime rt;
  auto& sys = rt.system();
  auto server = start_bare_server(sys, 16);
  auto address = server->local_address().to_string();
  auto first = require_connect(sys, address, impatient_client());
  server->stop_accepting();
  auto refused = rpc_client::connect(sys, address, impatient_client());
  REQUIRE_FALSE(refused);
  CHECK(rpcnet::code_of(refused.error()) == error::connection);
  CHECK(server->stats().connections_refused >= 1);
  CHECK(server->stats().connections_open == 1);
  server->start_accepting();
  auto second = require_connect(sys, address, impatient_client());
  CHECK(server->stats().connections_open == 2);
  server->shutdown();
}

TEST_CASE("a client learns at once that its server shut down", "[lifetime]") {
  rpcnet::runtime rt;
  auto srv = std::make_unique<echo_server>(rt.system());
  auto client = require_connect(rt.system(), srv->address_text());
  require_echo(client, "before");
  srv->server().stop(0ms);
  auto started = std::chrono::steady_clock::now();
  // The server's CONNECTION_CLOSE reaches the client; its calls fail with a
  // connection error at once instead of waiting for a timeout.
  auto reply = client.call("echo", rpcnet::to_bytes("after"), 5s);
  INFO("call after stop: " << rpcnet::test::describe_reply(reply) << " after "
                           << elapsed_ms(started) << " ms");
  REQUIRE_FALSE(reply);
  CHECK(rpcnet::code_of(reply.error()) == error::connection);
  CHECK(elapsed_ms(started) < 1000);
}

TEST_CASE("a peer this socket cannot send to fails the dial at once with the send error",
          "[lifetime]") {
  rpcnet::runtime rt;
  // Bound to loopback, the socket cannot send to TEST-NET-1 (RFC 5737):
  // the kernel refuses with EINVAL, or ENETUNREACH without a route. Either
  // way the handshake's first datagram never leaves.
  auto cfg = rpcnet::test::client_config().with_handshake_timeout(10s);
  auto started = std::chrono::steady_clock::now();
  auto client = rpc_client::connect(rt.system(), "192.0.2.1:4433", cfg);
  auto took = std::chrono::steady_clock::now() - started;
  REQUIRE_FALSE(client);
  INFO("error: " << rpcnet::describe(client.error()));
  CHECK(rpcnet::code_of(client.error()) == error::io);
  CHECK(rpcnet::message_of(client.error()).find("cannot send to 192.0.2.1:4433 from 127.0.0.1:")
        != std::string::npos);
  // Not the handshake timeout's ten seconds.
  CHECK(took < 2s);
}
