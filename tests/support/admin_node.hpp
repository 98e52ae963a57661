// A cluster node with an admin address, as the admin server and metrics
// tests need one: the RPC server and gossip on a free port of 127.0.0.1,
// the admin HTTP server on another, "echo" answering with the request and
// "fail" with a handler error, and "hold" where a test wants a call in
// flight (call_holder); clients that count into the node's registry, so
// that one scrape of the node sees both sides of a call; and admin_scene,
// the actor system and started node most of these tests begin with.
#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include <caf/actor_system.hpp>

#include <rpcnet/actors/rpc_client.hpp>
#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/cluster/cluster_node.hpp>
#include <rpcnet/transport/error.hpp>

#include "../actors/handler_sync.hpp"
#include "test_certs.hpp"

namespace rpcnet::test {

/// Opens a node serving `admin` (on 127.0.0.1, port 0, when it names no
/// address) with `cluster`; it does not accept calls until start().
inline std::unique_ptr<cluster_node> open_admin_node(caf::actor_system& sys,
                                                     admin_config admin = {},
                                                     cluster_config cluster = {}) {
  if (admin.address.empty())
    admin.address = "127.0.0.1:0";
  auto opened = cluster_node::open(sys, server_config(), std::move(cluster), std::move(admin));
  INFO("cluster_node::open: " << (opened ? "ok" : describe(opened.error())));
  REQUIRE(opened);
  auto node = std::move(*opened);
  node->server().register_unary("echo", [](byte_buffer request) -> caf::expected<byte_buffer> {
    return request;
  });
  node->server().register_unary("fail", [](byte_buffer) -> caf::expected<byte_buffer> {
    return make_error(error::remote, "the handler's own error");
  });
  return node;
}

/// "hold" on a node: each call reports its arrival and waits until
/// release() (10 s at most, so a test that fails early leaves no handler
/// waiting for ever), then echoes. A call in flight exactly as long as a
/// test wants.
class call_holder {
public:
  explicit call_holder(cluster_node& node) {
    node.server().register_unary("hold", [started = started_, gate = gate_](byte_buffer request) {
      started->arrive();
      if (!gate->wait(std::chrono::seconds{10}))
        return caf::expected<byte_buffer>{make_error(error::remote, "the test never released it")};
      return caf::expected<byte_buffer>{std::move(request)};
    });
  }

  /// Calls "hold" from `client` on a thread of its own and returns once
  /// the handler runs; the future has the call's result.
  std::future<caf::expected<byte_buffer>> hold(rpc_client client) {
    auto call = std::async(std::launch::async, [client = std::move(client)] {
      return client.call("hold", to_bytes("held"), std::chrono::seconds{10});
    });
    INFO("the held call never reached its handler");
    REQUIRE(started_->wait_for(++held_, std::chrono::seconds{5}));
    return call;
  }

  /// Lets every held call, and every later one, answer.
  void release() {
    gate_->open();
  }

private:
  std::shared_ptr<arrivals> started_ = std::make_shared<arrivals>();
  std::shared_ptr<gate> gate_ = std::make_shared<gate>();
  size_t held_ = 0;
};

/// Where `node` serves its admin pages.
inline socket_address admin_of(const cluster_node& node) {
  auto address = node.admin_address();
  REQUIRE(address);
  return *address;
}

/// A client of `node` whose calls and transport count into the node's
/// registry, as the clients a node runs itself do.
inline rpc_client connect_counted(caf::actor_system& sys, const cluster_node& node) {
  auto client = rpc_client::connect(sys, node.local_address().to_string(),
                                    client_config().with_metrics(node.metrics()));
  INFO("connect: " << (client ? "ok" : describe(client.error())));
  REQUIRE(client);
  return std::move(*client);
}

/// What most of these tests start from: an actor system and a node on it
/// serving `limits` and `cluster`, with "hold" registered and, unless told
/// otherwise, accepting calls.
struct admin_scene {
  explicit admin_scene(admin_config limits = {}, cluster_config cluster = {},
                       bool started = true)
    : node(open_admin_node(sys, std::move(limits), std::move(cluster))), holder(*node),
      admin(admin_of(*node)) {
    if (started)
      REQUIRE_FALSE(node->start());
  }

  /// A client of the node counting into its registry (connect_counted).
  rpc_client client() {
    return connect_counted(sys, *node);
  }

  runtime rt;
  caf::actor_system& sys = rt.system();
  std::unique_ptr<cluster_node> node;
  call_holder holder;
  /// Where the node serves its admin pages.
  socket_address admin;
};

/// Calls "echo" with `text` and requires it back.
inline void require_echo(const rpc_client& client, const std::string& text) {
  auto reply = client.call("echo", to_bytes(text));
  INFO("echo: " << (reply ? "ok" : describe(reply.error())));
  REQUIRE(reply);
  CHECK(as_string_view(*reply) == text);
}

} // namespace rpcnet::test
