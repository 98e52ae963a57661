#include "call_protocol.hpp"

#include <algorithm>
#include <cstring>

#include <rpcnet/actors/error_trailers.hpp>
#include <rpcnet/transport/frame_codec.hpp>

namespace rpcnet::wire {

namespace {

void put_u16(byte_buffer& out, uint16_t x) {
  out.push_back(static_cast<uint8_t>(x));
  out.push_back(static_cast<uint8_t>(x >> 8));
}

void put_u32(byte_buffer& out, uint32_t x) {
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<uint8_t>(x >> (8 * i)));
}

void put_u64(byte_buffer& out, uint64_t x) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<uint8_t>(x >> (8 * i)));
}

/// Reads little-endian integers from a frame, remembering if it ran short.
class reader {
public:
  explicit reader(const byte_buffer& buf) : buf_(buf) {
  }

  template <class T>
  T get() {
    T x = 0;
    if (pos_ + sizeof(T) > buf_.size()) {
      short_ = true;
      return x;
    }
    for (size_t i = 0; i < sizeof(T); ++i)
      x |= static_cast<T>(static_cast<T>(buf_[pos_ + i]) << (8 * i));
    pos_ += sizeof(T);
    return x;
  }

  /// The next `n` bytes, viewed in the frame.
  std::string_view get_view(size_t n) {
    if (pos_ + n > buf_.size()) {
      short_ = true;
      return {};
    }
    std::string_view s(reinterpret_cast<const char*>(buf_.data()) + pos_, n);
    pos_ += n;
    return s;
  }

  std::string get_string(size_t n) {
    return std::string{get_view(n)};
  }

  size_t remaining() const {
    return buf_.size() - pos_;
  }

  bool short_read() const {
    return short_;
  }
  bool at_end() const {
    return pos_ == buf_.size();
  }

private:
  const byte_buffer& buf_;
  size_t pos_ = 0;
  bool short_ = false;
};

void append_framed(byte_buffer& out, const byte_buffer& payload) {
  frame_encoder::append(out, payload);
}

/// CALL: type, version, kind, flags, request id, deadline, wait, method
/// length; STATUS: type, code, request id, message length. Metadata and
/// details follow.
constexpr size_t call_fixed_size = 21;
constexpr size_t status_fixed_size = 12;

/// CALL flag: the deadline field is set.
constexpr uint8_t flag_deadline = 0x01;

} // namespace

/// Reads a metadata section; returns why it is malformed, or nothing. A
/// first walk checks the pairs where they lie in the frame, so a hostile
/// count or size costs no more than the frame's own bytes; a second copies
/// them into one buffer of the exact size, known valid from then on.
struct metadata_codec {
  static std::string read(reader& in, call_metadata& md, size_t max_size) {
    auto count = in.get<uint16_t>();
    auto pairs = in;
    size_t total = 0;
    for (uint16_t i = 0; i < count; ++i) {
      auto key = in.get_view(in.get<uint8_t>());
      auto value = in.get_view(in.get<uint16_t>());
      if (in.short_read())
        return "metadata is truncated";
      total += 3 + key.size() + value.size();
      if (total > max_size)
        return "metadata exceeds the limit of " + std::to_string(max_size) + " bytes";
      if (!is_valid_metadata_key(key))
        return "metadata: " + metadata_key_problem(key);
      if (!is_valid_metadata_value(key, value))
        return "metadata: " + metadata_value_problem(key, value);
    }
    if (count == 0)
      return {};
    auto s = std::make_shared<call_metadata::storage>();
    s->bytes.resize(total + size_t{count} * (call_metadata::header_size - 3));
    char* p = s->bytes.data();
    for (uint16_t i = 0; i < count; ++i) {
      auto key = pairs.get_view(pairs.get<uint8_t>());
      auto value = pairs.get_view(pairs.get<uint16_t>());
      uint32_t len[2] = {static_cast<uint32_t>(key.size()), static_cast<uint32_t>(value.size())};
      std::memcpy(p, len, sizeof len);
      std::memcpy(p + sizeof len, key.data(), key.size());
      std::memcpy(p + sizeof len + key.size(), value.data(), value.size());
      p += sizeof len + key.size() + value.size();
    }
    s->count = count;
    s->wire_size = total;
    s->valid.store(true, std::memory_order_relaxed);
    md.shared_ = std::move(s);
    return {};
  }
};

namespace {

/// Appends `n` bytes at `p`.
void put_bytes(byte_buffer& out, const void* p, size_t n) {
  auto* bytes = static_cast<const uint8_t*>(p);
  out.insert(out.end(), bytes, bytes + n);
}

void put_metadata(byte_buffer& out, const call_metadata& md) {
  // Sized once and written in place: per pair, a length byte, the key, two
  // length bytes and the value.
  auto at = out.size();
  out.resize(at + 2 + md.wire_size());
  uint8_t* p = out.data() + at;
  auto put = [&p](const void* bytes, size_t n) {
    std::memcpy(p, bytes, n);
    p += n;
  };
  auto n = static_cast<uint16_t>(md.size());
  uint8_t count[2] = {static_cast<uint8_t>(n), static_cast<uint8_t>(n >> 8)};
  put(count, 2);
  for (auto [k, v] : md.entries()) {
    auto klen = static_cast<uint8_t>(k.size());
    uint8_t vlen[2] = {static_cast<uint8_t>(v.size()), static_cast<uint8_t>(v.size() >> 8)};
    put(&klen, 1);
    put(k.data(), k.size());
    put(vlen, 2);
    put(v.data(), v.size());
  }
}

/// Bytes a metadata section takes: its count and its pairs.
size_t metadata_section_size(const call_metadata& md) {
  return 2 + md.wire_size();
}

/// The CALL payload, appended to `out`.
void put_call(byte_buffer& out, const call_header& hdr) {
  out.push_back(static_cast<uint8_t>(frame_type::call));
  out.push_back(protocol_version);
  out.push_back(static_cast<uint8_t>(hdr.kind));
  out.push_back(hdr.deadline_ms ? flag_deadline : 0);
  put_u64(out, hdr.request_id);
  put_u32(out, hdr.deadline_ms.value_or(0));
  put_u32(out, hdr.wait_ms);
  out.push_back(static_cast<uint8_t>(hdr.method.size()));
  put_bytes(out, hdr.method.data(), hdr.method.size());
  put_metadata(out, hdr.metadata);
}

size_t call_size(const call_header& hdr) {
  return call_fixed_size + hdr.method.size() + metadata_section_size(hdr.metadata);
}

} // namespace

byte_buffer encode_call(const call_header& hdr) {
  byte_buffer out;
  out.reserve(call_size(hdr));
  put_call(out, hdr);
  return out;
}

byte_buffer encode_data(const byte_buffer& body) {
  byte_buffer out;
  out.reserve(1 + body.size());
  out.push_back(static_cast<uint8_t>(frame_type::data));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

byte_buffer encode_status(const status& st) {
  byte_buffer out;
  auto n = std::min(st.message.size(), max_status_message);
  auto details = std::min(st.details.size(), max_error_details);
  out.reserve(status_fixed_size + n + metadata_section_size(st.trailers) + 2 + details);
  out.push_back(static_cast<uint8_t>(frame_type::status));
  out.push_back(st.code);
  put_u64(out, st.request_id);
  put_u16(out, static_cast<uint16_t>(n));
  put_bytes(out, st.message.data(), n);
  put_metadata(out, st.trailers);
  put_u16(out, static_cast<uint16_t>(details));
  put_bytes(out, st.details.data(), details);
  return out;
}

void append_call(byte_buffer& out, const call_header& hdr) {
  // Encoded in place behind its length prefix, like append_data.
  auto size = call_size(hdr);
  auto pos = out.size();
  out.resize(pos + frame_encoder::header_size);
  put_call(out, hdr);
  frame_encoder::write_header(out.data() + pos, static_cast<uint32_t>(size));
}

void append_data(byte_buffer& out, const byte_buffer& body) {
  // Built in place: payloads can be large, so copy them once.
  auto pos = out.size();
  out.resize(pos + frame_encoder::header_size + 1 + body.size());
  frame_encoder::write_header(out.data() + pos, static_cast<uint32_t>(1 + body.size()));
  out[pos + frame_encoder::header_size] = static_cast<uint8_t>(frame_type::data);
  std::copy(body.begin(), body.end(),
            out.begin() + static_cast<ptrdiff_t>(pos + frame_encoder::header_size + 1));
}

void append_status(byte_buffer& out, const status& st) {
  append_framed(out, encode_status(st));
}

decode_result decode(const byte_buffer& payload, size_t max_metadata) {
  if (payload.empty())
    return {std::nullopt, "empty frame where a typed frame was expected"};
  reader in{payload};
  auto type = in.get<uint8_t>();
  switch (static_cast<frame_type>(type)) {
    case frame_type::call: {
      call_header hdr;
      auto version = in.get<uint8_t>();
      auto kind = in.get<uint8_t>();
      auto flags = in.get<uint8_t>();
      hdr.request_id = in.get<uint64_t>();
      auto deadline = in.get<uint32_t>();
      hdr.wait_ms = in.get<uint32_t>();
      auto len = in.get<uint8_t>();
      if (in.short_read())
        return {std::nullopt, "truncated CALL frame"};
      if (version != protocol_version)
        return {std::nullopt, "unsupported protocol version " + std::to_string(version)};
      if (kind < 1 || kind > 4)
        return {std::nullopt, "unknown call kind " + std::to_string(kind)};
      if ((flags & ~flag_deadline) != 0)
        return {std::nullopt, "unknown CALL flags " + std::to_string(flags)};
      hdr.kind = static_cast<call_kind>(kind);
      if (flags & flag_deadline)
        hdr.deadline_ms = deadline;
      else if (deadline != 0)
        return {std::nullopt, "a deadline without the deadline flag"};
      if (len == 0)
        return {std::nullopt, "empty method name"};
      hdr.method = in.get_string(len);
      if (auto why = metadata_codec::read(in, hdr.metadata, max_metadata); !why.empty())
        return {std::nullopt, "CALL " + why};
      if (in.short_read() || !in.at_end())
        return {std::nullopt, "CALL frame length does not match its fields"};
      return {frame{std::move(hdr)}, {}};
    }
    case frame_type::data:
      return {frame{byte_buffer(payload.begin() + 1, payload.end())}, {}};
    case frame_type::status: {
      status st;
      st.code = in.get<uint8_t>();
      st.request_id = in.get<uint64_t>();
      auto len = in.get<uint16_t>();
      if (in.short_read())
        return {std::nullopt, "truncated STATUS frame"};
      error unused{};
      if (st.code != 0 && !from_wire(st.code, unused))
        return {std::nullopt, "unknown status code " + std::to_string(st.code)};
      if (len > max_status_message)
        return {std::nullopt, "STATUS message too long"};
      st.message = in.get_string(len);
      if (auto why = metadata_codec::read(in, st.trailers, max_metadata); !why.empty())
        return {std::nullopt, "STATUS " + why};
      auto details = in.get<uint16_t>();
      auto blob = in.get_string(details);
      st.details.assign(blob.begin(), blob.end());
      if (in.short_read() || !in.at_end())
        return {std::nullopt, "STATUS frame length does not match its fields"};
      return {frame{std::move(st)}, {}};
    }
  }
  return {std::nullopt, "unknown frame type " + std::to_string(type)};
}

status status_from_error(const caf::error& err, uint64_t request_id) {
  status st;
  st.request_id = request_id;
  if (is_rpcnet_error(err)) {
    st.code = err.code();
    st.message = message_of(err);
    st.details = details_of(err);
  } else {
    st.code = static_cast<uint8_t>(code_of(err));
    st.message = describe(err);
  }
  return st;
}

caf::error error_from_status(const status& st) {
  error code{};
  if (!from_wire(st.code, code))
    code = error::protocol;
  // The trailers ride in the error, so that every caller's path hands
  // them on (error_trailers.hpp).
  return with_trailers(make_error(code, st.message, st.details), st.trailers);
}

} // namespace rpcnet::wire
