// The members one node knows, other than itself: each member's gossiped
// record plus what this node keeps about it (suspicion timer, phi detector,
// when its state last changed). Ordered by id for push-pull ranges; live
// and failed members are also kept in arrays for O(1) random choice; and
// the probe order is a shuffled round-robin over the live members, as in
// SWIM's paper, so every member is probed once per round.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include <rpcnet/membership/member.hpp>
#include <rpcnet/membership/membership_time.hpp>
#include "phi_accrual_detector.hpp"
#include "suspicion.hpp"

namespace rpcnet {

/// One known member.
struct member_record {
  member info;
  /// When info.state last changed (a tombstone's age).
  time_point changed;
  /// Set while info.state is suspect.
  std::optional<suspicion> timer;
  /// Ack arrivals, once the first ack came.
  std::unique_ptr<phi_accrual_detector> detector;
  /// When the detector's phi reaches the threshold unless an ack comes
  /// first (time_point::max() when not scheduled).
  time_point phi_check = time_point::max();
  /// Position in the live or failed array (see member_list).
  size_t slot = 0;
};

class member_list {
public:
  using map_type = std::map<node_id, member_record>;
  using rng_type = std::mt19937_64;

  // -- lookup -----------------------------------------------------------------

  member_record* find(const node_id& id);
  const member_record* find(const node_id& id) const;

  /// All records in id order.
  const map_type& records() const noexcept {
    return records_;
  }

  /// Records with ids in [first, last], in id order.
  std::pair<map_type::const_iterator, map_type::const_iterator>
  range(const node_id& first, const node_id& last) const;

  /// Members in state alive or suspect.
  size_t live_count() const noexcept {
    return live_.size();
  }

  /// Members in state dead (not left).
  size_t failed_count() const noexcept {
    return failed_.size();
  }

  size_t size() const noexcept {
    return records_.size();
  }

  // -- changes ----------------------------------------------------------------

  /// Adds a member that is not yet known; a live one joins the current
  /// probe round at a random place still ahead.
  member_record& insert(member m, time_point now, rng_type& rng);

  /// Moves `rec` to `state`, keeping the live and failed arrays in step.
  void set_state(member_record& rec, member_state state, time_point now);

  /// Forgets tombstones (dead or left) whose state changed before `cutoff`.
  void reap(time_point cutoff);

  // -- choosing members -------------------------------------------------------

  /// The next live member in the shuffled round-robin, reshuffling when a
  /// round ends; nullptr if there is none.
  member_record* next_probe_target(rng_type& rng);

  /// Up to `k` distinct random live members other than `excluded`.
  std::vector<member_record*> random_live(size_t k, const node_id& excluded,
                                          rng_type& rng);

  /// A random dead (failed, not departed) member, or nullptr.
  member_record* random_failed(rng_type& rng);

private:
  void add_to(std::vector<member_record*>& set, member_record& rec);
  void remove_from(std::vector<member_record*>& set, member_record& rec);
  std::vector<member_record*>* set_of(member_state state);

  map_type records_;
  std::vector<member_record*> live_;
  std::vector<member_record*> failed_;
  /// This round's probe order (ids, because members can be reaped), and
  /// the position of the next member to probe.
  std::vector<node_id> probe_order_;
  size_t probe_next_ = 0;
};

} // namespace rpcnet
