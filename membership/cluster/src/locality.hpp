// Locality: prefer workers in the caller's zone (their `zone` tag equals
// the caller's), least connections among them; when none is there, least
// connections among all, so a call never fails for want of a local worker.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "least_connections.hpp"

namespace rpcnet {

class locality {
public:
  /// The least loaded of `candidates` (not empty) whose zone number
  /// (`zones`, indexed like `in_flight`) is `zone`, else the least loaded
  /// of all. `zone` is nullopt when no worker has the caller's zone.
  uint32_t select(std::span<const uint32_t> candidates, std::span<const uint32_t> in_flight,
                  std::span<const uint32_t> zones, std::optional<uint32_t> zone) {
    if (zone) {
      auto in_zone = [&](uint32_t s) { return zones[s] == *zone; };
      if (auto local = local_.select_if(candidates, in_flight, in_zone))
        return *local;
    }
    return any_.select(candidates, in_flight);
  }

private:
  /// Separate turns for ties inside the zone and among all, so that a
  /// fallback does not disturb the rotation among local workers.
  least_connections local_;
  least_connections any_;
};

} // namespace rpcnet
