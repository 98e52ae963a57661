// A cluster member's identity: 128 random bits, like the Rust RpcNet's UUIDs,
// fixed for the life of a process. Ids are ordered (as unsigned 128-bit
// numbers, which is also the order of their 16 big-endian wire bytes) so that
// push-pull state can be cut into parts that each cover a range of ids.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace rpcnet {

struct node_id {
  uint64_t hi = 0;
  uint64_t lo = 0;

  friend constexpr auto operator<=>(const node_id&, const node_id&) = default;

  /// The smallest and largest ids: the bounds of a full state.
  static constexpr node_id min() noexcept {
    return {0, 0};
  }
  static constexpr node_id max() noexcept {
    return {~uint64_t{0}, ~uint64_t{0}};
  }

  /// The id one below this one (min() stays min()).
  constexpr node_id predecessor() const noexcept {
    if (lo != 0)
      return {hi, lo - 1};
    if (hi != 0)
      return {hi - 1, ~uint64_t{0}};
    return *this;
  }

  /// A random id from `rng` (a 64-bit generator such as std::mt19937_64).
  template <class Generator>
  static node_id random(Generator& rng) {
    auto hi = static_cast<uint64_t>(rng());
    auto lo = static_cast<uint64_t>(rng());
    return {hi, lo};
  }

  /// 32 lowercase hex digits.
  std::string to_string() const;

  /// The inverse of to_string(); nullopt unless `text` is 32 hex digits.
  static std::optional<node_id> parse(std::string_view text);
};

} // namespace rpcnet

template <>
struct std::hash<rpcnet::node_id> {
  size_t operator()(const rpcnet::node_id& id) const noexcept {
    // Ids are random already; mixing the halves is enough.
    return static_cast<size_t>(id.hi ^ (id.lo * 0x9e3779b97f4a7c15ULL));
  }
};
