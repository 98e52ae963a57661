// Tests the call metrics interceptors (interceptors/call_metrics.hpp) over
// real calls, on both transports: each call moves the server's and the
// client's requests, latency and byte series by exactly what it did, a
// failure moves the error series, and calls in flight are a gauge that
// rises while handlers run and comes back to zero.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "loopback.hpp"
#include "scraped_metrics.hpp"

using namespace rpcnet;
using namespace rpcnet::test;

namespace {

using labels = scraped_metrics::labels;

/// The value of sample `name` with exactly `exact` labels in `metrics`'s
/// page; NaN when it has none.
double sample(metrics_registry& metrics, std::string_view name, const labels& exact) {
  return scraped_metrics{metrics.expose()}.value(name, exact).value_or(
    std::numeric_limits<double>::quiet_NaN());
}

} // namespace

TEST_CASE("a unary call moves the request and latency and byte series on both sides",
          "[call_metrics]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  auto server_metrics = std::make_shared<metrics_registry>();
  auto client_metrics = std::make_shared<metrics_registry>();
  loopback lb{kind, server_config().with_metrics(server_metrics)};
  lb.server().register_unary("shrink", [](byte_buffer request) -> caf::expected<byte_buffer> {
    request.resize(request.size() / 4);
    return request;
  });
  lb.server().register_unary("refuse", [](byte_buffer) -> caf::expected<byte_buffer> {
    return make_error(error::remote, "refused on purpose");
  });
  auto client = lb.connect(client_config().with_metrics(client_metrics));

  REQUIRE(client.call("shrink", byte_buffer(100, uint8_t{1}), patience));
  REQUIRE(client.call("shrink", byte_buffer(60, uint8_t{1}), patience));
  CHECK_FALSE(client.call("refuse", byte_buffer(7, uint8_t{1}), patience));

  for (auto [metrics, side] : {std::pair{client_metrics.get(), std::string{"client"}},
                              std::pair{server_metrics.get(), std::string{"server"}}}) {
    INFO("side " << side);
    labels shrink{{"side", side}, {"method", "shrink"}};
    labels refuse{{"side", side}, {"method", "refuse"}};
    // The server counts after its reply left: the client may be first.
    REQUIRE(wait_until([&] {
      return sample(*metrics, "rpc_errors_total", {{"side", side}, {"type", "remote"}}) == 1;
    }));
    CHECK(sample(*metrics, "rpc_requests_total",
                 {{"side", side}, {"method", "shrink"}, {"code", "ok"}})
          == 2);
    CHECK(sample(*metrics, "rpc_requests_total",
                 {{"side", side}, {"method", "refuse"}, {"code", "remote"}})
          == 1);
    CHECK(sample(*metrics, "rpc_latency_seconds_count", shrink) == 2);
    CHECK(sample(*metrics, "rpc_latency_seconds_sum", shrink) > 0);
    CHECK(sample(*metrics, "rpc_request_bytes_total", shrink) == 160);
    CHECK(sample(*metrics, "rpc_response_bytes_total", shrink) == 25 + 15);
    // A failed call's request counts; it had no reply.
    CHECK(sample(*metrics, "rpc_request_bytes_total", refuse) == 7);
    CHECK(sample(*metrics, "rpc_response_bytes_total", refuse) == 0);
    CHECK(sample(*metrics, "rpc_in_flight_calls", {{"side", side}}) == 0);
  }
  // Each registry holds its own side only.
  CHECK(std::isnan(sample(*server_metrics, "rpc_in_flight_calls", {{"side", "client"}})));
}

TEST_CASE("calls in flight are a gauge that rises while a handler runs and falls after",
          "[call_metrics]") {
  auto server_metrics = std::make_shared<metrics_registry>();
  loopback lb{server_config().with_metrics(server_metrics)};
  auto started = std::make_shared<arrivals>();
  auto release = lb.make_gate();
  lb.server().register_unary("slow", gated_echo_handler(started, release),
                             handler_execution::blocking_pool);
  auto client = lb.connect();
  auto first = call_in_background(client, "slow", byte_buffer(3, uint8_t{1}), patience);
  auto second = call_in_background(client, "slow", byte_buffer(3, uint8_t{1}), patience);
  REQUIRE(started->wait_for(2, patience));
  CHECK(sample(*server_metrics, "rpc_in_flight_calls", {{"side", "server"}}) == 2);
  release->open();
  REQUIRE(ready_within(first, patience));
  REQUIRE(ready_within(second, patience));
  CHECK(first.get());
  CHECK(second.get());
  CHECK(wait_until(
    [&] { return sample(*server_metrics, "rpc_in_flight_calls", {{"side", "server"}}) == 0; }));
  CHECK(sample(*server_metrics, "rpc_requests_total",
               {{"side", "server"}, {"method", "slow"}, {"code", "ok"}})
        == 2);
}
