// In-process cluster nodes for the registry actor and cluster client tests:
// a worker is an RPC server with its membership on the server's port,
// tagged role=worker and label=<label>, answering "whoami" with its label
// and counting the calls it served; the director is a membership node with
// a worker registry actor. Each has its own port, as separate processes
// would.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include <rpcnet/actors/rpc_server.hpp>
#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/membership/cluster_membership.hpp>
#include <rpcnet/membership/worker_registry_actor.hpp>
#include <rpcnet/transport/error.hpp>

#include "test_certs.hpp"

namespace rpcnet::test {

/// Polls `done` until it holds or `limit` passes (membership changes have
/// no event a test thread could wait on without an actor of its own).
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds limit = std::chrono::seconds{10}) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return done();
}

struct worker_node {
  std::string label;
  std::shared_ptr<std::atomic<int>> served = std::make_shared<std::atomic<int>>(0);
  rpc_server server;
  std::optional<cluster_membership> membership;

  worker_node(caf::actor_system& sys, std::string name, tag_map extra_tags = {})
    : label(std::move(name)), server(sys, server_config()) {
    server.register_unary("whoami", [label = label, served = served](byte_buffer) {
      ++*served;
      return caf::expected<byte_buffer>{to_bytes(label)};
    });
    server.register_unary("fail", [](byte_buffer) -> caf::expected<byte_buffer> {
      return make_error(error::remote, "the handler's own error");
    });
    REQUIRE(server.bind());
    REQUIRE_FALSE(server.start());
    auto cfg = cluster_config{}.with_tag("role", "worker").with_tag("label", label);
    for (auto& [k, v] : extra_tags)
      cfg = cfg.with_tag(k, v);
    auto m = cluster_membership::start(sys, cfg, server.endpoint_handle());
    REQUIRE(m);
    membership.emplace(std::move(*m));
  }

  std::string address() const {
    return membership->local_member().address;
  }
};

struct director_node {
  std::optional<cluster_membership> membership;
  worker_registry_actor registry;

  explicit director_node(caf::actor_system& sys, worker_registry_config cfg = {}) {
    auto m = cluster_membership::start(sys, cluster_config{}.with_tag("role", "director"));
    REQUIRE(m);
    membership.emplace(std::move(*m));
    auto r = spawn_worker_registry(sys, membership->actor(), std::move(cfg));
    REQUIRE(r);
    registry = std::move(*r);
  }

  std::string address() const {
    return membership->local_member().address;
  }
};

} // namespace rpcnet::test
