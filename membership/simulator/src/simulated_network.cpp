// The simulator's network: loss, delay, partitions, slow nodes (see
// simulated_network.hpp).
#include <rpcnet/simulator/simulated_network.hpp>

namespace rpcnet {

simulated_network::simulated_network(size_t nodes, network_conditions conditions)
  : conditions_(conditions), group_(nodes, 0), slowness_(nodes, duration::zero()) {
}

std::optional<duration> simulated_network::transit(size_t from, size_t to,
                                                   std::mt19937_64& rng) const {
  if (!connected(from, to))
    return std::nullopt;
  if (conditions_.loss > 0) {
    std::bernoulli_distribution lost{conditions_.loss};
    if (lost(rng))
      return std::nullopt;
  }
  auto delay = conditions_.latency + slowness_[from] + slowness_[to];
  if (conditions_.jitter > duration::zero())
    delay += duration{static_cast<duration::rep>(
      rng() % static_cast<uint64_t>(conditions_.jitter.count()))};
  return delay;
}

void simulated_network::partition(const std::vector<std::vector<size_t>>& groups) {
  heal();
  int next = 1;
  for (const auto& group : groups) {
    for (auto node : group)
      group_[node] = next;
    ++next;
  }
}

void simulated_network::heal() {
  std::fill(group_.begin(), group_.end(), 0);
}

void simulated_network::slow_down(size_t node, duration extra) {
  slowness_[node] = extra;
}

void simulated_network::add_node() {
  group_.push_back(0);
  slowness_.push_back(duration::zero());
}

} // namespace rpcnet
