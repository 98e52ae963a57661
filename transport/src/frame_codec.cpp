#include <rpcnet/transport/frame_codec.hpp>

#include <algorithm>

namespace rpcnet {

void frame_encoder::write_header(uint8_t* out, uint32_t payload_size) {
  out[0] = static_cast<uint8_t>(payload_size);
  out[1] = static_cast<uint8_t>(payload_size >> 8);
  out[2] = static_cast<uint8_t>(payload_size >> 16);
  out[3] = static_cast<uint8_t>(payload_size >> 24);
}

void frame_encoder::append(byte_buffer& out, std::span<const uint8_t> payload) {
  auto pos = out.size();
  out.resize(pos + header_size + payload.size());
  write_header(out.data() + pos, static_cast<uint32_t>(payload.size()));
  std::copy(payload.begin(), payload.end(), out.begin() + pos + header_size);
}

void frame_encoder::append_end(byte_buffer& out) {
  out.insert(out.end(), header_size, uint8_t{0});
}

size_t frame_decoder::feed(std::span<const uint8_t> input) {
  size_t used = 0;
  while (used < input.size() && !ready_ && status_ == status::ok) {
    if (ended_) {
      status_ = status::after_end;
      break;
    }
    if (!expected_) {
      auto n = std::min(input.size() - used, sizeof(header_) - header_fill_);
      std::copy_n(input.begin() + used, n, header_ + header_fill_);
      header_fill_ += n;
      used += n;
      if (header_fill_ < sizeof(header_))
        break;
      auto len = uint32_t{header_[0]} | (uint32_t{header_[1]} << 8)
                 | (uint32_t{header_[2]} << 16) | (uint32_t{header_[3]} << 24);
      header_fill_ = 0;
      if (len > max_frame_size_) {
        rejected_size_ = len;
        status_ = status::oversized;
        break;
      }
      if (len == 0) {
        ended_ = true;
        ready_.emplace();
        break;
      }
      expected_ = len;
      // Reserve only what has arrived: a prefix claiming many bytes that
      // never come must not make us allocate them up front.
      payload_.clear();
    }
    auto want = *expected_ - payload_.size();
    auto n = std::min(input.size() - used, want);
    payload_.insert(payload_.end(), input.begin() + used,
                    input.begin() + used + n);
    used += n;
    if (payload_.size() == *expected_) {
      ready_ = std::move(payload_);
      payload_ = byte_buffer{};
      expected_.reset();
    }
  }
  return used;
}

std::optional<byte_buffer> frame_decoder::next_frame() {
  auto result = std::move(ready_);
  ready_.reset();
  return result;
}

std::string frame_decoder::error_message() const {
  switch (status_) {
    case status::ok: return {};
    case status::oversized:
      return "frame of " + std::to_string(rejected_size_)
             + " bytes exceeds the maximum of "
             + std::to_string(max_frame_size_);
    case status::after_end: return "data after the end-of-direction frame";
  }
  return "malformed framing";
}

} // namespace rpcnet
