// The server's lifecycle: a graceful stop lets calls in flight finish and
// returns as soon as they have, refuses calls that arrive meanwhile with
// cancelled, and then refuses connections; a stop whose grace runs out (or
// is zero) fails the remaining calls promptly with a connection error
// instead of leaving the caller hanging; stop is idempotent.
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <string>

#include "loopback.hpp"

using namespace rpcnet;
using namespace rpcnet::test;

namespace {

/// True if `result` failed because the server went away.
bool failed_for_shutdown(const caf::expected<byte_buffer>& result) {
  if (result)
    return false;
  auto code = code_of(result.error());
  return code == error::connection || code == error::cancelled;
}

/// A call held inside its handler (until `release` opens) on `net`'s server.
struct stuck_call {
  explicit stuck_call(loopback& net)
    : release(net.make_gate()), client(net.connect()) {
    auto started = std::make_shared<arrivals>();
    net.server().register_unary("stuck", gated_echo_handler(started, release));
    pending = call_in_background(client, "stuck", to_bytes("x"), 10'000ms);
    REQUIRE(started->wait_for(1, patience));
  }

  std::shared_ptr<gate> release;
  rpc_client client;
  std::future<caf::expected<byte_buffer>> pending;
};

/// Sends small non-QUIC datagrams (first byte 0x01: gossip on a shared
/// port) to `target` as fast as it can until destroyed, keeping the
/// server's transport thread busy the way a cluster's gossip would.
class datagram_flood {
public:
  explicit datagram_flood(const socket_address& target)
    : sender_(std::async(std::launch::async, [this, target] {
        int fd = ::socket(target.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
        uint8_t datagram[64] = {0x01};
        while (!quit_)
          ::sendto(fd, datagram, sizeof(datagram), 0, target.native(), target.native_size());
        ::close(fd);
      })) {
  }

  ~datagram_flood() {
    quit_ = true;
    sender_.wait();
  }

private:
  std::atomic<bool> quit_{false};
  std::future<void> sender_;
};

} // namespace

TEST_CASE("a call in flight when the server stops gracefully completes, and stop returns "
          "once it has",
          "[lifecycle]") {
  loopback net;
  auto started = std::make_shared<arrivals>();
  net.server().register_unary("slow", sleeping_echo_handler(300ms, started));
  auto client = net.connect();
  auto pending = call_in_background(client, "slow", to_bytes("finished"), patience);
  REQUIRE(started->wait_for(1, patience));
  CHECK(net.server().in_flight() == 1);

  auto start = clock_type::now();
  net.server().stop(2'000ms);
  auto took = elapsed_since(start);

  REQUIRE(ready_within(pending, patience));
  auto reply = pending.get();
  REQUIRE(reply);
  CHECK(as_string_view(*reply) == "finished");
  CHECK(took < 1'500ms); // it did not sit out the whole grace period
  CHECK(net.server().in_flight() == 0);
}

TEST_CASE("a graceful stop delivers the reply of a call that finishes within the grace "
          "while datagrams pour in",
          "[lifecycle]") {
  // Each round: a 10 ms call is in flight, stop(2 s) waits for it and then
  // closes the connections. The reply was handed to the transport before
  // stop() saw the call finish, so it must reach the client.
  constexpr int rounds = 100;
  int lost = 0;
  std::string first_failure;
  uint64_t flood_seen = 0;
  for (int round = 0; round < rounds; ++round) {
    loopback net;
    auto started = std::make_shared<arrivals>();
    net.server().register_unary("slow", sleeping_echo_handler(10ms, started));
    auto client = net.connect();
    datagram_flood flood{*socket_address::parse(net.address())};
    auto pending = call_in_background(client, "slow", to_bytes("x"), patience);
    REQUIRE(started->wait_for(1, patience));
    flood_seen += net.server().transport().foreign_datagrams;
    net.server().stop(2'000ms);
    REQUIRE(ready_within(pending, patience));
    auto reply = pending.get();
    if (!reply && ++lost == 1)
      first_failure = describe(reply.error());
  }
  INFO(lost << " of " << rounds << " replies lost, the first with: " << first_failure);
  CHECK(lost == 0);
  CHECK(flood_seen > 0);
}

TEST_CASE("after a stop the server accepts no new connections", "[lifecycle]") {
  loopback net;
  net.server().register_unary("echo", echo_handler());
  net.server().stop(2'000ms);
  auto start = clock_type::now();
  auto client = rpc_client::connect(net.client_system(), net.address(),
                                    client_config().with_handshake_timeout(300ms));
  REQUIRE_FALSE(client);
  CHECK(code_of(client.error()) == error::connection);
  CHECK(elapsed_since(start) < patience);
}

TEST_CASE("after a stop calls on a connection made before fail with connection at once",
          "[lifecycle]") {
  loopback net;
  net.server().register_unary("echo", echo_handler());
  auto client = net.connect();
  REQUIRE(client.call("echo", to_bytes("before")));
  net.server().stop(2'000ms);
  auto start = clock_type::now();
  auto reply = client.call("echo", to_bytes("after"), patience);
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::connection);
  CHECK(elapsed_since(start) < 2'000ms);
}

TEST_CASE("during a graceful stop a new call on an open connection is refused with "
          "cancelled",
          "[lifecycle]") {
  loopback net;
  auto started = std::make_shared<arrivals>();
  auto release = net.make_gate();
  net.server().register_unary("slow", gated_echo_handler(started, release));
  net.server().register_unary("echo", echo_handler());
  auto client = net.connect();
  auto slow = call_in_background(client, "slow", to_bytes("slow"), patience);
  REQUIRE(started->wait_for(1, patience));

  auto stopping = std::async(std::launch::async, [&net] { net.server().stop(5'000ms); });
  // The stop begins at some point after async() returned; until then calls
  // still succeed. Once it has begun, calls are refused.
  caf::expected<byte_buffer> refused{byte_buffer{}};
  REQUIRE(wait_until([&] {
    refused = client.call("echo", to_bytes("late"), 1'000ms);
    return !refused;
  }));
  CHECK(code_of(refused.error()) == error::cancelled);
  CHECK_FALSE(ready_within(stopping, 0ms)); // still waiting for the slow call

  release->open();
  REQUIRE(ready_within(slow, patience));
  auto slow_reply = slow.get();
  REQUIRE(slow_reply);
  CHECK(as_string_view(*slow_reply) == "slow");
  CHECK(ready_within(stopping, patience));
}

TEST_CASE("stopping without a grace period fails a call in flight with connection "
          "promptly",
          "[lifecycle]") {
  loopback net;
  stuck_call call{net};
  auto& release = call.release;
  auto& pending = call.pending;

  auto start = clock_type::now();
  net.server().stop(0ms);
  CHECK(elapsed_since(start) < 1'000ms);
  REQUIRE(ready_within(pending, 2'000ms));
  auto reply = pending.get();
  INFO("reply: " << Catch::StringMaker<caf::expected<byte_buffer>>::convert(reply));
  CHECK(failed_for_shutdown(reply));

  // The handler finishing after the stop neither crashes nor leaks the call.
  release->open();
  CHECK(wait_until([&] { return net.server().in_flight() == 0; }));
}

TEST_CASE("a stop whose grace runs out returns after the grace and fails the call in "
          "flight",
          "[lifecycle]") {
  loopback net;
  stuck_call call{net};
  auto& release = call.release;
  auto& pending = call.pending;

  auto start = clock_type::now();
  net.server().stop(200ms);
  auto took = elapsed_since(start);
  CHECK(took >= 200ms);
  CHECK(took < 2'000ms);
  REQUIRE(ready_within(pending, 2'000ms));
  CHECK(failed_for_shutdown(pending.get()));
  release->open();
  CHECK(wait_until([&] { return net.server().in_flight() == 0; }));
}

TEST_CASE("stop is idempotent and stopping a server that never started returns at once",
          "[lifecycle]") {
  SECTION("never bound") {
    runtime rt;
    rpc_server server{rt.system(), server_config()};
    auto start = clock_type::now();
    server.stop();
    server.stop();
    CHECK(elapsed_since(start) < 500ms);
    CHECK_FALSE(server.local_address());
  }
  SECTION("stopped twice") {
    loopback net;
    net.server().stop(1'000ms);
    auto start = clock_type::now();
    net.server().stop(1'000ms);
    CHECK(elapsed_since(start) < 500ms);
    CHECK(net.server().in_flight() == 0);
  }
}

TEST_CASE("a server destroyed while a call is in flight fails the call with connection",
          "[lifecycle]") {
  runtime client_rt;
  runtime server_rt;
  auto release = std::make_shared<gate>();
  auto started = std::make_shared<arrivals>();
  std::future<caf::expected<byte_buffer>> pending;
  {
    rpc_server server{server_rt.system(), server_config()};
    server.register_unary("stuck", gated_echo_handler(started, release));
    auto addr = server.bind();
    REQUIRE(addr);
    REQUIRE_FALSE(server.start());
    auto client = rpc_client::connect(client_rt.system(), addr->to_string(), client_config());
    REQUIRE(client);
    pending = call_in_background(*client, "stuck", to_bytes("x"), 10'000ms);
    REQUIRE(started->wait_for(1, patience));
  } // ~rpc_server stops without a grace period
  bool answered = ready_within(pending, 2'000ms);
  release->open();
  REQUIRE(answered);
  CHECK(failed_for_shutdown(pending.get()));
}
