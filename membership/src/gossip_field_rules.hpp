// What each field of a gossip message may hold. Gossip arrives from anyone
// who can send a UDP datagram, so every decoded field passes these rules
// before the SWIM core sees it, and a datagram with one bad field is refused
// whole. The encoder and set_tags apply the same rules, so a node never says
// what its peers would refuse.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <rpcnet/membership/member.hpp>
#include <rpcnet/membership/node_id.hpp>

namespace rpcnet::gossip {

// -- limits -------------------------------------------------------------------

/// Longest address (its length is one byte on the wire). A valid address is
/// never longer than 47 bytes ("[" + 39 hex and colons + "]:65535").
inline constexpr size_t max_address_size = 255;

/// Largest encoding of one member's tags, count byte included. Together with
/// the longest address this keeps one member under a datagram, so that any
/// state can be cut into parts.
inline constexpr size_t max_tags_size = 512;

/// The highest incarnation a member may have: 2^53 - 1, so that every
/// incarnation is exact as a JSON number. A member bumps its incarnation
/// once per refutation or tag change; no honest member gets near this.
inline constexpr uint64_t max_incarnation = (uint64_t{1} << 53) - 1;

/// Bytes `tags` take on the wire: a count byte, then a length byte and the
/// bytes of each key and value.
size_t encoded_size(const tag_map& tags);

// -- rules --------------------------------------------------------------------

/// Member and sender ids: anything but node_id::min() and node_id::max(),
/// which bound push-pull ranges and are never drawn at random in practice.
bool valid_member_id(const node_id& id) noexcept;

/// A member's address: a literal IPv4 or IPv6 address and a port other than
/// 0, in the one canonical form socket_address prints ("10.0.0.1:7946",
/// "[fe80::1]:7946"), and not an address that reaches nobody or many
/// (unspecified, broadcast, multicast). Names are never accepted: a
/// gossiped string is not something to resolve.
bool valid_address(std::string_view address);

/// Tag keys and values: well-formed UTF-8 without control characters (keys
/// also non-empty), at most 255 bytes each.
bool valid_tag_key(std::string_view key);
bool valid_tag_value(std::string_view value);

/// Every tag valid, at most 255 of them, max_tags_size bytes in all.
bool valid_tags(const tag_map& tags);

} // namespace rpcnet::gossip
