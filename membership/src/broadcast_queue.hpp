// The membership updates waiting to ride piggyback on outgoing datagrams
// (memberlist's TransmitLimitedQueue). Each update is sent a bounded number
// of times, retransmit multiplier * ceil(log10(n + 1)), which infection-style
// dissemination needs to reach all n members with high probability; the
// least-sent updates go first, so fresh news overtakes old. A newer update
// about a member replaces the queued one: only the latest state matters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "gossip_messages.hpp"
#include <rpcnet/membership/node_id.hpp>

namespace rpcnet {

class broadcast_queue {
public:
  /// How many times each update is sent in a cluster of `members`.
  static unsigned retransmit_limit(unsigned multiplier, size_t members);

  /// Queues `msg`, an update about member `subject`, replacing a queued
  /// update about the same member.
  void enqueue(node_id subject, gossip::message msg);

  /// Takes the updates that fit in `budget` bytes (encoded sizes, message
  /// headers included), least-sent and then newest first. Each counts one
  /// transmission; updates sent `limit` times leave the queue.
  std::vector<gossip::message> take(size_t budget, unsigned limit);

  /// Drops the queued update about `subject`, if any.
  void forget(node_id subject);

  size_t size() const noexcept {
    return entries_.size();
  }

  bool empty() const noexcept {
    return entries_.empty();
  }

private:
  struct entry {
    gossip::message msg;
    size_t size;
    unsigned transmits;
    uint64_t order; ///< larger is newer
  };

  /// (transmits, -order, subject): iteration order is sending preference.
  using key = std::tuple<unsigned, int64_t, node_id>;

  static key key_of(const node_id& subject, const entry& e) {
    return {e.transmits, -static_cast<int64_t>(e.order), subject};
  }

  std::unordered_map<node_id, entry> entries_;
  std::set<key> by_preference_;
  uint64_t next_order_ = 0;
};

} // namespace rpcnet
