// The load-balancing strategies the worker registry offers, by name: the
// Rust RpcNet's round robin, random and least connections, and beyond it
// power of two choices, weighted by capacity, consistent hashing on an
// affinity key, and zone locality.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include <caf/expected.hpp>

namespace rpcnet {

/// How the registry picks one of the workers that match a filter.
enum class load_balancing_strategy : uint8_t {
  /// Each in turn: exactly even counts, blind to load (round_robin.hpp).
  round_robin,
  /// Uniformly at random (random_choice.hpp).
  random,
  /// The fewest in-flight calls and streams, ties in turn; the default
  /// (least_loaded_set.hpp: a scan of few, an index of many).
  least_connections,
  /// The less loaded of two random workers (power_of_two_choices.hpp).
  power_of_two_choices,
  /// At random in proportion to the `capacity` tag (weighted_choice.hpp).
  weighted,
  /// The same affinity key to the same worker (hash_ring.hpp).
  consistent_hash,
  /// Least connections among the caller's zone, else among all
  /// (candidate_set.hpp, locality.hpp).
  locality,
};

/// Every strategy, in declaration order.
inline constexpr std::array<load_balancing_strategy, 7> all_load_balancing_strategies{
  load_balancing_strategy::round_robin,          load_balancing_strategy::random,
  load_balancing_strategy::least_connections,    load_balancing_strategy::power_of_two_choices,
  load_balancing_strategy::weighted,             load_balancing_strategy::consistent_hash,
  load_balancing_strategy::locality,
};

/// The default strategy, as in the Rust RpcNet.
inline constexpr load_balancing_strategy default_load_balancing_strategy
  = load_balancing_strategy::least_connections;

/// "round_robin", "random", "least_connections", "power_of_two_choices",
/// "weighted", "consistent_hash" or "locality".
std::string_view to_string_view(load_balancing_strategy strategy);

/// The inverse of to_string_view; also accepts '-' for '_'. A config error
/// listing the valid names otherwise.
caf::expected<load_balancing_strategy> parse_load_balancing_strategy(std::string_view name);

} // namespace rpcnet
