// The stream framing of rpcnet's wire (docs/PROTOCOL.md): each frame is a
// u32 little-endian length followed by that many payload bytes; a
// zero-length frame ends a direction. A plain class without I/O: bytes in,
// frames out, so it is tested byte by byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include <rpcnet/transport/byte_buffer.hpp>

namespace rpcnet {

/// Appends frames to an output buffer.
class frame_encoder {
public:
  /// Size of the length prefix.
  static constexpr size_t header_size = 4;

  /// Appends one frame holding `payload` to `out`.
  static void append(byte_buffer& out, std::span<const uint8_t> payload);

  /// Appends the zero-length frame that ends a direction.
  static void append_end(byte_buffer& out);

  /// Writes the length prefix for a frame of `payload_size` bytes into the
  /// four bytes at `out`; for callers that build the payload in place.
  static void write_header(uint8_t* out, uint32_t payload_size);
};

/// Splits incoming bytes into frames, enforcing a maximum frame size. After
/// the first error the decoder stays failed: a stream whose framing broke
/// cannot be resynchronised.
class frame_decoder {
public:
  // -- member types -----------------------------------------------------------

  enum class status {
    ok,         ///< no error so far
    oversized,  ///< a length prefix exceeded the maximum frame size
    after_end,  ///< bytes arrived after the end-of-direction frame
  };

  // -- constructors -----------------------------------------------------------

  explicit frame_decoder(uint32_t max_frame_size) noexcept
    : max_frame_size_(max_frame_size) {
  }

  // -- input ------------------------------------------------------------------

  /// Takes bytes; returns how many were consumed. Consumption stops after a
  /// complete frame so that the caller can take it with next_frame(), and on
  /// error. Call repeatedly until all input is consumed or failed().
  size_t feed(std::span<const uint8_t> input);

  /// Returns the completed frame, if one is ready, and resets for the next.
  /// A returned empty buffer is the end-of-direction frame.
  std::optional<byte_buffer> next_frame();

  // -- properties -------------------------------------------------------------

  /// True once the end-of-direction frame was decoded.
  bool ended() const noexcept {
    return ended_;
  }

  /// True if the stream's framing is broken.
  bool failed() const noexcept {
    return status_ != status::ok;
  }

  status state() const noexcept {
    return status_;
  }

  /// True when bytes of an unfinished frame (or its prefix) are buffered;
  /// a stream that ends now was truncated.
  bool mid_frame() const noexcept {
    return header_fill_ > 0 || expected_.has_value();
  }

  /// A description of the error for the peer and the logs.
  std::string error_message() const;

  uint32_t max_frame_size() const noexcept {
    return max_frame_size_;
  }

  /// Bytes held for the frame being read (its prefix and payload so far):
  /// the transport's credit and memory budget count what the peer sent.
  size_t buffered() const noexcept {
    return (expected_ ? sizeof(header_) : header_fill_) + payload_.size();
  }

private:
  // -- member variables -------------------------------------------------------

  /// Largest payload a frame may claim.
  uint32_t max_frame_size_;

  /// Bytes of the current length prefix seen so far.
  uint8_t header_[4] = {0, 0, 0, 0};
  size_t header_fill_ = 0;

  /// Payload length of the frame being read, once its prefix is complete.
  std::optional<uint32_t> expected_;

  /// Payload bytes of the frame being read.
  byte_buffer payload_;

  /// The finished frame waiting for next_frame().
  std::optional<byte_buffer> ready_;

  bool ended_ = false;
  status status_ = status::ok;
  uint32_t rejected_size_ = 0;
};

} // namespace rpcnet
