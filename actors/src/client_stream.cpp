#include <rpcnet/actors/client_stream.hpp>

#include "call_protocol.hpp"
#include <rpcnet/actors/streaming_handler.hpp>
#include <rpcnet/transport/error.hpp>
#include <rpcnet/transport/frame_codec.hpp>

namespace rpcnet {

client_stream& client_stream::operator=(client_stream&& other) noexcept {
  if (this != &other) {
    if (ch_ && !ch_->input_closed())
      cancel();
    ch_ = std::move(other.ch_);
    wait_ = other.wait_;
    // Releases what the old call held, then holds the new call's.
    release_ = std::move(other.release_);
  }
  return *this;
}

client_stream::~client_stream() {
  if (ch_ && !ch_->input_closed())
    cancel();
}

caf::error client_stream::send(const byte_buffer& message) {
  byte_buffer frame;
  frame.reserve(message.size() + 5);
  wire::append_data(frame, message);
  return ch_->write(std::move(frame), deadline_after(wait_));
}

caf::error client_stream::finish() {
  byte_buffer end;
  frame_encoder::append_end(end);
  return ch_->write(std::move(end), deadline_after(wait_), true);
}

caf::expected<std::optional<byte_buffer>> client_stream::next() {
  return ch_->next(deadline_after(wait_));
}

void client_stream::cancel() {
  ch_->cancel(make_error(error::cancelled, "the call was cancelled"));
}

call_metadata client_stream::trailers() const {
  return ch_->trailers();
}

} // namespace rpcnet
