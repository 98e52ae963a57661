// Tests that the gossip decoder refuses every kind of invalid field, each on
// its own (reserved ids, addresses that are not canonical IP literals or
// reach nobody, tags that are not printable UTF-8, incarnations above the
// maximum), and that no bit flip of a real encoded datagram yields a member
// with an invalid field.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "encoded_gossip.hpp"
#include "gossip_codec.hpp"
#include "gossip_field_rules.hpp"
#include <rpcnet/transport/error.hpp>
#include <rpcnet/transport/utf8.hpp>

namespace gossip = rpcnet::gossip;
using rpcnet::byte_buffer;
using rpcnet::member;
using rpcnet::member_state;
using rpcnet::node_id;
using rpcnet::tag_map;
using rpcnet::test::encoded;

namespace {

const node_id sender{1, 1};
const node_id subject{2, 2};

/// The bytes of one alive message about `subject` with these fields,
/// written without the encoder's checks (which would refuse them).
byte_buffer raw_alive(node_id id, uint64_t incarnation, const std::string& address,
                      const std::vector<std::pair<std::string, std::string>>& tags) {
  byte_buffer body;
  for (int i = 7; i >= 0; --i)
    body.push_back(static_cast<uint8_t>(id.hi >> (8 * i)));
  for (int i = 7; i >= 0; --i)
    body.push_back(static_cast<uint8_t>(id.lo >> (8 * i)));
  for (int i = 0; i < 8; ++i)
    body.push_back(static_cast<uint8_t>(incarnation >> (8 * i)));
  body.push_back(static_cast<uint8_t>(address.size()));
  body.insert(body.end(), address.begin(), address.end());
  body.push_back(static_cast<uint8_t>(tags.size()));
  for (const auto& [k, v] : tags) {
    body.push_back(static_cast<uint8_t>(k.size()));
    body.insert(body.end(), k.begin(), k.end());
    body.push_back(static_cast<uint8_t>(v.size()));
    body.insert(body.end(), v.begin(), v.end());
  }
  // A valid header and sender from the encoder, then the message by hand.
  auto bytes = encoded(gossip::datagram{sender, {gossip::ack{1}}});
  bytes.resize(gossip::datagram_header_size);
  bytes.push_back(static_cast<uint8_t>(gossip::message_type::alive));
  bytes.push_back(static_cast<uint8_t>(body.size()));
  bytes.push_back(static_cast<uint8_t>(body.size() >> 8));
  bytes.insert(bytes.end(), body.begin(), body.end());
  return bytes;
}

std::string refusal(const byte_buffer& bytes) {
  auto result = gossip::decode(bytes);
  REQUIRE_FALSE(result);
  CHECK(rpcnet::code_of(result.error()) == rpcnet::error::protocol);
  return rpcnet::message_of(result.error());
}

bool member_fields_valid(const member& m) {
  return gossip::valid_member_id(m.id) && gossip::valid_address(m.address)
         && m.incarnation <= gossip::max_incarnation && gossip::valid_tags(m.tags);
}

/// Every member-describing field of a decoded datagram is valid.
bool all_fields_valid(const gossip::datagram& dg) {
  if (!gossip::valid_member_id(dg.sender))
    return false;
  for (const auto& msg : dg.messages) {
    if (auto* a = std::get_if<gossip::alive>(&msg);
        a && !member_fields_valid(member{a->id, a->address, a->incarnation, member_state::alive,
                                         a->tags}))
      return false;
    if (auto* pp = std::get_if<gossip::push_pull>(&msg))
      for (const auto& m : pp->members)
        if (!member_fields_valid(m))
          return false;
  }
  return true;
}

} // namespace

TEST_CASE("a well-formed alive message passes the field rules", "[gossip_fields]") {
  auto bytes = raw_alive(subject, 7, "10.1.2.3:7946", {{"role", "worker"}, {"zone", "zürich"}});
  auto dg = gossip::decode(bytes);
  REQUIRE(dg);
  CHECK(all_fields_valid(*dg));
}

TEST_CASE("reserved member and sender ids are refused", "[gossip_fields]") {
  CHECK(refusal(raw_alive(node_id::min(), 1, "10.0.0.1:1", {})).find("reserved member id")
        != std::string::npos);
  CHECK(refusal(raw_alive(node_id::max(), 1, "10.0.0.1:1", {})).find("reserved member id")
        != std::string::npos);
  auto bytes = encoded(gossip::datagram{sender, {gossip::ack{1}}});
  std::fill(bytes.begin() + 2, bytes.begin() + 18, uint8_t{0});
  CHECK(refusal(bytes).find("reserved sender id") != std::string::npos);
  // ... and the encoder will not write one either.
  auto refused = gossip::encode(
    gossip::datagram{sender, {gossip::alive{node_id::min(), 1, "10.0.0.1:1", {}}}});
  REQUIRE_FALSE(refused);
  CHECK(rpcnet::message_of(refused.error()) == "gossip: refusing to encode a reserved member id");
}

TEST_CASE("an address must be a canonical IP literal with a port that reaches one host",
          "[gossip_fields]") {
  for (std::string ok : std::vector<std::string>{"10.0.0.1:7946", "127.0.0.1:1", "[::1]:7946", "[fe80::1]:65535",
                         "[2001:db8::8:800:200c:417a]:80"}) {
    INFO(ok);
    CHECK(gossip::valid_address(ok));
    CHECK(gossip::decode(raw_alive(subject, 1, ok, {})));
  }
  for (std::string bad : std::vector<std::string>{"", "127.0.0.1:641!0", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536",
                          "localhost:7946", "010.0.0.1:7946", "10.0.0.1:07946",
                          "[0:0:0:0:0:0:0:1]:7946", "::1:7946", "[::1]7946", "0.0.0.0:7946",
                          "[::]:7946", "255.255.255.255:7946", "224.0.0.1:7946",
                          "[ff02::1]:7946", "10.0.0.1:7946\n", std::string("10.0.0.1:79\0", 12)}) {
    INFO(bad);
    CHECK_FALSE(gossip::valid_address(bad));
    CHECK(refusal(raw_alive(subject, 1, bad, {})).find("address") != std::string::npos);
  }
}

TEST_CASE("tag keys and values must be printable UTF-8", "[gossip_fields]") {
  CHECK(refusal(raw_alive(subject, 1, "10.0.0.1:1", {{"", "v"}})).find("invalid tag key")
        != std::string::npos);
  for (std::string bad : std::vector<std::string>{std::string("a\0b", 3), "line\nbreak", "esc\x1b[31m", "del\x7f",
                          "c1\xc2\x85", "\xff", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                          "cut\xe2\x82"}) {
    INFO("bad text of " << bad.size() << " bytes");
    CHECK_FALSE(rpcnet::utf8::is_printable(bad));
    CHECK(refusal(raw_alive(subject, 1, "10.0.0.1:1", {{bad, "v"}})).find("invalid tag key")
          != std::string::npos);
    CHECK(refusal(raw_alive(subject, 1, "10.0.0.1:1", {{"k", bad}})).find("invalid tag value")
          != std::string::npos);
    CHECK_FALSE(gossip::valid_tags(tag_map{{"k", bad}}));
  }
  CHECK(rpcnet::utf8::is_printable("ascii, äöü, 日本, 🎉"));
}

TEST_CASE("incarnations above the maximum are refused", "[gossip_fields]") {
  CHECK(gossip::decode(raw_alive(subject, gossip::max_incarnation, "10.0.0.1:1", {})));
  CHECK(refusal(raw_alive(subject, gossip::max_incarnation + 1, "10.0.0.1:1", {}))
          .find("above the maximum")
        != std::string::npos);
  CHECK(refusal(raw_alive(subject, ~uint64_t{0}, "10.0.0.1:1", {})).find("above the maximum")
        != std::string::npos);
}

TEST_CASE("no bit flip of a real datagram yields a member with an invalid field",
          "[gossip_fields]") {
  gossip::datagram dg{sender, {}};
  dg.messages.push_back(gossip::alive{subject, 3, "10.0.0.2:7946", {{"role", "worker"}}});
  gossip::push_pull pp;
  pp.members.push_back(member{{0, 5}, "[::1]:7000", 1, member_state::alive, {{"zone", "a"}}});
  pp.members.push_back(member{{0, 6}, "127.0.0.1:7001", 2, member_state::suspect, {}});
  pp.members.push_back(member{{0, 7}, "192.168.0.7:7002", 0, member_state::dead, {{"k", "ü"}}});
  dg.messages.push_back(pp);
  auto bytes = encoded(dg);
  size_t decoded = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      auto flipped = bytes;
      flipped[i] ^= static_cast<uint8_t>(1u << bit);
      auto result = gossip::decode(flipped);
      if (!result)
        continue;
      ++decoded;
      INFO("byte " << i << " bit " << bit);
      CHECK(all_fields_valid(*result));
    }
  }
  // Flips of ids, incarnations and some tag bytes stay valid; most do not.
  CHECK(decoded > 0);
  CHECK(decoded < bytes.size() * 8);
}
