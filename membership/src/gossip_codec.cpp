// Encoding and hostile-input-safe decoding of gossip datagrams (see
// gossip_codec.hpp and docs/PROTOCOL.md, section 7).
#include "gossip_codec.hpp"

#include <algorithm>
#include <cstdio>
#include <string>
#include <type_traits>

#include <rpcnet/transport/error.hpp>

namespace rpcnet::gossip {

namespace {

// -- names --------------------------------------------------------------------

const char* name_of(message_type type) {
  switch (type) {
    case message_type::ping: return "ping";
    case message_type::ping_req: return "ping_req";
    case message_type::ack: return "ack";
    case message_type::nack: return "nack";
    case message_type::alive: return "alive";
    case message_type::suspect: return "suspect";
    case message_type::dead: return "dead";
    case message_type::leave: return "leave";
    case message_type::push_pull: return "push_pull";
  }
  return "unknown";
}

std::string hex_byte(uint8_t value) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "0x%02x", value);
  return buf;
}

// -- sizes --------------------------------------------------------------------

constexpr size_t id_size = 16;
constexpr size_t incarnation_size = 8;
// id, incarnation, state, address length
constexpr size_t entry_fixed_size = id_size + incarnation_size + 1 + 1;

size_t body_size(const message& msg) {
  return std::visit(
    [](const auto& m) -> size_t {
      using type = std::decay_t<decltype(m)>;
      if constexpr (std::is_same_v<type, ping>)
        return 4 + id_size;
      else if constexpr (std::is_same_v<type, ping_req>)
        return 4 + id_size;
      else if constexpr (std::is_same_v<type, ack> || std::is_same_v<type, nack>)
        return 4;
      else if constexpr (std::is_same_v<type, alive>)
        return id_size + incarnation_size + 1 + m.address.size() + encoded_size(m.tags);
      else if constexpr (std::is_same_v<type, suspect> || std::is_same_v<type, dead>)
        return id_size + incarnation_size + id_size;
      else if constexpr (std::is_same_v<type, leave>)
        return id_size + incarnation_size;
      else {
        size_t total = push_pull_overhead - message_header_size;
        for (const auto& entry : m.members)
          total += encoded_entry_size(entry);
        return total;
      }
    },
    msg);
}

// -- writing ------------------------------------------------------------------

class writer {
public:
  explicit writer(byte_buffer& out) : out_(out) {
  }

  void u8(uint8_t v) {
    out_.push_back(v);
  }

  void u16(uint16_t v) {
    out_.push_back(static_cast<uint8_t>(v));
    out_.push_back(static_cast<uint8_t>(v >> 8));
  }

  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i)
      out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }

  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i)
      out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }

  /// Big-endian, so that byte order is id order.
  void id(const node_id& v) {
    for (int i = 7; i >= 0; --i)
      out_.push_back(static_cast<uint8_t>(v.hi >> (8 * i)));
    for (int i = 7; i >= 0; --i)
      out_.push_back(static_cast<uint8_t>(v.lo >> (8 * i)));
  }

  void str8(const std::string& s) {
    u8(static_cast<uint8_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
  }

  void tags(const tag_map& tags) {
    u8(static_cast<uint8_t>(tags.size()));
    for (const auto& [key, value] : tags) {
      str8(key);
      str8(value);
    }
  }

  void entry(const member& m) {
    id(m.id);
    u64(m.incarnation);
    u8(static_cast<uint8_t>(m.state));
    str8(m.address);
    tags(m.tags);
  }

  void body(const ping& m) {
    u32(m.seq);
    id(m.target);
  }
  void body(const ping_req& m) {
    u32(m.seq);
    id(m.target);
  }
  void body(const ack& m) {
    u32(m.seq);
  }
  void body(const nack& m) {
    u32(m.seq);
  }
  void body(const alive& m) {
    id(m.id);
    u64(m.incarnation);
    str8(m.address);
    tags(m.tags);
  }
  /// suspect and dead: who accuses whom at which incarnation.
  template <class Accusation>
  void body(const Accusation& m)
    requires std::is_same_v<Accusation, suspect> || std::is_same_v<Accusation, dead>
  {
    id(m.id);
    u64(m.incarnation);
    id(m.from);
  }
  void body(const leave& m) {
    id(m.id);
    u64(m.incarnation);
  }
  void body(const push_pull& m) {
    u8(m.reply_requested ? 1 : 0);
    id(m.first);
    id(m.last);
    for (const auto& entry_value : m.members)
      entry(entry_value);
  }

private:
  byte_buffer& out_;
};

/// What the encoder refuses to put on the wire: any field the decoder
/// would refuse (gossip_field_rules.hpp). The SWIM core only says what
/// passed these rules, so a refusal is a bug in it; the caller counts the
/// datagram as unsendable rather than send what no peer would accept.
caf::error refusal(const char* what) {
  return make_error(error::protocol, std::string{"gossip: refusing to encode "} + what);
}

caf::error check_member(const node_id& id, uint64_t incarnation, const std::string& address,
                        const tag_map& tags) {
  if (!valid_member_id(id))
    return refusal("a reserved member id");
  if (incarnation > max_incarnation)
    return refusal("an incarnation above max_incarnation");
  if (!valid_address(address))
    return refusal("an invalid address");
  if (!valid_tags(tags))
    return refusal("invalid tags");
  return {};
}

caf::error check_limits(const message& msg) {
  return std::visit(
    [](const auto& m) -> caf::error {
      using type = std::decay_t<decltype(m)>;
      if constexpr (std::is_same_v<type, alive>) {
        return check_member(m.id, m.incarnation, m.address, m.tags);
      } else if constexpr (std::is_same_v<type, push_pull>) {
        for (const auto& entry : m.members)
          if (auto err = check_member(entry.id, entry.incarnation, entry.address, entry.tags))
            return err;
      }
      return {};
    },
    msg);
}

// -- reading ------------------------------------------------------------------

/// Reads from a bounded span. The first failure is sticky: later reads
/// return zeros and leave the description of the first one in place, so
/// decoders read linearly and check ok() where a value steers a loop.
class reader {
public:
  reader(std::span<const uint8_t> bytes, size_t base_offset)
    : bytes_(bytes), base_(base_offset) {
  }

  bool ok() const noexcept {
    return error_.empty();
  }

  const std::string& error() const noexcept {
    return error_;
  }

  size_t remaining() const noexcept {
    return ok() ? bytes_.size() - pos_ : 0;
  }

  /// Offset of the next byte within the datagram.
  size_t offset() const noexcept {
    return base_ + pos_;
  }

  void fail(std::string what) {
    if (ok())
      error_ = std::move(what) + " at offset " + std::to_string(offset());
  }

  uint8_t u8(const char* what) {
    if (!need(1, what))
      return 0;
    return bytes_[pos_++];
  }

  uint16_t u16(const char* what) {
    if (!need(2, what))
      return 0;
    auto v = static_cast<uint16_t>(bytes_[pos_] | (bytes_[pos_ + 1] << 8));
    pos_ += 2;
    return v;
  }

  uint32_t u32(const char* what) {
    if (!need(4, what))
      return 0;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
      v |= uint32_t{bytes_[pos_ + i]} << (8 * i);
    pos_ += 4;
    return v;
  }

  uint64_t u64(const char* what) {
    if (!need(8, what))
      return 0;
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
      v |= uint64_t{bytes_[pos_ + i]} << (8 * i);
    pos_ += 8;
    return v;
  }

  /// An incarnation, at most max_incarnation.
  uint64_t incarnation(const char* what) {
    auto start = offset();
    auto v = u64(what);
    if (ok() && v > max_incarnation)
      fail(std::string{what} + " " + std::to_string(v) + " above the maximum "
           + std::to_string(max_incarnation) + " (at offset " + std::to_string(start) + ")");
    return v;
  }

  /// A raw id, any value (range bounds of push-pull).
  node_id raw_id(const char* what) {
    if (!need(id_size, what))
      return {};
    node_id v;
    for (int i = 0; i < 8; ++i)
      v.hi = (v.hi << 8) | bytes_[pos_ + i];
    for (int i = 8; i < 16; ++i)
      v.lo = (v.lo << 8) | bytes_[pos_ + i];
    pos_ += id_size;
    return v;
  }

  /// The id of a member or sender: never a reserved one.
  node_id id(const char* what) {
    auto v = raw_id(what);
    if (ok() && !valid_member_id(v))
      fail(std::string{"reserved "} + what + " " + v.to_string());
    return v;
  }

  std::string str8(const char* what) {
    auto len = u8(what);
    if (!need(len, what))
      return {};
    std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), len);
    pos_ += len;
    return s;
  }

  /// A member's address, in canonical numeric form.
  std::string address(const char* what) {
    auto v = str8(what);
    if (ok() && !valid_address(v))
      fail(std::string{"invalid "} + what + " (not a canonical IP address and port)");
    return v;
  }

  tag_map tags() {
    auto start = pos_;
    tag_map result;
    auto count = u8("tag count");
    for (unsigned i = 0; i < count && ok(); ++i) {
      auto key = str8("tag key");
      auto value = str8("tag value");
      if (!ok())
        break;
      if (!valid_tag_key(key))
        fail("invalid tag key (empty, not UTF-8, or control characters)");
      else if (!valid_tag_value(value))
        fail("invalid tag value (not UTF-8, or control characters)");
      else if (!result.emplace(std::move(key), std::move(value)).second)
        fail("duplicate tag key");
    }
    if (ok() && pos_ - start > max_tags_size)
      fail("tags of " + std::to_string(pos_ - start) + " bytes exceed "
           + std::to_string(max_tags_size));
    return result;
  }

  member_state state() {
    auto raw = u8("member state");
    if (raw > static_cast<uint8_t>(member_state::left)) {
      fail("unknown member state " + std::to_string(raw));
      return member_state::alive;
    }
    return static_cast<member_state>(raw);
  }

private:
  bool need(size_t n, const char* what) {
    if (!ok())
      return false;
    if (bytes_.size() - pos_ < n) {
      fail(std::string{"truncated "} + what + ": needs " + std::to_string(n)
           + " bytes, " + std::to_string(bytes_.size() - pos_) + " remain");
      return false;
    }
    return true;
  }

  std::span<const uint8_t> bytes_;
  size_t base_;
  size_t pos_ = 0;
  std::string error_;
};

/// suspect and dead share their layout.
template <class Accusation>
Accusation read_accusation(reader& r) {
  Accusation m;
  m.id = r.id("member id");
  m.incarnation = r.incarnation("incarnation");
  m.from = r.id("from id");
  return m;
}

message read_body(message_type type, reader& r) {
  switch (type) {
    case message_type::ping: {
      ping m;
      m.seq = r.u32("seq");
      m.target = r.id("target id");
      return m;
    }
    case message_type::ping_req: {
      ping_req m;
      m.seq = r.u32("seq");
      m.target = r.id("target id");
      return m;
    }
    case message_type::ack: return ack{r.u32("seq")};
    case message_type::nack: return nack{r.u32("seq")};
    case message_type::alive: {
      alive m;
      m.id = r.id("member id");
      m.incarnation = r.incarnation("incarnation");
      m.address = r.address("address");
      m.tags = r.tags();
      return m;
    }
    case message_type::suspect: return read_accusation<suspect>(r);
    case message_type::dead: return read_accusation<dead>(r);
    case message_type::leave: {
      leave m;
      m.id = r.id("member id");
      m.incarnation = r.incarnation("incarnation");
      return m;
    }
    case message_type::push_pull: {
      push_pull m;
      auto flags = r.u8("flags");
      if (flags > 1)
        r.fail("unknown push_pull flags " + hex_byte(flags));
      m.reply_requested = (flags & 1) != 0;
      m.first = r.raw_id("range first");
      m.last = r.raw_id("range last");
      if (r.ok() && m.last < m.first)
        r.fail("push_pull range ends before it starts");
      // Each entry takes at least entry_fixed_size + 1 bytes, so the vector
      // never grows beyond what the datagram could hold.
      m.members.reserve(r.remaining() / (entry_fixed_size + 1));
      while (r.remaining() > 0) {
        member e;
        e.id = r.id("entry id");
        e.incarnation = r.incarnation("entry incarnation");
        e.state = r.state();
        e.address = r.address("entry address");
        e.tags = r.tags();
        if (!r.ok())
          break;
        if (e.id < m.first || e.id > m.last)
          r.fail("push_pull entry outside its range");
        else if (!m.members.empty() && !(m.members.back().id < e.id))
          r.fail("push_pull entries not in ascending id order");
        else
          m.members.push_back(std::move(e));
      }
      return m;
    }
  }
  return ack{};
}

caf::error protocol_error(std::string what) {
  return make_error(error::protocol, "gossip: " + std::move(what));
}

} // namespace

// -- sizes --------------------------------------------------------------------

size_t encoded_entry_size(const member& m) {
  return entry_fixed_size + m.address.size() + encoded_size(m.tags);
}

size_t encoded_size(const message& msg) {
  return message_header_size + body_size(msg);
}

size_t encoded_size(const datagram& dg) {
  size_t total = datagram_header_size;
  for (const auto& msg : dg.messages)
    total += encoded_size(msg);
  return total;
}

// -- encoding -----------------------------------------------------------------

caf::expected<byte_buffer> encode(const datagram& dg) {
  if (dg.messages.empty())
    return refusal("a datagram without messages");
  auto size = encoded_size(dg);
  if (size > max_datagram_size)
    return make_error(error::protocol, "gossip: refusing to encode a datagram of "
                                         + std::to_string(size) + " bytes (the limit is "
                                         + std::to_string(max_datagram_size) + ")");
  for (const auto& msg : dg.messages)
    if (auto err = check_limits(msg))
      return err;
  byte_buffer out;
  out.reserve(size);
  writer w{out};
  w.u8(magic);
  w.u8(version);
  w.id(dg.sender);
  for (const auto& msg : dg.messages) {
    w.u8(static_cast<uint8_t>(type_of(msg)));
    w.u16(static_cast<uint16_t>(body_size(msg)));
    std::visit([&w](const auto& m) { w.body(m); }, msg);
  }
  return out;
}

std::vector<push_pull> split_state(std::span<const member> members, node_id first,
                                   node_id last, bool reply_requested) {
  constexpr size_t budget = max_datagram_size - datagram_header_size - push_pull_overhead;
  std::vector<push_pull> parts;
  push_pull current;
  current.reply_requested = reply_requested;
  current.first = first;
  current.last = last;
  size_t used = 0;
  for (const auto& m : members) {
    auto size = encoded_entry_size(m);
    if (used + size > budget && !current.members.empty()) {
      // The finished part ends just below the first id of the next one.
      current.last = m.id.predecessor();
      parts.push_back(std::move(current));
      current = push_pull{};
      current.reply_requested = reply_requested;
      current.first = m.id;
      current.last = last;
      used = 0;
    }
    current.members.push_back(m);
    used += size;
  }
  parts.push_back(std::move(current));
  return parts;
}

// -- decoding -----------------------------------------------------------------

caf::expected<datagram> decode(std::span<const uint8_t> bytes) {
  if (bytes.size() > max_datagram_size)
    return protocol_error("datagram of " + std::to_string(bytes.size())
                          + " bytes exceeds " + std::to_string(max_datagram_size));
  if (bytes.size() < datagram_header_size)
    return protocol_error("datagram of " + std::to_string(bytes.size())
                          + " bytes is shorter than the 18-byte header");
  if (bytes[0] != magic)
    return protocol_error("first byte " + hex_byte(bytes[0]) + " is not the gossip magic "
                          + hex_byte(magic));
  if (bytes[1] != version)
    return protocol_error("unsupported version " + std::to_string(bytes[1]));
  datagram dg;
  reader header{bytes.subspan(2, 16), 2};
  dg.sender = header.id("sender id");
  if (!header.ok())
    return protocol_error(header.error());
  size_t pos = datagram_header_size;
  if (pos == bytes.size())
    return protocol_error("datagram carries no message");
  while (pos < bytes.size()) {
    reader head{bytes.subspan(pos), pos};
    auto raw_type = head.u8("message type");
    auto length = head.u16("message length");
    if (!head.ok())
      return protocol_error(head.error());
    if (raw_type < static_cast<uint8_t>(message_type::ping)
        || raw_type > static_cast<uint8_t>(message_type::push_pull))
      return protocol_error("unknown message type " + hex_byte(raw_type) + " at offset "
                            + std::to_string(pos));
    auto type = static_cast<message_type>(raw_type);
    pos += message_header_size;
    if (length > bytes.size() - pos)
      return protocol_error(std::string{name_of(type)} + " message at offset "
                            + std::to_string(pos - message_header_size) + " claims "
                            + std::to_string(length) + " bytes, "
                            + std::to_string(bytes.size() - pos) + " remain");
    reader body{bytes.subspan(pos, length), pos};
    auto msg = read_body(type, body);
    if (body.ok() && body.remaining() > 0)
      body.fail(std::to_string(body.remaining()) + " unexpected trailing bytes");
    if (!body.ok())
      return protocol_error(std::string{name_of(type)} + " message: " + body.error());
    dg.messages.push_back(std::move(msg));
    pos += length;
  }
  return dg;
}

} // namespace rpcnet::gossip
