// The limit on new connections per source address per second: a token
// bucket per IP address (the port is the client's to choose, so it does not
// name a source). Buckets that have refilled hold no information and are
// forgotten, which keeps the table as small as the set of sources that
// connected within the last second or so; the table still has a hard cap,
// and once it is full a source it does not know is admitted rather than
// refused, so that a flood of forged addresses cannot lock real clients out
// (Retry and the half-open limit answer those floods; this limit answers
// one validated address that opens connection after connection).
// No I/O: the caller passes the time.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include <rpcnet/transport/socket_address.hpp>

namespace rpcnet {

class source_rate_limiter {
public:
  using clock = std::chrono::steady_clock;

  /// `per_second` new connections a second per source, in bursts of as
  /// many; 0 admits everything. At most `max_sources` buckets are kept.
  explicit source_rate_limiter(uint32_t per_second, size_t max_sources = 4096);

  /// True if a new connection from `source` is within its limit, taking
  /// one token if so.
  bool admit(const socket_address& source, clock::time_point now);

  /// Sources with a bucket now (for tests and the memory bound).
  size_t tracked_sources() const noexcept {
    return buckets_.size();
  }

private:
  struct ip_key {
    uint8_t family = 0;
    std::array<uint8_t, 16> bytes{};
    friend bool operator==(const ip_key&, const ip_key&) = default;
  };
  struct ip_hash {
    size_t operator()(const ip_key& k) const noexcept;
  };
  struct bucket {
    double tokens = 0;
    clock::time_point updated;
  };

  static ip_key key_of(const socket_address& source);
  double refilled(const bucket& b, clock::time_point now) const;
  /// Forgets the buckets that are full again.
  void sweep(clock::time_point now);

  uint32_t per_second_;
  size_t max_sources_;
  std::unordered_map<ip_key, bucket, ip_hash> buckets_;
  clock::time_point last_sweep_{};
};

} // namespace rpcnet
