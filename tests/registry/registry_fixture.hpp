// Helpers shared by the registry tests: members and membership events
// written in one line, and a worker registry filled with numbered workers.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

#include <rpcnet/membership/membership_event.hpp>
#include "worker_registry.hpp"
#include <rpcnet/transport/error.hpp>

namespace registry_test {

/// Worker number `n`: id {0, n}, address "10.0.0.<n>:62001".
inline rpcnet::member worker_member(uint64_t n, rpcnet::tag_map tags = {{"role", "worker"}},
                                    rpcnet::member_state state = rpcnet::member_state::alive) {
  return rpcnet::member{rpcnet::node_id{0, n}, "10.0.0." + std::to_string(n) + ":62001", 0, state,
                        std::move(tags)};
}

inline rpcnet::node_id id_of(uint64_t n) {
  return rpcnet::node_id{0, n};
}

inline rpcnet::membership_event event(rpcnet::membership_event::kind what, rpcnet::member m) {
  rpcnet::membership_event e;
  e.what = what;
  e.subject = std::move(m);
  return e;
}

inline rpcnet::membership_event joined(rpcnet::member m) {
  return event(rpcnet::membership_event::kind::joined, std::move(m));
}

/// The event SWIM sends when `m` moves to `state`.
inline rpcnet::membership_event became(rpcnet::member m, rpcnet::member_state state) {
  using kind = rpcnet::membership_event::kind;
  m.state = state;
  switch (state) {
    case rpcnet::member_state::alive: return event(kind::recovered, std::move(m));
    case rpcnet::member_state::suspect: return event(kind::suspect, std::move(m));
    case rpcnet::member_state::dead: return event(kind::failed, std::move(m));
    case rpcnet::member_state::left: return event(kind::left, std::move(m));
  }
  return event(kind::updated, std::move(m));
}

/// A registry with workers 1..n, all tagged role=worker.
inline rpcnet::worker_registry registry_with(uint64_t n, rpcnet::worker_registry::settings cfg = {}) {
  rpcnet::worker_registry registry{std::move(cfg)};
  for (uint64_t i = 1; i <= n; ++i)
    registry.apply(joined(worker_member(i)));
  return registry;
}

/// The id of the worker `registry` selects; fails the test on an error.
inline rpcnet::node_id selected(rpcnet::worker_registry& registry,
                                rpcnet::load_balancing_strategy strategy,
                                const rpcnet::selection_context& context = {},
                                std::string_view filter = "") {
  auto chosen = registry.select_worker(filter, strategy, context);
  if (!chosen)
    throw std::runtime_error("select_worker failed: " + rpcnet::describe(chosen.error()));
  return (*chosen)->id;
}

} // namespace registry_test
