// A started server on a free port and a client connected to it, for the
// streaming tests: the test registers its methods in `setup` before the
// server starts. The client waits at most 5 s for any one message. In
// process (transport_kind.hpp) the server is not bound at all.
#pragma once

#include <chrono>
#include <functional>
#include <optional>

#include <catch2/catch.hpp>

#include <rpcnet/actors/in_process.hpp>
#include <rpcnet/rpcnet.hpp>

#include "test_certs.hpp"
#include "transport_kind.hpp"

namespace rpcnet::test {

struct stream_fixture {
  explicit stream_fixture(const std::function<void(rpc_server&)>& setup,
                          transport_kind kind = transport_kind::quic)
    : server(rt.system(), server_config()) {
    setup(server);
    auto cfg = client_config().with_call_timeout(std::chrono::seconds{5});
    if (kind == transport_kind::in_process) {
      auto connected = testing::connect_in_process(rt.system(), server, std::move(cfg));
      REQUIRE(connected);
      client.emplace(std::move(*connected));
      return;
    }
    auto bound = server.bind();
    REQUIRE(bound);
    REQUIRE_FALSE(server.start());
    auto connected = rpc_client::connect(rt.system(), bound->to_string(), std::move(cfg));
    REQUIRE(connected);
    client.emplace(std::move(*connected));
  }

  runtime rt;
  rpc_server server;
  std::optional<rpc_client> client;
};

} // namespace rpcnet::test
