// The memory an endpoint lets its peers make it hold, as one budget shared
// by all its connections (transport_config::max_endpoint_buffered_bytes): a
// connection takes bytes from it before it buffers them and gives them
// back when its consumer took them or the stream is gone. A plain class on
// the transport thread, without locks or I/O.
#pragma once

#include <algorithm>
#include <cstdint>

namespace rpcnet {

class buffer_budget {
public:
  explicit buffer_budget(uint64_t limit) noexcept : limit_(limit) {
  }

  /// Takes `bytes` if they fit; takes nothing and returns false otherwise.
  bool try_take(uint64_t bytes) noexcept {
    if (bytes > limit_ - held_)
      return false;
    held_ += bytes;
    peak_ = std::max(peak_, held_);
    return true;
  }

  /// Returns `bytes` taken earlier (never more than were taken).
  void give_back(uint64_t bytes) noexcept {
    held_ -= bytes;
  }

  uint64_t held() const noexcept {
    return held_;
  }

  /// The most ever held at once.
  uint64_t peak() const noexcept {
    return peak_;
  }

  uint64_t limit() const noexcept {
    return limit_;
  }

private:
  uint64_t limit_;
  uint64_t held_ = 0;
  uint64_t peak_ = 0;
};

} // namespace rpcnet
