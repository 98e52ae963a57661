#include "reply_writer.hpp"

#include "call_protocol.hpp"
#include <rpcnet/transport/frame_codec.hpp>

namespace rpcnet {

void reply_target::send(caf::expected<byte_buffer> result) const {
  if (!result) {
    send_error(result.error());
    return;
  }
  byte_buffer out;
  out.reserve(result->size() + 32);
  wire::append_data(out, *result);
  wire::append_status(out, wire::status{0, request_id, {}});
  frame_encoder::append_end(out);
  ep->submit(write_stream_command{conn, stream_id, std::move(out), true});
}

void reply_target::send_error(const caf::error& err) const {
  byte_buffer out;
  wire::append_status(out, wire::status_from_error(err, request_id));
  frame_encoder::append_end(out);
  ep->submit(write_stream_command{conn, stream_id, std::move(out), true});
}

} // namespace rpcnet
