#include <rpcnet/actors/stream_channel.hpp>

#include <rpcnet/transport/error.hpp>

namespace rpcnet {

stream_channel::stream_channel(address addr, uint64_t window)
  : addr_(std::move(addr)), window_(window) {
}

void stream_channel::push(byte_buffer message, uint64_t wire_size) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (failure_)
    return;
  inbox_.push_back(std::move(message));
  inbox_sizes_.push_back(wire_size);
  cv_.notify_all();
}

void stream_channel::end_input(caf::error status) {
  std::lock_guard<std::mutex> guard{mtx_};
  input_ended_ = true;
  input_status_ = std::move(status);
  cv_.notify_all();
}

void stream_channel::trailers_arrived(call_metadata trailers) {
  std::lock_guard<std::mutex> guard{mtx_};
  trailers_ = std::move(trailers);
}

void stream_channel::acked(uint64_t bytes) {
  std::lock_guard<std::mutex> guard{mtx_};
  outstanding_ = bytes >= outstanding_ ? 0 : outstanding_ - bytes;
  cv_.notify_all();
}

void stream_channel::fail(caf::error err) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (failure_)
    return;
  failure_ = std::move(err);
  output_closed_ = true;
  cv_.notify_all();
}

caf::expected<std::optional<byte_buffer>> stream_channel::next(clock::time_point deadline) {
  std::unique_lock<std::mutex> lock{mtx_};
  auto ready = [&] { return !inbox_.empty() || input_ended_ || failure_; };
  if (!cv_.wait_until(lock, deadline, ready))
    return make_error(error::timeout, "no message arrived in time");
  if (!inbox_.empty()) {
    auto msg = std::move(inbox_.front());
    inbox_.pop_front();
    untold_credit_ += inbox_sizes_.front();
    inbox_sizes_.pop_front();
    return_credit(lock);
    return std::optional<byte_buffer>{std::move(msg)};
  }
  if (failure_)
    return failure_;
  if (input_status_)
    return input_status_;
  return std::optional<byte_buffer>{};
}

void stream_channel::return_credit(std::unique_lock<std::mutex>&) {
  if (untold_credit_ == 0 || (untold_credit_ < window_ / 4 && !inbox_.empty()))
    return;
  addr_.ep->submit(consume_command{addr_.conn, addr_.stream_id, addr_.token, untold_credit_});
  untold_credit_ = 0;
}

caf::error stream_channel::write(byte_buffer frames, clock::time_point deadline, bool fin) {
  std::unique_lock<std::mutex> lock{mtx_};
  auto room = [&] { return outstanding_ < window_ || failure_ || output_closed_; };
  if (!cv_.wait_until(lock, deadline, room))
    return make_error(error::timeout, "the peer took nothing for too long");
  if (failure_)
    return failure_;
  if (output_closed_)
    return make_error(error::stream, "the stream's output is already finished");
  outstanding_ += frames.size();
  output_closed_ = fin;
  addr_.ep->submit(write_stream_command{addr_.conn, addr_.stream_id, std::move(frames), fin,
                                        addr_.token});
  return {};
}

void stream_channel::finish(byte_buffer frames) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (output_closed_)
    return;
  output_closed_ = true;
  addr_.ep->submit(write_stream_command{addr_.conn, addr_.stream_id, std::move(frames), true,
                                        addr_.token});
}

void stream_channel::cancel(caf::error reason) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (failure_)
      return;
    failure_ = std::move(reason);
    output_closed_ = true;
    cv_.notify_all();
  }
  addr_.ep->submit(
    reset_stream_command{addr_.conn, addr_.stream_id, addr_.token, app_error::cancelled});
}

caf::error stream_channel::failure() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return failure_;
}

call_metadata stream_channel::trailers() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return trailers_;
}

bool stream_channel::output_closed() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return output_closed_;
}

bool stream_channel::input_closed() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return input_ended_ || static_cast<bool>(failure_);
}

} // namespace rpcnet
