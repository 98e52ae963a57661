// Tests the gossip wire codec: every message survives a round trip, the
// header keeps gossip apart from QUIC, no datagram exceeds 1400 bytes
// (large state is cut into parts covering adjacent id ranges), and decoding
// is safe against hostile input: every truncation, seeded random mutations
// and random bytes fail cleanly with a protocol error that says what broke.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "encoded_gossip.hpp"
#include "gossip_codec.hpp"
#include <rpcnet/transport/error.hpp>

namespace gossip = rpcnet::gossip;
using rpcnet::test::encoded;
using rpcnet::byte_buffer;
using rpcnet::member;
using rpcnet::member_state;
using rpcnet::node_id;
using rpcnet::tag_map;

namespace {

/// Why the codec refuses to encode `dg` (a protocol error), or "" if it
/// encodes it.
std::string refusal_of(const gossip::datagram& dg) {
  auto bytes = gossip::encode(dg);
  if (bytes)
    return "";
  CHECK(rpcnet::code_of(bytes.error()) == rpcnet::error::protocol);
  return rpcnet::message_of(bytes.error());
}

node_id id_of(uint64_t n) {
  return {n * 0x0101010101010101ULL, ~n};
}

/// One datagram holding every message type, with tags and odd values.
gossip::datagram every_message() {
  gossip::datagram dg;
  dg.sender = id_of(1);
  dg.messages.push_back(gossip::ping{7, id_of(2)});
  dg.messages.push_back(gossip::ping_req{0xffffffffu, id_of(3)});
  dg.messages.push_back(gossip::ack{42});
  dg.messages.push_back(gossip::nack{43});
  dg.messages.push_back(
    gossip::alive{id_of(4), 9, "[::1]:7946", tag_map{{"role", "worker"}, {"label", ""}}});
  dg.messages.push_back(gossip::suspect{id_of(5), 3, id_of(1)});
  dg.messages.push_back(gossip::dead{id_of(6), 4, id_of(7)});
  dg.messages.push_back(gossip::leave{id_of(8), gossip::max_incarnation});
  gossip::push_pull pp;
  pp.reply_requested = true;
  pp.members.push_back(member{{0, 1}, "10.0.0.1:1", 0, member_state::alive, {}});
  pp.members.push_back(
    member{{0, 2}, "[fe80::2]:2", 5, member_state::suspect, {{"zone", "eu-west-1ä"}}});
  pp.members.push_back(member{{1, 0}, "10.0.0.3:65535", 6, member_state::dead, {}});
  pp.members.push_back(
    member{node_id::max().predecessor(), "10.0.0.4:9", 7, member_state::left, {}});
  dg.messages.push_back(pp);
  return dg;
}

std::vector<member> many_members(size_t n, size_t tag_bytes = 0) {
  std::vector<member> out;
  std::mt19937_64 rng{n};
  for (size_t i = 0; i < n; ++i) {
    member m;
    m.id = node_id::random(rng);
    m.address = "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ":7946";
    m.incarnation = i;
    if (tag_bytes > 0)
      m.tags["t"] = std::string(tag_bytes, 'x');
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.id < b.id; });
  return out;
}

/// Decodes and, on failure, checks the failure is a protocol error with text.
bool decodes(const byte_buffer& bytes) {
  auto result = gossip::decode(bytes);
  if (result)
    return true;
  REQUIRE(rpcnet::code_of(result.error()) == rpcnet::error::protocol);
  REQUIRE(rpcnet::message_of(result.error()).rfind("gossip: ", 0) == 0);
  return false;
}

std::string failure_of(const byte_buffer& bytes) {
  auto result = gossip::decode(bytes);
  REQUIRE_FALSE(result);
  return rpcnet::message_of(result.error());
}

} // namespace

TEST_CASE("every message type survives a round trip in one datagram", "[gossip_codec]") {
  auto dg = every_message();
  auto bytes = encoded(dg);
  CHECK(bytes.size() == gossip::encoded_size(dg));
  auto back = gossip::decode(bytes);
  REQUIRE(back);
  CHECK(*back == dg);
}

TEST_CASE("each message type survives a round trip on its own", "[gossip_codec]") {
  auto all = every_message();
  for (const auto& msg : all.messages) {
    gossip::datagram dg{id_of(9), {msg}};
    auto bytes = encoded(dg);
    INFO("type " << static_cast<int>(gossip::type_of(msg)));
    CHECK(bytes.size() == gossip::datagram_header_size + gossip::encoded_size(msg));
    auto back = gossip::decode(bytes);
    REQUIRE(back);
    CHECK(*back == dg);
  }
}

TEST_CASE("a gossip datagram starts with 0x27 then the version, never a QUIC first byte",
          "[gossip_codec]") {
  auto bytes = encoded(gossip::datagram{id_of(1), {gossip::ack{1}}});
  CHECK(bytes[0] == 0x27);
  CHECK((bytes[0] & 0xc0) == 0); // QUIC sets 0x80 (long) or 0x40 (fixed bit)
  CHECK(bytes[1] == 2);
  // A ping is 41 bytes: header 18, message header 3, seq 4, target 16.
  CHECK(encoded(gossip::datagram{id_of(1), {gossip::ping{1, id_of(2)}}}).size() == 41);
}

TEST_CASE("ids are written big-endian so that byte order is id order", "[gossip_codec]") {
  node_id id{0x0102030405060708ULL, 0x090a0b0c0d0e0f10ULL};
  auto bytes = encoded(gossip::datagram{id, {gossip::ack{0x11223344}}});
  for (int i = 0; i < 16; ++i)
    CHECK(bytes[2 + i] == i + 1);
  // ... and other integers little-endian, as in the rest of PROTOCOL.md.
  CHECK(bytes[18] == 3);    // type ack
  CHECK(bytes[19] == 4);    // length low byte
  CHECK(bytes[20] == 0);    // length high byte
  CHECK(bytes[21] == 0x44); // seq, low byte first
}

TEST_CASE("every truncation of a valid datagram fails cleanly", "[gossip_codec]") {
  auto bytes = encoded(every_message());
  // Cutting at a message boundary leaves a shorter valid datagram; every
  // other cut must fail, and none may crash.
  size_t valid = 0;
  for (size_t len = 0; len < bytes.size(); ++len) {
    byte_buffer cut(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(len));
    if (decodes(cut))
      ++valid;
  }
  CHECK(valid == every_message().messages.size() - 1);
}

TEST_CASE("truncation errors say what was cut and where", "[gossip_codec]") {
  auto whole = encoded(gossip::datagram{id_of(1), {gossip::ping{7, id_of(2)}}});
  REQUIRE(whole.size() == 41);
  // Five bytes short: the message header still claims 20 bytes.
  auto bytes = byte_buffer(whole.begin(), whole.begin() + 36);
  CHECK(failure_of(bytes) == "gossip: ping message at offset 18 claims 20 bytes, 15 remain");
  auto short_header = byte_buffer(whole.begin(), whole.begin() + 10);
  CHECK(failure_of(short_header)
        == "gossip: datagram of 10 bytes is shorter than the 18-byte header");
}

TEST_CASE("seeded random mutations of valid datagrams never crash the decoder",
          "[gossip_codec]") {
  auto original = encoded(every_message());
  std::mt19937_64 rng{20240611};
  size_t accepted = 0;
  for (int round = 0; round < 5000; ++round) {
    auto bytes = original;
    auto flips = 1 + rng() % 4;
    for (size_t i = 0; i < flips; ++i) {
      switch (rng() % 4) {
        case 0: bytes[rng() % bytes.size()] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
        case 1: bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng()); break;
        case 2: bytes.resize(rng() % bytes.size() + 1); break;
        default: bytes.insert(bytes.begin() + static_cast<ptrdiff_t>(rng() % bytes.size()),
                              static_cast<uint8_t>(rng()));
      }
    }
    if (decodes(bytes)) {
      ++accepted;
      // Whatever decodes encodes again to a datagram that decodes the same.
      auto dg = *gossip::decode(bytes);
      REQUIRE(*gossip::decode(encoded(dg)) == dg);
    }
  }
  // Mutations of ids, sequence numbers and text still make valid datagrams.
  WARN("mutated datagrams that still decoded: " << accepted << " of 5000");
  CHECK(accepted < 5000);
}

TEST_CASE("random bytes behind a valid header never crash the decoder", "[gossip_codec]") {
  std::mt19937_64 rng{7};
  for (int round = 0; round < 5000; ++round) {
    byte_buffer bytes(rng() % (gossip::max_datagram_size + 1));
    for (auto& b : bytes)
      b = static_cast<uint8_t>(rng());
    if (bytes.size() >= 2 && round % 2 == 0) {
      bytes[0] = gossip::magic;
      bytes[1] = gossip::version;
    }
    decodes(bytes);
  }
}

TEST_CASE("the header is checked before anything else", "[gossip_codec]") {
  auto bytes = encoded(gossip::datagram{id_of(1), {gossip::ack{1}}});
  auto wrong_magic = bytes;
  wrong_magic[0] = 0xc3; // a QUIC long header
  CHECK(failure_of(wrong_magic) == "gossip: first byte 0xc3 is not the gossip magic 0x27");
  // Version 1 had 32-bit incarnations; its datagrams must not be misread.
  auto version_1 = bytes;
  version_1[1] = 1;
  CHECK(failure_of(version_1) == "gossip: unsupported version 1");
  auto header_only = byte_buffer(bytes.begin(), bytes.begin() + 18);
  CHECK(failure_of(header_only) == "gossip: datagram carries no message");
}

TEST_CASE("malformed messages are rejected with a reason", "[gossip_codec]") {
  auto base = encoded(gossip::datagram{id_of(1), {gossip::ack{1}}});
  SECTION("unknown message type") {
    base[18] = 0x0a;
    CHECK(failure_of(base) == "gossip: unknown message type 0x0a at offset 18");
  }
  SECTION("trailing bytes inside a message") {
    base[19] = 5;
    base.push_back(0);
    CHECK(failure_of(base)
          == "gossip: ack message: 1 unexpected trailing bytes at offset 25");
  }
  SECTION("a push_pull with unsorted entries") {
    gossip::push_pull pp;
    pp.members = many_members(2);
    std::swap(pp.members[0], pp.members[1]);
    auto bytes = encoded(gossip::datagram{id_of(1), {pp}});
    CHECK(failure_of(bytes).find("not in ascending id order") != std::string::npos);
  }
  SECTION("a push_pull entry outside the part's range") {
    gossip::push_pull pp;
    pp.members = many_members(2);
    pp.first = pp.members[1].id;
    auto bytes = encoded(gossip::datagram{id_of(1), {pp}});
    CHECK(failure_of(bytes).find("outside its range") != std::string::npos);
  }
  SECTION("a push_pull range that ends before it starts") {
    gossip::push_pull pp;
    pp.first = id_of(5);
    pp.last = id_of(4);
    auto bytes = encoded(gossip::datagram{id_of(1), {pp}});
    CHECK(failure_of(bytes).find("range ends before it starts") != std::string::npos);
  }
  SECTION("an unknown member state and unknown flags") {
    gossip::push_pull pp;
    pp.members = many_members(1);
    auto bytes = encoded(gossip::datagram{id_of(1), {pp}});
    auto bad_flags = bytes;
    bad_flags[21] = 0x80;
    CHECK(failure_of(bad_flags).find("unknown push_pull flags 0x80") != std::string::npos);
    auto state_offset = 18 + 3 + 33 + 16 + 8;
    bytes[state_offset] = 4;
    CHECK(failure_of(bytes).find("unknown member state 4") != std::string::npos);
  }
  SECTION("duplicate and empty tag keys") {
    auto bytes = encoded(gossip::datagram{
      id_of(1), {gossip::alive{id_of(2), 1, "10.0.0.1:1", tag_map{{"aa", "1"}, {"ab", "2"}}}}});
    // Turn the second key "ab" into "aa".
    auto dup = bytes;
    auto pos = std::string(dup.begin(), dup.end()).rfind("ab");
    dup[pos + 1] = 'a';
    CHECK(failure_of(dup).find("duplicate tag key") != std::string::npos);
    auto empty = encoded(gossip::datagram{
      id_of(1), {gossip::alive{id_of(2), 1, "10.0.0.1:1", tag_map{{"k", ""}}}}});
    // Set the key length to 0 and shorten the message accordingly.
    auto key_len_at = empty.size() - 3;
    empty.erase(empty.begin() + static_cast<ptrdiff_t>(key_len_at) + 1);
    empty[key_len_at] = 0;
    empty[19] = static_cast<uint8_t>(empty[19] - 1);
    CHECK(failure_of(empty).find("invalid tag key") != std::string::npos);
  }
}

TEST_CASE("datagrams over 1400 bytes are neither sent nor accepted", "[gossip_codec]") {
  gossip::push_pull pp;
  pp.members = many_members(60);
  gossip::datagram dg{id_of(1), {pp}};
  REQUIRE(gossip::encoded_size(dg) > gossip::max_datagram_size);
  CHECK(refusal_of(dg).find("bytes (the limit is 1400)") != std::string::npos);
  byte_buffer big(1401, 0);
  big[0] = gossip::magic;
  big[1] = gossip::version;
  CHECK(failure_of(big) == "gossip: datagram of 1401 bytes exceeds 1400");
}

TEST_CASE("tags and addresses over the wire's limits are refused when encoding",
          "[gossip_codec]") {
  CHECK(gossip::valid_tags(tag_map{{"role", "worker"}}));
  CHECK_FALSE(gossip::valid_tags(tag_map{{"", "x"}}));
  CHECK_FALSE(gossip::valid_tags(tag_map{{"k", std::string(256, 'v')}}));
  CHECK_FALSE(gossip::valid_tags(tag_map{{"a", std::string(255, 'v')},
                                         {"b", std::string(255, 'v')}}));
  gossip::datagram long_address{
    id_of(1), {gossip::alive{id_of(2), 1, std::string(256, 'h'), {}}}};
  CHECK(refusal_of(long_address) == "gossip: refusing to encode an invalid address");
  gossip::datagram named_host{id_of(1), {gossip::alive{id_of(2), 1, "localhost:1", {}}}};
  CHECK(refusal_of(named_host) == "gossip: refusing to encode an invalid address");
  CHECK(refusal_of(gossip::datagram{id_of(1), {}})
        == "gossip: refusing to encode a datagram without messages");
}

TEST_CASE("a large state is cut into parts that each fit and cover adjacent ranges",
          "[gossip_codec]") {
  for (size_t n : {0, 1, 30, 1000}) {
    for (size_t tag_bytes : {size_t{0}, size_t{250}}) {
      auto members = many_members(n, tag_bytes);
      auto parts = gossip::split_state(members, node_id::min(), node_id::max(), true);
      INFO(n << " members with " << tag_bytes << " tag bytes: " << parts.size() << " parts");
      REQUIRE_FALSE(parts.empty());
      CHECK(parts.front().first == node_id::min());
      CHECK(parts.back().last == node_id::max());
      std::vector<member> joined;
      for (size_t i = 0; i < parts.size(); ++i) {
        gossip::datagram dg{id_of(1), {parts[i]}};
        auto bytes = encoded(dg);
        REQUIRE(bytes.size() <= gossip::max_datagram_size);
        REQUIRE(*gossip::decode(bytes) == dg);
        CHECK(parts[i].reply_requested);
        if (i + 1 < parts.size()) {
          CHECK(parts[i].last.predecessor() < parts[i + 1].first);
          CHECK(parts[i + 1].first.predecessor() == parts[i].last);
        }
        joined.insert(joined.end(), parts[i].members.begin(), parts[i].members.end());
      }
      CHECK(joined == members);
    }
  }
  // 1000 plain members take 32 datagrams of at most 1400 bytes.
  CHECK(gossip::split_state(many_members(1000), node_id::min(), node_id::max(), false).size()
        <= 32);
}

TEST_CASE("node ids print as 32 hex digits and parse back", "[gossip_codec]") {
  node_id id{0x0123456789abcdefULL, 0xfedcba9876543210ULL};
  CHECK(id.to_string() == "0123456789abcdeffedcba9876543210");
  CHECK(node_id::parse(id.to_string()) == id);
  CHECK_FALSE(node_id::parse("0123"));
  CHECK_FALSE(node_id::parse("0123456789abcdeffedcba987654321g"));
  CHECK(node_id{1, 0}.predecessor() == node_id{0, ~uint64_t{0}});
  CHECK(node_id::min().predecessor() == node_id::min());
}
