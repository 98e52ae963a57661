// Claims about members, waiting for their address to answer (see
// member_candidates.hpp).
#include "member_candidates.hpp"

#include <algorithm>

namespace rpcnet {

void member_candidates::reschedule(candidate& c, time_point at) {
  schedule_.erase({c.next_ping, c.claim.id});
  c.next_ping = at;
  schedule_.emplace(at, c.claim.id);
}

bool member_candidates::take_share(const std::string& source, time_point now) {
  auto it = sources_.find(source);
  if (it == sources_.end()) {
    // The table of sources is bounded like the candidates: a flood from
    // forged source addresses must not grow it either.
    if (sources_.size() >= limits_.max_candidates)
      std::erase_if(sources_, [&](const auto& kv) {
        return now - kv.second.start >= limits_.window;
      });
    if (sources_.size() >= limits_.max_candidates)
      return false;
    it = sources_.emplace(source, source_window{now, 0}).first;
  }
  auto& w = it->second;
  if (now - w.start >= limits_.window)
    w = source_window{now, 0};
  if (w.introduced >= limits_.max_per_source)
    return false;
  ++w.introduced;
  return true;
}

member_candidates::admission member_candidates::admit(const gossip::alive& claim,
                                                      const std::string& source,
                                                      uint32_t seq, time_point now) {
  if (auto it = by_id_.find(claim.id); it != by_id_.end()) {
    auto& c = it->second;
    if (claim.incarnation <= c.claim.incarnation)
      return admission::unchanged;
    bool moved = claim.address != c.claim.address;
    c.claim = claim;
    if (!moved)
      return admission::updated;
    // An ack from the old address no longer proves anything.
    by_seq_.erase(c.seq);
    c.seq = seq;
    by_seq_[seq] = claim.id;
    c.pings_left = limits_.pings - 1;
    reschedule(c, now + limits_.ping_interval);
    return admission::readdressed;
  }
  if (by_id_.size() >= limits_.max_candidates)
    return admission::full;
  if (!take_share(source, now))
    return admission::source_over_limit;
  auto at = now + limits_.ping_interval;
  by_id_.emplace(claim.id, candidate{claim, seq, at, limits_.pings - 1});
  by_seq_[seq] = claim.id;
  schedule_.emplace(at, claim.id);
  return admission::admitted;
}

std::optional<gossip::alive> member_candidates::verify(uint32_t seq, const std::string& from) {
  auto s = by_seq_.find(seq);
  if (s == by_seq_.end())
    return std::nullopt;
  auto it = by_id_.find(s->second);
  if (it == by_id_.end() || it->second.claim.address != from)
    return std::nullopt;
  auto claim = std::move(it->second.claim);
  schedule_.erase({it->second.next_ping, it->first});
  by_seq_.erase(s);
  by_id_.erase(it);
  return claim;
}

void member_candidates::erase(const node_id& id) {
  if (auto it = by_id_.find(id); it != by_id_.end()) {
    schedule_.erase({it->second.next_ping, id});
    by_seq_.erase(it->second.seq);
    by_id_.erase(it);
  }
}

time_point member_candidates::next_deadline() const {
  return schedule_.empty() ? time_point::max() : schedule_.begin()->first;
}

} // namespace rpcnet
