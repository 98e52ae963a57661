// What the worker registry asks a user's routing actor, and what it
// answers: the candidates (id, address, tags, in-flight count) and the id of
// the chosen one. The registry checks an answer before trusting it; an
// unknown id is nonsense and the registry falls back to its own strategy
// (worker_registry::resolve).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <rpcnet/membership/member.hpp>
#include <rpcnet/membership/node_id.hpp>

namespace rpcnet {

/// One worker a routing actor may choose.
struct routing_candidate {
  node_id id;
  /// Where the worker's QUIC endpoint is reached, "host:port".
  std::string address;
  tag_map tags;
  /// Calls and streams in flight to the worker from this node.
  uint32_t in_flight = 0;

  friend bool operator==(const routing_candidate&, const routing_candidate&) = default;
};

/// A select request to a routing actor.
struct routing_request {
  /// The tag filter the caller asked for, as written.
  std::string filter;
  /// The caller's affinity key and zone (may be empty).
  std::string affinity_key;
  std::string zone;
  /// Workers the caller does not want (already tried); not among the
  /// candidates.
  std::vector<node_id> exclude;
  /// The workers to choose from; never empty in a request the registry
  /// sends.
  std::vector<routing_candidate> candidates;

  friend bool operator==(const routing_request&, const routing_request&) = default;
};

/// A routing actor's answer: the id of one of the request's candidates.
struct routing_answer {
  node_id chosen;

  friend bool operator==(const routing_answer&, const routing_answer&) = default;
};

/// The position of the answer's choice among the request's candidates;
/// nullopt if the answer names no candidate (nonsense to be ignored).
std::optional<size_t> find_choice(const routing_request& request, const routing_answer& answer);

} // namespace rpcnet
