// The byte type that crosses every rpcnet boundary: request and response
// payloads, frames, datagrams.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace rpcnet {

/// Owned bytes: a payload, a frame or a datagram.
using byte_buffer = std::vector<uint8_t>;

/// Copies the characters of `text` into a new buffer.
inline byte_buffer to_bytes(std::string_view text) {
  return byte_buffer(text.begin(), text.end());
}

/// Views the bytes of `buf` as characters.
inline std::string_view as_string_view(const byte_buffer& buf) {
  return {reinterpret_cast<const char*>(buf.data()), buf.size()};
}

} // namespace rpcnet
