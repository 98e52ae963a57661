// A started rpc_server on 127.0.0.1 (a free port, the development
// certificate) whose "echo" method answers with its request: the well-behaved
// service that the transport tests attack, churn and call to prove that it
// still serves.
#pragma once

#include <chrono>
#include <string>

#include <catch2/catch.hpp>

#include <caf/actor_system.hpp>

#include <rpcnet/actors/rpc_client.hpp>
#include <rpcnet/actors/rpc_server.hpp>
#include <rpcnet/transport/error.hpp>

#include "test_certs.hpp"

namespace rpcnet::test {

class echo_server {
public:
  explicit echo_server(caf::actor_system& sys, rpc_config cfg = server_config())
    : server_(sys, std::move(cfg)) {
    server_.register_unary("echo", [](byte_buffer request) -> caf::expected<byte_buffer> {
      return request;
    });
    auto addr = server_.bind();
    REQUIRE(addr);
    REQUIRE_FALSE(server_.start());
    addr_ = *addr;
  }

  rpc_server& server() noexcept {
    return server_;
  }

  const socket_address& address() const noexcept {
    return addr_;
  }

  /// "127.0.0.1:port", what rpc_client::connect takes.
  std::string address_text() const {
    return addr_.to_string();
  }

  /// The transport's counters right now.
  transport_stats stats() const {
    return server_.transport();
  }

private:
  rpc_server server_;
  socket_address addr_;
};

/// "ok, N bytes" or the error, for INFO messages about a reply.
inline std::string describe_reply(const caf::expected<byte_buffer>& reply) {
  return reply ? "ok, " + std::to_string(reply->size()) + " bytes" : describe(reply.error());
}

/// Connects to `address` with `cfg`, failing the test with the reason if
/// it cannot.
inline rpc_client require_connect(caf::actor_system& sys, const std::string& address,
                                  rpc_config cfg = client_config()) {
  auto client = rpc_client::connect(sys, address, std::move(cfg));
  INFO("connect to " << address << ": " << (client ? "ok" : describe(client.error())));
  REQUIRE(client);
  return std::move(*client);
}

/// Calls "echo" with `text` and requires it back.
inline void require_echo(const rpc_client& client, const std::string& text) {
  auto reply = client.call("echo", to_bytes(text), std::chrono::seconds{5});
  INFO("echo '" << text << "': " << describe_reply(reply));
  REQUIRE(reply);
  REQUIRE(as_string_view(*reply) == text);
}

/// Connects a client that trusts the development CA to `address` and calls
/// "echo" once; true if the reply equals the request. Proves that the
/// server there still serves new clients.
inline bool serves_a_normal_call(caf::actor_system& sys, const std::string& address,
                                 const std::string& text = "still serving") {
  auto client = rpc_client::connect(sys, address, client_config());
  if (!client) {
    UNSCOPED_INFO("connect failed: " << describe(client.error()));
    return false;
  }
  auto reply = client->call("echo", to_bytes(text), std::chrono::seconds{5});
  if (!reply) {
    UNSCOPED_INFO("echo failed: " << describe(reply.error()));
    return false;
  }
  return as_string_view(*reply) == text;
}

inline bool serves_a_normal_call(caf::actor_system& sys, const echo_server& srv,
                                 const std::string& text = "still serving") {
  return serves_a_normal_call(sys, srv.address_text(), text);
}

} // namespace rpcnet::test
