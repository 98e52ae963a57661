// A client that loses its server, on real QUIC: calls in flight fail at
// once with `connection`, the next call dials again (after a graceful stop
// and after a kill -9, the server restarted at the same address), dials after failed
// ones are spaced by the backoff, wait-for-ready calls wait for the server
// up to their deadline, and a client told not to reconnect does not.
#include <future>
#include <optional>

#include <catch2/catch.hpp>

#include <rpcnet/rpcnet.hpp>

#include "catch_printers.hpp"
#include "echo_server_process.hpp"
#include "handler_sync.hpp"
#include "loopback.hpp"
#include "test_certs.hpp"

using namespace rpcnet;
using namespace rpcnet::test;

namespace {

/// Backoff short enough for tests, without jitter so its bounds are exact.
reconnect_policy quick_backoff() {
  return reconnect_policy{}.with_backoff(100ms, 1s).with_multiplier(2).with_jitter(0);
}

/// A server with "echo" and a gated "slow" on a fixed address, which the
/// test stops and starts again as a restarted process would be.
class restartable_server {
public:
  restartable_server() {
    start("127.0.0.1:0");
  }

  ~restartable_server() {
    release->open();
  }

  /// Stops the server: connections close and their peers are told.
  void stop() {
    server_->stop(0ms);
    server_.reset();
  }

  /// A new server at the old address.
  void restart() {
    REQUIRE_FALSE(server_);
    start(address);
  }

  rpc_server& server() {
    return *server_;
  }

  std::string address;
  std::shared_ptr<arrivals> started = std::make_shared<arrivals>();
  std::shared_ptr<gate> release = std::make_shared<gate>();

private:
  void start(const std::string& bind) {
    server_.emplace(rt_.system(), server_config().with_bind_address(bind));
    server_->register_unary("echo", echo_handler());
    server_->register_unary("slow", gated_echo_handler(started, release));
    auto addr = server_->bind();
    INFO("binding " << bind);
    REQUIRE(addr);
    address = addr->to_string();
    REQUIRE_FALSE(server_->start());
  }

  runtime rt_;
  std::optional<rpc_server> server_;
};

caf::expected<byte_buffer> echo(const rpc_client& client, call_options opts = {}) {
  return client.call("echo", to_bytes("ping"), opts.timeout ? opts : opts.with_timeout(5s));
}

/// A client (quick_backoff) of `srv`, which is then stopped; returns once
/// the client knows: a call that went out before the server's close
/// arrived fails with `connection` like any call in flight, wait-for-ready
/// or not, and the test's calls come after it.
rpc_client client_of_stopped(restartable_server& srv, runtime& rt) {
  auto client = rpc_client::connect(rt.system(), srv.address,
                                    client_config().with_reconnect(quick_backoff()));
  REQUIRE(client);
  srv.stop();
  REQUIRE_FALSE(echo(*client));
  return std::move(*client);
}

} // namespace

TEST_CASE("a call in flight when the server stops fails at once, and the next call dials its "
          "restarted successor",
          "[reconnect]") {
  restartable_server srv;
  runtime client_rt;
  auto client = rpc_client::connect(client_rt.system(), srv.address, client_config());
  REQUIRE(client);
  auto pending = call_in_background(*client, "slow", to_bytes("x"), 20s);
  REQUIRE(srv.started->wait_for(1, patience));
  auto stopped_at = clock_type::now();
  srv.stop();
  REQUIRE(ready_within(pending, patience));
  auto result = pending.get();
  CHECK(code_of(result.error()) == error::connection);
  // Far sooner than the call's 20 s timeout: the close told the client.
  CHECK(elapsed_since(stopped_at) < patience);
  // A lost connection (not a failed dial) is dialled again by the next
  // call at once, without a backoff.
  srv.restart();
  auto reply = echo(*client);
  INFO(describe(reply ? caf::error{} : reply.error()));
  REQUIRE(reply);
  CHECK(as_string_view(*reply) == "ping");
  CHECK(srv.server().transport().connections_accepted == 1);
  // Streams go out on the new connection too.
  CHECK(client->call_server_streaming("echo", to_bytes("x")));
}

TEST_CASE("a crashed server's client fails its call at once and reaches the restarted one",
          "[reconnect]") {
  std::optional<echo_server_process> server{std::in_place};
  auto address = server->address_text();
  runtime client_rt;
  auto client = rpc_client::connect(client_rt.system(), address, client_config());
  REQUIRE(client);
  REQUIRE(echo(*client));
  server->kill();
  server.reset();
  // The call goes out on the dead connection; the host's port-unreachable
  // answer ends it long before the call's 20 s.
  auto started = clock_type::now();
  auto lost = echo(*client, call_options{}.with_timeout(20s));
  REQUIRE_FALSE(lost);
  CHECK(code_of(lost.error()) == error::connection);
  CHECK(elapsed_since(started) < patience);
  server.emplace(std::vector<std::string>{"--bind", address});
  // Packets the client sent after the kill (acknowledgements, the call)
  // may have ended the connection and failed a dial before the call did:
  // waiting for the server rides out that backoff.
  auto reply = echo(*client, call_options{}.with_timeout(5s).with_wait_for_ready());
  INFO(describe(reply ? caf::error{} : reply.error()));
  CHECK(reply);
  CHECK(server->stat("connections_accepted") == 1);
}

TEST_CASE("while the server is down calls fail at once and dials follow the backoff",
          "[reconnect]") {
  restartable_server srv;
  runtime client_rt;
  auto ep = endpoint::start(client_rt.system(), client_config().to_transport(false));
  REQUIRE(ep);
  auto client = rpc_client::connect(client_rt.system(), srv.address,
                                    client_config().with_reconnect(quick_backoff()), *ep);
  REQUIRE(client);
  srv.stop();
  auto dials_before = (*ep)->stats().handshakes_failed;
  // For 1 s: dials at 0, after 100 ms and after 300 ms more; every other
  // call is refused without a dial.
  auto start = clock_type::now();
  size_t calls = 0;
  size_t refused = 0;
  size_t slow_or_wrong = 0;
  while (elapsed_since(start) < 1000ms) {
    auto call_started = clock_type::now();
    auto result = echo(*client);
    if (result || code_of(result.error()) != error::connection
        || elapsed_since(call_started) >= patience)
      ++slow_or_wrong;
    ++calls;
    if (!result && message_of(result.error()).find("next dial is in") != std::string::npos)
      ++refused;
  }
  auto dials = (*ep)->stats().handshakes_failed - dials_before;
  INFO(calls << " calls, " << refused << " refused without a dial, " << dials << " dials");
  CHECK(slow_or_wrong == 0);
  CHECK(dials >= 1);
  CHECK(dials <= 4);
  CHECK(calls > 20);
  // Each dial fails the calls that waited for it; the first call may also
  // have gone out before the server's close arrived.
  CHECK(refused + dials + 1 >= calls);
  client->close();
  (*ep)->shutdown();
}

TEST_CASE("a wait-for-ready call waits for the server to come back", "[reconnect]") {
  restartable_server srv;
  runtime client_rt;
  auto client = client_of_stopped(srv, client_rt);
  // A call with wait-for-ready waits through the backoff until the server
  // is back.
  auto waiting = std::async(std::launch::async, [&] {
    // snippet-begin: wait-for-ready
    auto opts = call_options{}.with_timeout(20s).with_wait_for_ready();
    return client.call("echo", to_bytes("ping"), opts);
    // snippet-end: wait-for-ready
  });
  CHECK_FALSE(ready_within(waiting, 300ms));
  srv.restart();
  REQUIRE(ready_within(waiting, patience));
  auto reply = waiting.get();
  INFO(describe(reply ? caf::error{} : reply.error()));
  CHECK(reply);
}

TEST_CASE("a wait-for-ready call fails with timeout when the server stays away",
          "[reconnect]") {
  restartable_server srv;
  runtime client_rt;
  auto client = client_of_stopped(srv, client_rt);
  auto started = clock_type::now();
  auto result = echo(client, call_options{}.with_timeout(600ms).with_wait_for_ready());
  auto took = elapsed_since(started);
  REQUIRE_FALSE(result);
  CHECK(code_of(result.error()) == error::timeout);
  CHECK(took >= 550ms);
  CHECK(took < 600ms + patience);
}

TEST_CASE("a wait-for-ready call held for a stopped server fails when its parent is cancelled",
          "[reconnect]") {
  restartable_server srv;
  runtime client_rt;
  auto client = client_of_stopped(srv, client_rt);
  // The parent is a call being served in process; its handler waits for a
  // child call to the stopped server, far longer than the test.
  rpc_server outer{client_rt.system(), rpc_config{}};
  auto child_outcome = std::make_shared<std::promise<caf::error>>();
  auto started = std::make_shared<arrivals>();
  outer.register_unary("outer", [client, child_outcome, started](call_context& ctx,
                                                                 byte_buffer req)
                                  -> caf::expected<byte_buffer> {
    started->arrive();
    auto child = client.call("echo", req,
                             call_options::child_of(ctx).with_timeout(60s).with_wait_for_ready());
    child_outcome->set_value(child ? caf::error{} : child.error());
    return req;
  });
  auto caller = testing::connect_in_process(outer);
  REQUIRE(caller);
  auto outcome = child_outcome->get_future();
  auto pending = std::async(std::launch::async, [&] {
    return caller->call("outer", to_bytes("x"), 60s, call_key{7});
  });
  REQUIRE(started->wait_for(1, patience));
  auto cancelled_at = clock_type::now();
  caller->cancel(call_key{7});
  REQUIRE(outcome.wait_for(patience) == std::future_status::ready);
  auto why = outcome.get();
  CHECK(code_of(why) == error::cancelled);
  CHECK(elapsed_since(cancelled_at) < 2s);
  REQUIRE(ready_within(pending, patience));
  CHECK_FALSE(pending.get());
}

TEST_CASE("a client told not to reconnect stays disconnected", "[reconnect]") {
  restartable_server srv;
  runtime client_rt;
  auto client = rpc_client::connect(client_rt.system(), srv.address,
                                    client_config().with_reconnect(reconnect_policy::disabled()));
  REQUIRE(client);
  srv.stop();
  REQUIRE_FALSE(echo(*client));
  srv.restart();
  auto result = echo(*client);
  REQUIRE_FALSE(result);
  CHECK(code_of(result.error()) == error::connection);
  CHECK(srv.server().transport().connections_accepted == 0);
}
