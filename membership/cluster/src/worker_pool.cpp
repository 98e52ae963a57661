// The worker pool's dense arrays and their upkeep.
#include "worker_pool.hpp"

namespace rpcnet {

std::optional<worker_pool::slot> worker_pool::find(const node_id& id) const {
  if (auto i = slots_.find(id); i != slots_.end())
    return i->second;
  return std::nullopt;
}

uint32_t worker_pool::in_flight(const node_id& id) const {
  auto s = find(id);
  return s ? in_flight_[*s] : 0;
}

bool worker_pool::begin_call(const node_id& id) {
  auto s = find(id);
  if (!s)
    return false;
  ++in_flight_[*s];
  note_load_change(*s);
  return true;
}

void worker_pool::end_call(const node_id& id) {
  if (auto s = find(id); s && in_flight_[*s] > 0) {
    --in_flight_[*s];
    note_load_change(*s);
  }
}

std::optional<uint32_t> worker_pool::zone_number(std::string_view zone) const {
  if (auto i = zone_numbers_.find(zone); i != zone_numbers_.end())
    return i->second;
  return std::nullopt;
}

uint32_t worker_pool::intern_zone(const std::string& zone) {
  return zone_numbers_.try_emplace(zone, static_cast<uint32_t>(zone_numbers_.size()))
    .first->second;
}

bool worker_pool::upsert(worker w) {
  auto zone = intern_zone(w.zone);
  if (auto s = find(w.id)) {
    if (workers_[*s] == w)
      return false;
    workers_[*s] = std::move(w);
    zones_[*s] = zone;
  } else {
    slots_.emplace(w.id, static_cast<slot>(workers_.size()));
    workers_.push_back(std::move(w));
    in_flight_.push_back(0);
    zones_.push_back(zone);
  }
  ++generation_;
  return true;
}

bool worker_pool::erase(const node_id& id) {
  auto i = slots_.find(id);
  if (i == slots_.end())
    return false;
  auto gap = i->second;
  slots_.erase(i);
  auto last = static_cast<slot>(workers_.size() - 1);
  if (gap != last) {
    workers_[gap] = std::move(workers_[last]);
    in_flight_[gap] = in_flight_[last];
    zones_[gap] = zones_[last];
    slots_[workers_[gap].id] = gap;
  }
  workers_.pop_back();
  in_flight_.pop_back();
  zones_.pop_back();
  ++generation_;
  return true;
}

} // namespace rpcnet
