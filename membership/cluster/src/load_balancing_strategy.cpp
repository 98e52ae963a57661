// Names of the load-balancing strategies.
#include <rpcnet/cluster/load_balancing_strategy.hpp>

#include <algorithm>
#include <string>

#include <rpcnet/transport/error.hpp>

namespace rpcnet {

std::string_view to_string_view(load_balancing_strategy strategy) {
  using lbs = load_balancing_strategy;
  switch (strategy) {
    case lbs::round_robin: return "round_robin";
    case lbs::random: return "random";
    case lbs::least_connections: return "least_connections";
    case lbs::power_of_two_choices: return "power_of_two_choices";
    case lbs::weighted: return "weighted";
    case lbs::consistent_hash: return "consistent_hash";
    case lbs::locality: return "locality";
  }
  return "unknown";
}

caf::expected<load_balancing_strategy> parse_load_balancing_strategy(std::string_view name) {
  std::string normal{name};
  std::replace(normal.begin(), normal.end(), '-', '_');
  for (auto strategy : all_load_balancing_strategies)
    if (to_string_view(strategy) == normal)
      return strategy;
  std::string msg = "unknown load-balancing strategy \"";
  msg += name;
  msg += "\"; expected one of";
  for (auto strategy : all_load_balancing_strategies) {
    msg += ' ';
    msg += to_string_view(strategy);
  }
  return make_error(error::config, std::move(msg));
}

} // namespace rpcnet
