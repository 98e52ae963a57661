// The bytes written to one QUIC stream that the peer has not acknowledged
// yet: ngtcp2 needs them to stay put until acked or until the stream
// closes, and resends from them -- even after the stream was reset, from
// packets already queued or declared lost.
#pragma once

#include <ngtcp2/ngtcp2.h>

#include <algorithm>
#include <cstdint>
#include <deque>

#include <rpcnet/transport/byte_buffer.hpp>

namespace rpcnet {

class stream_send_queue {
public:
  /// Queues bytes after everything queued so far (none once abandoned).
  void push(byte_buffer data) {
    if (data.empty() || abandoned_)
      return;
    end_ += data.size();
    chunks_.push_back(std::move(data));
  }

  bool has_unsent() const noexcept {
    return sent_ < end_;
  }

  uint64_t unsent_bytes() const noexcept {
    return end_ - sent_;
  }

  /// Fills `out` with up to `max` views of the bytes not yet handed to
  /// ngtcp2; returns how many views it filled. Views stay valid until the
  /// bytes are acknowledged: deque::push_back moves no element.
  size_t unsent(ngtcp2_vec* out, size_t max) const {
    size_t n = 0;
    uint64_t chunk_start = base_;
    for (const auto& chunk : chunks_) {
      if (chunk_start >= end_)
        break;
      uint64_t chunk_end = std::min<uint64_t>(chunk_start + chunk.size(), end_);
      if (chunk_end > sent_) {
        if (n == max)
          break;
        auto skip = sent_ > chunk_start ? sent_ - chunk_start : 0;
        out[n].base = const_cast<uint8_t*>(chunk.data()) + skip;
        out[n].len = chunk_end - chunk_start - skip;
        ++n;
      }
      chunk_start += chunk.size();
    }
    return n;
  }

  /// Marks `n` more bytes as handed to ngtcp2.
  void consume(size_t n) noexcept {
    sent_ += n;
  }

  /// Releases every chunk that lies wholly before `offset`.
  void acknowledge_until(uint64_t offset) {
    while (!chunks_.empty() && base_ + chunks_.front().size() <= offset) {
      base_ += chunks_.front().size();
      chunks_.pop_front();
    }
  }

  /// The stream was reset: forgets the bytes not yet handed to ngtcp2 and
  /// keeps those it was handed, which it may still read until the stream
  /// closes (the owner frees the queue then), but no longer counts them.
  void abandon() {
    while (!chunks_.empty() && end_ - chunks_.back().size() >= sent_) {
      end_ -= chunks_.back().size();
      chunks_.pop_back();
    }
    // What is left of a chunk that was handed over in part is never offered.
    end_ = sent_;
    abandoned_ = true;
  }

  /// Bytes held to be delivered, sent or not; none once abandoned.
  uint64_t buffered() const noexcept {
    return abandoned_ ? 0 : end_ - base_;
  }

private:
  std::deque<byte_buffer> chunks_;
  /// Stream offset of the first byte of chunks_.front().
  uint64_t base_ = 0;
  /// Stream offset up to which bytes were handed to ngtcp2.
  uint64_t sent_ = 0;
  /// Stream offset after the last queued byte.
  uint64_t end_ = 0;
  bool abandoned_ = false;
};

} // namespace rpcnet
