#include "actor_stream.hpp"

#include <caf/send.hpp>

#include <rpcnet/actors/atoms.hpp>
#include "call_protocol.hpp"
#include <rpcnet/transport/error.hpp>

namespace rpcnet {

actor_stream::actor_stream(caf::local_actor* self, stream_channel::address addr,
                           uint64_t window, caf::actor consumer, uint64_t id)
  : self_(self), addr_(std::move(addr)), window_(window), consumer_(std::move(consumer)), id_(id) {
}

void actor_stream::push(byte_buffer message, uint64_t wire_size) {
  if (failure_)
    return;
  inbox_.emplace_back(std::move(message), wire_size);
  deliver();
}

void actor_stream::end_input(caf::error status) {
  input_ended_ = true;
  status_ = std::move(status);
  deliver();
}

void actor_stream::acked(uint64_t bytes) {
  outstanding_ = bytes >= outstanding_ ? 0 : outstanding_ - bytes;
  flush_sends();
}

void actor_stream::fail(caf::error err) {
  if (failure_)
    return;
  failure_ = std::move(err);
  output_closed_ = true;
  inbox_.clear();
  for (auto& [frames, promise] : sends_)
    promise.deliver(failure_);
  sends_.clear();
  if (!end_sent_) {
    end_sent_ = true;
    caf::anon_send(consumer_, end_atom::value, id_, failure_);
  }
}

bool actor_stream::input_closed() const {
  return end_sent_;
}

bool actor_stream::output_closed() const {
  return output_closed_ && sends_.empty() && !tail_;
}

void actor_stream::demand(uint32_t n) {
  demand_ += n;
  deliver();
}

void actor_stream::deliver() {
  while (demand_ > 0 && !inbox_.empty()) {
    auto& [message, wire_size] = inbox_.front();
    untold_credit_ += wire_size;
    caf::anon_send(consumer_, message_atom::value, id_, std::move(message));
    inbox_.pop_front();
    --demand_;
  }
  if (untold_credit_ > 0 && (untold_credit_ >= window_ / 4 || inbox_.empty())) {
    addr_.ep->submit(consume_command{addr_.conn, addr_.stream_id, addr_.token, untold_credit_});
    untold_credit_ = 0;
  }
  if (inbox_.empty() && input_ended_ && !end_sent_) {
    end_sent_ = true;
    caf::anon_send(consumer_, end_atom::value, id_, status_);
  }
}

caf::result<bool> actor_stream::send(const byte_buffer& message) {
  if (failure_)
    return failure_;
  if (output_closed_ || tail_)
    return make_error(error::stream, "the stream's output is already finished");
  if (sends_.size() >= max_queued_sends)
    return make_error(error::overloaded, "wait for each send's answer before the next");
  byte_buffer frame;
  wire::append_data(frame, message);
  auto promise = self_->make_response_promise<bool>();
  sends_.emplace_back(std::move(frame), promise);
  flush_sends();
  return promise;
}

void actor_stream::flush_sends() {
  while (!sends_.empty() && outstanding_ < window_) {
    auto& [frames, promise] = sends_.front();
    outstanding_ += frames.size();
    addr_.ep->submit(write_stream_command{addr_.conn, addr_.stream_id, std::move(frames), false,
                                          addr_.token});
    promise.deliver(true);
    sends_.pop_front();
  }
  if (sends_.empty() && tail_) {
    addr_.ep->submit(
      write_stream_command{addr_.conn, addr_.stream_id, std::move(*tail_), true, addr_.token});
    tail_.reset();
  }
}

void actor_stream::finish(byte_buffer tail) {
  if (failure_ || output_closed_)
    return;
  output_closed_ = true;
  tail_ = std::move(tail);
  flush_sends();
}

void actor_stream::cancel() {
  if (failure_)
    return;
  addr_.ep->submit(
    reset_stream_command{addr_.conn, addr_.stream_id, addr_.token, app_error::cancelled});
  fail(make_error(error::cancelled, "the call was cancelled"));
}

} // namespace rpcnet
