// The bytes of gossip datagrams (docs/PROTOCOL.md, "Gossip"): a 2-byte
// header whose first byte 0x27 keeps gossip apart from QUIC on a shared UDP
// port, the sender's id, then type-length-value messages. Decoding treats
// input as hostile: every length is checked against what remains, nothing is
// allocated beyond the datagram's own size, and a failure names what broke.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <caf/expected.hpp>

#include "gossip_field_rules.hpp"
#include "gossip_messages.hpp"
#include <rpcnet/transport/byte_buffer.hpp>

namespace rpcnet::gossip {

// -- constants ----------------------------------------------------------------

/// First byte of every gossip datagram: top two bits clear, so no QUIC
/// packet with the fixed bit set can be taken for gossip (PROTOCOL.md §1.1),
/// and not 0x00, the likeliest first byte of stray zero-filled datagrams.
inline constexpr uint8_t magic = 0x27;

/// The version this codec speaks (second byte). Version 2 widened
/// incarnations to 64 bits and dropped ping_req's target address; a
/// version-1 datagram is refused as malformed.
inline constexpr uint8_t version = 2;

/// Largest datagram sent or accepted: fits a 1500-byte Ethernet MTU under
/// IPv6 and UDP headers with room for a future authentication envelope.
inline constexpr size_t max_datagram_size = 1400;

/// magic, version, sender id.
inline constexpr size_t datagram_header_size = 18;

/// type, body length (u16).
inline constexpr size_t message_header_size = 3;

/// What a push-pull message costs besides its members: the message header,
/// flags and the two range bounds.
inline constexpr size_t push_pull_overhead = message_header_size + 1 + 16 + 16;

// -- sizes --------------------------------------------------------------------

/// Bytes `m` takes as a push-pull entry.
size_t encoded_entry_size(const member& m);

/// Bytes `msg` takes in a datagram, its 3-byte header included.
size_t encoded_size(const message& msg);

/// Bytes the whole datagram takes.
size_t encoded_size(const datagram& dg);

// -- encoding -----------------------------------------------------------------

/// The bytes of `dg`. Callers keep to the limits above and to the field
/// rules (the SWIM core does); a datagram that breaks them is refused with
/// error::protocol naming the rule, and nothing is sent.
caf::expected<byte_buffer> encode(const datagram& dg);

/// Cuts `members` (ascending by id, all within [first, last]) into push-pull
/// messages that each fit a datagram alone and together cover [first, last]
/// in adjacent ranges. An empty state still yields one (empty) part.
std::vector<push_pull> split_state(std::span<const member> members, node_id first,
                                   node_id last, bool reply_requested);

// -- decoding -----------------------------------------------------------------

/// Parses one datagram and checks every field against gossip_field_rules.hpp.
/// Fails with error::protocol and a message naming the offset and what was
/// wrong; never reads outside `bytes`.
caf::expected<datagram> decode(std::span<const uint8_t> bytes);

} // namespace rpcnet::gossip
