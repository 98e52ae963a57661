// Fuzzes the gossip codec (gossip_codec.hpp) with datagrams as anyone on
// the network may send them. Every length, count and flag has one spelling
// and nothing may trail, so the one freedom a sender has is the order of a
// member's tags on the wire (they decode into a sorted map). What must hold:
//  - a decoded datagram is one the encoder accepts, and encodes to the
//    same size; to the same bytes unless some tag map has two or more tags;
//  - its encoding decodes to an equal datagram (a fixpoint from then on);
//  - a refused datagram fails with error::protocol and says so;
//  - a decoded push-pull's members, cut by split_state, fit a datagram
//    each and cover its range in adjacent parts, members in order.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <variant>
#include <vector>

#include <rpcnet/transport/error.hpp>

#include "fuzz_check.hpp"
#include "gossip_codec.hpp"

namespace gossip = rpcnet::gossip;
using rpcnet::byte_buffer;

namespace {

/// Some tag map of `dg` has an order to choose.
bool has_tag_order(const gossip::datagram& dg) {
  auto several = [](const rpcnet::tag_map& tags) { return tags.size() >= 2; };
  for (const auto& msg : dg.messages) {
    if (auto* a = std::get_if<gossip::alive>(&msg); a && several(a->tags))
      return true;
    if (auto* pp = std::get_if<gossip::push_pull>(&msg))
      for (const auto& m : pp->members)
        if (several(m.tags))
          return true;
  }
  return false;
}

void check_split(const gossip::push_pull& pp, rpcnet::node_id sender) {
  auto parts = gossip::split_state(pp.members, pp.first, pp.last, pp.reply_requested);
  FUZZ_REQUIRE(!parts.empty() && parts.front().first == pp.first && parts.back().last == pp.last);
  std::vector<rpcnet::member> joined;
  for (size_t i = 0; i < parts.size(); ++i) {
    const auto& part = parts[i];
    FUZZ_REQUIRE(part.reply_requested == pp.reply_requested && part.first <= part.last);
    if (i > 0)
      FUZZ_REQUIRE(parts[i - 1].last < part.first && part.first.predecessor() == parts[i - 1].last);
    FUZZ_REQUIRE(static_cast<bool>(gossip::encode(gossip::datagram{sender, {part}})));
    joined.insert(joined.end(), part.members.begin(), part.members.end());
  }
  FUZZ_REQUIRE(joined == pp.members);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes{data, size};
  auto dg = gossip::decode(bytes);
  if (!dg) {
    FUZZ_REQUIRE(rpcnet::code_of(dg.error()) == rpcnet::error::protocol);
    FUZZ_REQUIRE(rpcnet::message_of(dg.error()).starts_with("gossip: "));
    return 0;
  }
  FUZZ_REQUIRE(!dg->messages.empty() && gossip::encoded_size(*dg) == size);
  auto again = gossip::encode(*dg);
  FUZZ_REQUIRE(again && again->size() == size);
  FUZZ_REQUIRE(std::equal(again->begin(), again->end(), bytes.begin()) || has_tag_order(*dg));
  auto redecoded = gossip::decode(*again);
  FUZZ_REQUIRE(redecoded && *redecoded == *dg);
  for (const auto& msg : dg->messages)
    if (auto* pp = std::get_if<gossip::push_pull>(&msg))
      check_split(*pp, dg->sender);
  return 0;
}
