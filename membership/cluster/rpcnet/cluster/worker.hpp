// A worker as the worker registry sees it: a live member that passed the
// registry's tag filter, with what the load-balancing strategies read from
// its tags (its capacity and zone) worked out once when it joins or changes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <rpcnet/membership/member.hpp>
#include <rpcnet/membership/node_id.hpp>

namespace rpcnet {

/// The tag whose value weighs a worker in the weighted strategy.
inline constexpr std::string_view capacity_tag = "capacity";

/// The tag the locality strategy compares with the caller's zone.
inline constexpr std::string_view zone_tag = "zone";

/// The capacity of a worker without a usable `capacity` tag.
inline constexpr uint32_t default_capacity = 1;

/// The largest capacity taken from a tag; larger values are cut to it, so
/// that sums over a thousand workers stay far from overflow.
inline constexpr uint32_t max_capacity = 1'000'000;

struct worker {
  node_id id;
  /// Where the worker's QUIC endpoint is reached, "host:port".
  std::string address;
  tag_map tags;
  /// True while membership suspects the worker (see worker_pool).
  bool suspect = false;
  /// The `capacity` tag as a number (see capacity_of).
  uint32_t capacity = default_capacity;
  /// The `zone` tag, empty without one.
  std::string zone;

  friend bool operator==(const worker&, const worker&) = default;
};

/// The capacity a worker's tags announce: the `capacity` tag as a decimal
/// number of 0 to max_capacity (larger values are cut to max_capacity);
/// default_capacity when the tag is missing or not a number, because a
/// worker with a mistyped tag must still get work. 0 means "only when every
/// candidate has capacity 0".
uint32_t capacity_of(const tag_map& tags);

/// The worker that `m` describes.
worker make_worker(const member& m);

} // namespace rpcnet
