// Helpers for simulator tests: a recorder of the membership events every
// node publishes (who has heard what about whom, and how many live members
// were declared failed), and the wall-clock and traffic figures the tests
// print next to their bounds.
#pragma once

#include <chrono>
#include <cmath>
#include <cstddef>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <catch2/catch.hpp>

#include <rpcnet/simulator/swim_simulator.hpp>

namespace rpcnet::test {

/// The simulator of `opts`; the test fails at once if the simulator
/// refuses the configuration.
inline swim_simulator simulate(simulation_options opts) {
  auto sim = swim_simulator::make(std::move(opts));
  REQUIRE(sim);
  return std::move(*sim);
}

/// A simulation of `nodes` members that start out knowing each other, with
/// the default configuration and a perfect network.
inline simulation_options cluster_of(size_t nodes, uint64_t seed) {
  simulation_options opts;
  opts.nodes = nodes;
  opts.seed = seed;
  return opts;
}

class event_recorder {
public:
  using kind = membership_event::kind;

  explicit event_recorder(swim_simulator& sim) : sim_(sim) {
    sim.on_event([this](size_t observer, const membership_event& ev, time_point) {
      record(observer, ev);
    });
  }

  /// Distinct nodes that published `what` about `subject`.
  size_t observers(kind what, const node_id& subject) const {
    auto it = seen_.find({what, subject});
    return it == seen_.end() ? 0 : it->second.size();
  }

  /// Events of kind `what` published so far, by all nodes together.
  size_t total(kind what) const {
    auto it = totals_.find(what);
    return it == totals_.end() ? 0 : it->second;
  }

  /// Failed events about members that were running when declared.
  size_t false_failures() const noexcept {
    return false_failures_;
  }

  /// Forgets everything recorded so far.
  void clear() {
    seen_.clear();
    totals_.clear();
    false_failures_ = 0;
  }

private:
  struct key_hash {
    size_t operator()(const std::pair<kind, node_id>& k) const noexcept {
      return std::hash<node_id>{}(k.second) ^ static_cast<size_t>(k.first);
    }
  };

  void record(size_t observer, const membership_event& ev) {
    seen_[{ev.what, ev.subject.id}].insert(observer);
    ++totals_[ev.what];
    if (ev.what == kind::failed && sim_.running(index_of(ev.subject.id)))
      ++false_failures_;
  }

  size_t index_of(const node_id& id) {
    if (index_.size() != sim_.size())
      for (size_t i = 0; i < sim_.size(); ++i)
        index_[sim_.id(i)] = i;
    return index_.at(id);
  }

  swim_simulator& sim_;
  std::unordered_map<std::pair<kind, node_id>, std::unordered_set<size_t>, key_hash> seen_;
  std::map<kind, size_t> totals_;
  std::unordered_map<node_id, size_t> index_;
  size_t false_failures_ = 0;
};

/// Bytes and datagrams each node sent per second of virtual time, averaged
/// over `nodes` nodes since the last reset_traffic().
struct traffic_rate {
  double bytes_per_member_per_s = 0;
  double msgs_per_member_per_s = 0;
};

inline traffic_rate rate_of(const swim_simulator& sim, size_t nodes, duration over) {
  double bytes = 0;
  double msgs = 0;
  for (size_t i = 0; i < sim.size(); ++i) {
    bytes += static_cast<double>(sim.traffic_of(i).bytes_sent);
    msgs += static_cast<double>(sim.traffic_of(i).datagrams_sent);
  }
  auto member_seconds = static_cast<double>(nodes) * to_seconds(over);
  return {bytes / member_seconds, msgs / member_seconds};
}

/// Seconds of wall-clock time since `start`.
inline double wall_seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace rpcnet::test
