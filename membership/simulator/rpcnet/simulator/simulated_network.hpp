// The network of the membership simulator: decides for each datagram
// whether it arrives and after how long. One-way latency plus uniform
// jitter, independent random loss, partitions between groups of nodes, and
// nodes made slow (extra delay on everything they send and receive, the way
// an overloaded process answers late). Deterministic for a given random
// generator.
#pragma once

#include <cstddef>
#include <optional>
#include <random>
#include <vector>

#include <rpcnet/membership/membership_time.hpp>

namespace rpcnet {

/// How the links between all nodes behave.
struct network_conditions {
  /// One-way delay of every datagram.
  duration latency = std::chrono::milliseconds{1};
  /// Up to this much more, uniformly.
  duration jitter = std::chrono::milliseconds{2};
  /// Probability that a datagram is lost, independently of all others.
  double loss = 0.0;
};

class simulated_network {
public:
  explicit simulated_network(size_t nodes, network_conditions conditions = {});

  /// How long a datagram from `from` to `to` travels, or nullopt if lost.
  std::optional<duration> transit(size_t from, size_t to, std::mt19937_64& rng) const;

  /// Splits the nodes into `groups`; datagrams between groups are lost.
  /// Nodes named in no group form one more group of their own.
  void partition(const std::vector<std::vector<size_t>>& groups);

  /// Lifts every partition.
  void heal();

  /// Adds `extra` delay to every datagram `node` sends or receives.
  void slow_down(size_t node, duration extra);

  /// Room for a node added after construction.
  void add_node();

  /// True if `a` and `b` are on the same side of every partition.
  bool connected(size_t a, size_t b) const {
    return group_[a] == group_[b];
  }

private:
  network_conditions conditions_;
  std::vector<int> group_;
  std::vector<duration> slowness_;
};

} // namespace rpcnet
