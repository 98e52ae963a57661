// A started server on a free port and a client connected to it, for the
// streaming tests: the test registers its methods in `setup` before the
// server starts. The client waits at most 5 s for any one message.
#pragma once

#include <chrono>
#include <functional>
#include <optional>

#include <catch2/catch.hpp>

#include <rpcnet/rpcnet.hpp>

#include "test_certs.hpp"

namespace rpcnet::test {

struct stream_fixture {
  explicit stream_fixture(const std::function<void(rpc_server&)>& setup)
    : server(rt.system(), server_config()) {
    setup(server);
    auto bound = server.bind();
    REQUIRE(bound);
    REQUIRE_FALSE(server.start());
    auto connected = rpc_client::connect(rt.system(), bound->to_string(),
                                         client_config().with_call_timeout(
                                           std::chrono::seconds{5}));
    REQUIRE(connected);
    client.emplace(std::move(*connected));
  }

  runtime rt;
  rpc_server server;
  std::optional<rpc_client> client;
};

} // namespace rpcnet::test
