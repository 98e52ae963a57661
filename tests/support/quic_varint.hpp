// QUIC's variable-length integers (RFC 9000 section 16), written and read
// by the test code that builds packets, frames and transport parameters by
// hand: two high bits give the length (1, 2, 4 or 8 bytes), the rest is
// the value, big-endian.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include <rpcnet/transport/byte_buffer.hpp>

namespace rpcnet::test {

/// Appends `value` in the shortest form (values up to 2^62 - 1).
inline void append_varint(byte_buffer& out, uint64_t value) {
  if (value < 0x40) {
    out.push_back(static_cast<uint8_t>(value));
  } else if (value < 0x4000) {
    out.push_back(static_cast<uint8_t>(0x40 | (value >> 8)));
    out.push_back(static_cast<uint8_t>(value));
  } else if (value < 0x40000000) {
    out.push_back(static_cast<uint8_t>(0x80 | (value >> 24)));
    for (int shift = 16; shift >= 0; shift -= 8)
      out.push_back(static_cast<uint8_t>(value >> shift));
  } else {
    out.push_back(static_cast<uint8_t>(0xC0 | (value >> 56)));
    for (int shift = 48; shift >= 0; shift -= 8)
      out.push_back(static_cast<uint8_t>(value >> shift));
  }
}

/// Reads the varint at `pos` and moves `pos` past it; nullopt (and `pos`
/// unchanged) when `in` ends inside it.
inline std::optional<uint64_t> read_varint(std::span<const uint8_t> in, size_t& pos) {
  if (pos >= in.size())
    return std::nullopt;
  size_t size = size_t{1} << (in[pos] >> 6);
  if (in.size() - pos < size)
    return std::nullopt;
  uint64_t value = in[pos] & 0x3F;
  for (size_t i = 1; i < size; ++i)
    value = (value << 8) | in[pos + i];
  pos += size;
  return value;
}

} // namespace rpcnet::test
