// Members this node has heard of but not yet heard from. Gossip is hearsay:
// an alive message or a push-pull entry names a member and an address, and
// anyone can send one. Such a claim waits here, as a candidate, until a ping
// to the claimed address with the claimed id comes back acked from that
// address; only then does the SWIM core take the member in. A candidate that
// never answers is forgotten after a few pings, without an event.
//
// Both the candidates held and the candidates one source may introduce per
// window are bounded, so a flood of forged claims costs a bounded number of
// small pings, never unbounded state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <unordered_map>
#include <vector>

#include "gossip_messages.hpp"
#include <rpcnet/membership/membership_time.hpp>
#include <rpcnet/membership/node_id.hpp>

namespace rpcnet {

class member_candidates {
public:
  // -- member types -------------------------------------------------------------

  struct limits {
    /// Candidates held at once.
    size_t max_candidates = 4096;
    /// Candidates one source address may introduce per window.
    size_t max_per_source = 1024;
    /// The window of the per-source bound.
    duration window = std::chrono::seconds{1};
    /// Pings sent to a candidate before it is forgotten.
    unsigned pings = 3;
    /// Time between those pings (and after the last, before forgetting).
    duration ping_interval = std::chrono::milliseconds{500};
  };

  /// What admit() did with a claim.
  enum class admission {
    /// A new candidate: ping `seq` to its address now.
    admitted,
    /// A newer claim about a waiting candidate at another address: ping the
    /// new address with the candidate's new `seq` now.
    readdressed,
    /// A waiting candidate took the newer claim; its pings go on.
    updated,
    /// Nothing new about a waiting candidate.
    unchanged,
    /// Refused: the source introduced its share for this window.
    source_over_limit,
    /// Refused: max_candidates are waiting.
    full,
  };

  /// A verification ping to send.
  struct ping_due {
    std::string address;
    uint32_t seq;
    node_id id;
  };

  // -- constructors -------------------------------------------------------------

  explicit member_candidates(limits lim) : limits_(lim) {
  }

  // -- changes ------------------------------------------------------------------

  /// Takes `claim` about a member this node does not hold (or holds at
  /// another address) from `source`. `seq` is the fresh, unpredictable
  /// sequence number the verification ping carries if one is needed.
  admission admit(const gossip::alive& claim, const std::string& source, uint32_t seq,
                  time_point now);

  /// The claim whose verification ping `seq` was acked from `from`,
  /// removed; nullopt if no candidate waits for that ack from there.
  std::optional<gossip::alive> verify(uint32_t seq, const std::string& from);

  /// Forgets the candidate `id` (the core took the member in by other
  /// means, such as adopt()).
  void erase(const node_id& id);

  /// The pings due by `now` (each with a fresh seq from `next_seq`), and
  /// forgets the candidates whose last ping went unanswered; returns how
  /// many were forgotten in `expired`.
  template <class NextSeq>
  std::vector<ping_due> due(time_point now, NextSeq&& next_seq, size_t& expired);

  // -- queries ------------------------------------------------------------------

  size_t size() const noexcept {
    return by_id_.size();
  }

  bool contains(const node_id& id) const {
    return by_id_.count(id) > 0;
  }

  /// The earliest time due() has work, time_point::max() if none.
  time_point next_deadline() const;

private:
  struct candidate {
    gossip::alive claim;
    uint32_t seq;
    time_point next_ping;
    unsigned pings_left;
  };

  struct source_window {
    time_point start;
    size_t introduced = 0;
  };

  /// True if `source` may introduce one more candidate now (and counts it).
  bool take_share(const std::string& source, time_point now);

  /// Moves `c`'s next ping to `at`.
  void reschedule(candidate& c, time_point at);

  limits limits_;
  std::map<node_id, candidate> by_id_;
  /// Which candidate a verification seq belongs to.
  std::unordered_map<uint32_t, node_id> by_seq_;
  std::unordered_map<std::string, source_window> sources_;
  /// Every candidate's next ping, earliest first.
  std::set<std::pair<time_point, node_id>> schedule_;
};

template <class NextSeq>
std::vector<member_candidates::ping_due>
member_candidates::due(time_point now, NextSeq&& next_seq, size_t& expired) {
  std::vector<ping_due> out;
  expired = 0;
  while (!schedule_.empty() && schedule_.begin()->first <= now) {
    auto id = schedule_.begin()->second;
    schedule_.erase(schedule_.begin());
    auto it = by_id_.find(id);
    auto& c = it->second;
    by_seq_.erase(c.seq);
    if (c.pings_left == 0) {
      ++expired;
      by_id_.erase(it);
      continue;
    }
    // Every ping carries a new seq: an ack for an older one is stale.
    c.seq = next_seq();
    by_seq_[c.seq] = id;
    --c.pings_left;
    c.next_ping = now + limits_.ping_interval;
    schedule_.emplace(c.next_ping, id);
    out.push_back({c.claim.address, c.seq, id});
  }
  return out;
}

} // namespace rpcnet
