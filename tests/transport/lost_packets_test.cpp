// Tests that packets QUIC declares lost reach the metrics: a relay drops
// some of the server's datagrams once the handshake is done, the calls
// still succeed (QUIC retransmits), and the server's
// rpcnet_transport_lost_packets_total counts the losses its streams saw.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include <rpcnet/actors/rpc_client.hpp>
#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/transport/metrics_registry.hpp>

#include "echo_server.hpp"
#include "eventually.hpp"
#include "scraped_metrics.hpp"
#include "udp_relay.hpp"

using namespace std::chrono_literals;
using rpcnet::test::echo_server;
using rpcnet::test::eventually;
using rpcnet::test::require_connect;
using rpcnet::test::scraped_metrics;
using rpcnet::test::udp_relay;

TEST_CASE("packets lost on the way to the client are counted in lost_packets_total",
          "[metrics]") {
  rpcnet::runtime rt;
  auto metrics = std::make_shared<rpcnet::metrics_registry>();
  echo_server srv{rt.system(), rpcnet::test::server_config().with_metrics(metrics)};
  // After the handshake's datagrams, one in five of the server's is lost.
  std::atomic<uint64_t> to_client{0};
  udp_relay relay{srv.address(), [&](udp_relay::direction dir, const rpcnet::byte_buffer&) {
                    if (dir != udp_relay::direction::to_client)
                      return true;
                    auto n = to_client++;
                    return n < 10 || n % 5 != 0;
                  }};
  auto client = require_connect(rt.system(), relay.address());
  // Replies of many packets each, so that every call loses some.
  const std::string big(32 * 1024, 'x');
  for (int i = 0; i < 10; ++i) {
    auto reply = client.call("echo", rpcnet::to_bytes(big), 10s);
    INFO("call " << i << ": " << rpcnet::test::describe_reply(reply));
    REQUIRE(reply);
    CHECK(reply->size() == big.size());
  }
  REQUIRE(relay.dropped() > 0);
  auto lost = [&] {
    return scraped_metrics{metrics->expose()}.sum("rpcnet_transport_lost_packets_total", {});
  };
  // Streams are counted as they close, just after their last ack.
  INFO("relay dropped " << relay.dropped() << " datagrams; lost_packets_total " << lost());
  CHECK(eventually([&] { return lost() > 0; }, 5s));
  CHECK(lost() <= static_cast<double>(relay.dropped()) * 4);
}
