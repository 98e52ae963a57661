#include <rpcnet/actors/streaming_handler.hpp>

#include "call_protocol.hpp"

namespace rpcnet {

caf::error stream_writer::write(const byte_buffer& message) {
  byte_buffer frame;
  frame.reserve(message.size() + 5);
  wire::append_data(frame, message);
  return ch_.write(std::move(frame), deadline_after(wait_));
}

} // namespace rpcnet
