// In-process cluster nodes for the registry actor and cluster client tests:
// a worker is a cluster_node (an RPC server with its membership on the
// server's port), tagged role=worker and label=<label>, answering "whoami" with its label
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

#include <caf/scoped_actor.hpp>

#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/cluster/cluster_node.hpp>
#include <rpcnet/cluster/worker_registry_actor.hpp>
#include <rpcnet/membership/cluster_membership.hpp>
#include <rpcnet/transport/error.hpp>

#include "eventually.hpp"
#include "test_certs.hpp"

namespace rpcnet::test {

/// A blocking request to the registry actor (10 s at most).
template <class Result, class... Ts>
caf::expected<Result> ask(caf::actor_system& sys, const worker_registry_actor& registry,
                          Ts&&... xs) {
  caf::scoped_actor self{sys};
  caf::expected<Result> result = make_error(error::timeout, "no answer");
  self->request(registry, caf::timespan{std::chrono::seconds{10}}, std::forward<Ts>(xs)...)
    .receive([&](Result& value) { result = std::move(value); },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

struct worker_node {
  std::string label;
  std::shared_ptr<std::atomic<int>> served = std::make_shared<std::atomic<int>>(0);
  std::unique_ptr<cluster_node> node;

  worker_node(caf::actor_system& sys, std::string name, tag_map extra_tags = {})
    : label(std::move(name)) {
    auto cfg = cluster_config{}.with_tag("role", "worker").with_tag("label", label);
    for (auto& [k, v] : extra_tags)
      cfg = cfg.with_tag(k, v);
    auto opened = cluster_node::open(sys, server_config(), cfg);
    REQUIRE(opened);
    node = std::move(*opened);
    node->server().register_unary("whoami", [label = label, served = served](byte_buffer) {
      ++*served;
      return caf::expected<byte_buffer>{to_bytes(label)};
    });
    node->server().register_unary("fail", [](byte_buffer) -> caf::expected<byte_buffer> {
      return make_error(error::remote, "the handler's own error");
    });
    REQUIRE_FALSE(node->start());
  }

  std::string address() const {
    return node->local_address().to_string();
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

/// How many workers the director's registry lists (0 if it does not answer).
inline size_t worker_count(caf::actor_system& sys, const director_node& d) {
  auto ws = ask<std::vector<worker>>(sys, d.registry, workers_atom::value);
  return ws ? ws->size() : 0;
}

} // namespace rpcnet::test
