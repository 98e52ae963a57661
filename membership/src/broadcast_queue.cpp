// The retransmit-limited queue of membership updates (see broadcast_queue.hpp).
#include "broadcast_queue.hpp"

#include <cmath>

#include "gossip_codec.hpp"

namespace rpcnet {

namespace {

/// The smallest message there is (ack, nack): below this budget nothing fits.
constexpr size_t smallest_message = gossip::message_header_size + 4;

} // namespace

unsigned broadcast_queue::retransmit_limit(unsigned multiplier, size_t members) {
  auto scale = std::ceil(std::log10(static_cast<double>(members) + 1.0));
  return multiplier * static_cast<unsigned>(std::max(scale, 1.0));
}

void broadcast_queue::enqueue(node_id subject, gossip::message msg) {
  forget(subject);
  entry e{std::move(msg), 0, 0, next_order_++};
  e.size = gossip::encoded_size(e.msg);
  by_preference_.insert(key_of(subject, e));
  entries_.emplace(subject, std::move(e));
}

void broadcast_queue::forget(node_id subject) {
  if (auto it = entries_.find(subject); it != entries_.end()) {
    by_preference_.erase(key_of(subject, it->second));
    entries_.erase(it);
  }
}

std::vector<gossip::message> broadcast_queue::take(size_t budget, unsigned limit) {
  std::vector<gossip::message> out;
  std::vector<node_id> chosen;
  for (const auto& k : by_preference_) {
    if (budget < smallest_message)
      break;
    const auto& subject = std::get<2>(k);
    // Cannot throw: enqueue() and forget() keep by_preference_ to exactly
    // the keys of entries_ (this runs inside the membership actor).
    auto& e = entries_.at(subject);
    if (e.size > budget)
      continue;
    budget -= e.size;
    out.push_back(e.msg);
    chosen.push_back(subject);
  }
  for (const auto& subject : chosen) {
    auto it = entries_.find(subject);
    by_preference_.erase(key_of(subject, it->second));
    if (++it->second.transmits >= limit)
      entries_.erase(it);
    else
      by_preference_.insert(key_of(subject, it->second));
  }
  return out;
}

} // namespace rpcnet
