// The bidirectional streaming handler that tests of streaming calls talk
// to: it answers each message with "ack: <message>" until the caller
// finishes, so a test sees every message arrive and can pace its sends.
#pragma once

#include <string>

#include <rpcnet/actors/streaming_handler.hpp>
#include <rpcnet/transport/byte_buffer.hpp>

namespace rpcnet::test {

inline caf::error acknowledging_chat(stream_reader& in, stream_writer& out) {
  for (;;) {
    auto msg = in.next();
    if (!msg)
      return std::move(msg.error());
    if (!*msg)
      return {};
    if (auto err = out.write(to_bytes("ack: " + std::string{as_string_view(**msg)})))
      return err;
  }
}

} // namespace rpcnet::test
