// What one node's gossip did: datagrams and bytes in and out, and every
// datagram it refused, by reason. Hostile traffic shows up here first.
#pragma once

#include <cstdint>

namespace rpcnet {

/// What the SWIM core refused or held back of the gossip it decoded: claims
/// it would not believe, and the candidates that had to prove themselves.
struct swim_counters {
  /// Claims about other members from a sender that is not a verified
  /// member at its address (nor a seed this node asked).
  uint64_t refused_hearsay = 0;
  /// Claims that raise an incarnation by more than max_incarnation_jump.
  uint64_t refused_implausible = 0;
  /// Ping-reqs from non-members or about members this node does not hold.
  uint64_t refused_ping_req = 0;
  /// Acks and nacks that match nothing this node waits for from that address.
  uint64_t unexpected_acks = 0;
  /// Candidates refused over a source's per-interval share.
  uint64_t refused_introductions = 0;
  /// Candidates or members refused because max_candidates or max_members
  /// were held.
  uint64_t refused_full = 0;
  /// Candidates that answered at their address and became members.
  uint64_t candidates_verified = 0;
  /// Candidates that never answered and were forgotten.
  uint64_t candidates_expired = 0;
  /// State requests held until the requester was verified.
  uint64_t replies_deferred = 0;
  /// State requests dropped: max_deferred_replies were held.
  uint64_t replies_refused = 0;
  /// Times a live member became suspect here (its probe failed, or another
  /// member said so).
  uint64_t suspicions = 0;
  /// Times this node refuted a suspicion or death claimed of itself.
  uint64_t refutations = 0;
  /// Probes acknowledged (directly or through a relay), and the sum of
  /// their round trips in microseconds: the mean is one over the other.
  uint64_t probes_acked = 0;
  uint64_t probe_round_trip_us = 0;
};

struct gossip_stats {
  uint64_t datagrams_received = 0;
  uint64_t bytes_received = 0;
  uint64_t datagrams_sent = 0;
  uint64_t bytes_sent = 0;
  /// Refused: not valid gossip (size, magic, version, any field).
  uint64_t rejected_malformed = 0;
  /// Refused: no cluster key authenticates it, or unsealed while keys are
  /// set, or sealed while none is.
  uint64_t rejected_unauthenticated = 0;
  /// Refused: it claims to come from this node itself.
  uint64_t rejected_forged = 0;
  /// Dropped unread because too many waited for the membership actor.
  uint64_t dropped_backlog = 0;
  /// Not sent: the destination address does not parse, or the datagram
  /// could not be encoded or sealed (those are also logged).
  uint64_t unsendable = 0;
  /// What the SWIM core made of what it decoded.
  swim_counters protocol;

  /// Every datagram refused or dropped on the way in.
  uint64_t rejected() const noexcept {
    return rejected_malformed + rejected_unauthenticated + rejected_forged + dropped_backlog;
  }
};

} // namespace rpcnet
