// The member table with its probe order and random choices (see
// member_list.hpp).
#include "member_list.hpp"

#include <algorithm>

namespace rpcnet {

// -- lookup -------------------------------------------------------------------

member_record* member_list::find(const node_id& id) {
  auto it = records_.find(id);
  return it == records_.end() ? nullptr : &it->second;
}

const member_record* member_list::find(const node_id& id) const {
  auto it = records_.find(id);
  return it == records_.end() ? nullptr : &it->second;
}

std::pair<member_list::map_type::const_iterator, member_list::map_type::const_iterator>
member_list::range(const node_id& first, const node_id& last) const {
  return {records_.lower_bound(first), records_.upper_bound(last)};
}

// -- changes ------------------------------------------------------------------

std::vector<member_record*>* member_list::set_of(member_state state) {
  if (is_live(state))
    return &live_;
  if (state == member_state::dead)
    return &failed_;
  return nullptr;
}

void member_list::add_to(std::vector<member_record*>& set, member_record& rec) {
  rec.slot = set.size();
  set.push_back(&rec);
}

void member_list::remove_from(std::vector<member_record*>& set, member_record& rec) {
  auto* last = set.back();
  set[rec.slot] = last;
  last->slot = rec.slot;
  set.pop_back();
}

member_record& member_list::insert(member m, time_point now, rng_type& rng) {
  auto id = m.id;
  auto state = m.state;
  auto& rec = records_.emplace(id, member_record{std::move(m), now, {}, {}, time_point::max(), 0}).first->second;
  if (auto* set = set_of(state))
    add_to(*set, rec);
  if (is_live(state)) {
    // Into this round, at a random place not yet probed (memberlist swaps
    // new members into a random offset the same way).
    probe_order_.push_back(id);
    auto ahead = probe_order_.size() - probe_next_;
    auto pos = probe_next_ + static_cast<size_t>(rng() % ahead);
    std::swap(probe_order_[pos], probe_order_.back());
  }
  return rec;
}

void member_list::set_state(member_record& rec, member_state state, time_point now) {
  auto* from = set_of(rec.info.state);
  auto* to = set_of(state);
  if (from != to) {
    if (from)
      remove_from(*from, rec);
    if (to)
      add_to(*to, rec);
  }
  // A member coming back to life is probed from the next round on.
  rec.info.state = state;
  rec.changed = now;
}

void member_list::reap(time_point cutoff) {
  for (auto it = records_.begin(); it != records_.end();) {
    auto& rec = it->second;
    if (!is_live(rec.info.state) && rec.changed < cutoff) {
      if (auto* set = set_of(rec.info.state))
        remove_from(*set, rec);
      it = records_.erase(it);
    } else {
      ++it;
    }
  }
}

// -- choosing members ---------------------------------------------------------

member_record* member_list::next_probe_target(rng_type& rng) {
  for (int pass = 0; pass < 2; ++pass) {
    while (probe_next_ < probe_order_.size()) {
      auto* rec = find(probe_order_[probe_next_++]);
      if (rec && is_live(rec->info.state))
        return rec;
    }
    // The round is over: the next one visits every live member once, in a
    // fresh random order.
    probe_order_.clear();
    for (auto* rec : live_)
      probe_order_.push_back(rec->info.id);
    std::shuffle(probe_order_.begin(), probe_order_.end(), rng);
    probe_next_ = 0;
  }
  return nullptr;
}

std::vector<member_record*> member_list::random_live(size_t k, const node_id& excluded,
                                                     rng_type& rng) {
  std::vector<member_record*> out;
  if (k == 0 || live_.empty())
    return out;
  if (live_.size() <= 4 * k) {
    // Few members: choose among all of them exactly.
    for (auto* rec : live_)
      if (rec->info.id != excluded)
        out.push_back(rec);
    std::shuffle(out.begin(), out.end(), rng);
    if (out.size() > k)
      out.resize(k);
    return out;
  }
  // Many members: draw until k distinct ones are found; with at least 4k
  // candidates a draw succeeds with probability above 1/2.
  for (size_t attempts = 0; out.size() < k && attempts < 16 * k; ++attempts) {
    auto* rec = live_[static_cast<size_t>(rng() % live_.size())];
    if (rec->info.id != excluded && std::find(out.begin(), out.end(), rec) == out.end())
      out.push_back(rec);
  }
  return out;
}

member_record* member_list::random_failed(rng_type& rng) {
  if (failed_.empty())
    return nullptr;
  return failed_[static_cast<size_t>(rng() % failed_.size())];
}

} // namespace rpcnet
