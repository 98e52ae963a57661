// What the dashboard shows of a cluster, as the JSON of /api/cluster
// (documented in docs/operations.md): the members with their state,
// incarnation, phi and tags, the workers the node's registry holds with
// their calls in flight, and the most recent membership events. The
// events are kept here, fed by the node's membership subscription; the
// rest is read when the page asks.
#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <rpcnet/cluster/worker_registry_actor.hpp>
#include <rpcnet/membership/cluster_membership.hpp>
#include <rpcnet/membership/membership_event.hpp>

namespace rpcnet {

/// The last events, oldest first, each with the wall-clock time it came.
class recent_events {
public:
  static constexpr size_t capacity = 100;

  struct entry {
    std::chrono::system_clock::time_point at;
    membership_event event;
  };

  void add(const membership_event& event);

  std::vector<entry> list() const;

private:
  mutable std::mutex mtx_;
  std::deque<entry> entries_;
};

/// The JSON of /api/cluster. `registry` adds the workers and their calls
/// in flight (a director has one); without it "workers" is empty.
std::string cluster_snapshot_json(caf::actor_system& sys, const cluster_membership& membership,
                                  const std::optional<worker_registry_actor>& registry,
                                  const recent_events& events);

} // namespace rpcnet
