// The event loop of the deterministic SWIM simulator (see swim_simulator.hpp).
#include <rpcnet/simulator/swim_simulator.hpp>

#include <algorithm>

#include "gossip_codec.hpp"

namespace rpcnet {

namespace {

/// "10.a.b.c:7946", unique per node index.
std::string address_of(size_t index) {
  return "10." + std::to_string((index >> 16) & 0xff) + "." + std::to_string((index >> 8) & 0xff)
         + "." + std::to_string(index & 0xff) + ":7946";
}

} // namespace

// -- constructors -------------------------------------------------------------

caf::expected<swim_simulator> swim_simulator::make(simulation_options options) {
  if (auto err = options.config.validate())
    return err;
  return swim_simulator{std::move(options)};
}

swim_simulator::swim_simulator(simulation_options options)
  : options_(std::move(options)),
    rng_(options_.seed),
    network_(0, options_.network),
    now_(time_point{} + std::chrono::hours{1}) {
  for (size_t i = 0; i < options_.nodes; ++i)
    add_node();
  if (options_.converged) {
    std::vector<member> everyone;
    everyone.reserve(nodes_.size());
    for (const auto& n : nodes_)
      everyone.push_back(member{n.id, n.address, 0, member_state::alive, {}});
    for (size_t i = 0; i < nodes_.size(); ++i) {
      if (!start(i))
        continue;
      nodes_[i].core->adopt(everyone, now_);
      reschedule(i);
    }
  } else {
    for (size_t i = 0; i < nodes_.size(); ++i)
      join(i, i == 0 ? std::vector<size_t>{} : std::vector<size_t>{0});
  }
}

swim_simulator::swim_simulator(swim_simulator&&) noexcept = default;
swim_simulator& swim_simulator::operator=(swim_simulator&&) noexcept = default;
swim_simulator::~swim_simulator() = default;

// -- the clock ----------------------------------------------------------------

void swim_simulator::run_for(duration d) {
  auto until = now_ + d;
  while (!queue_.empty() && queue_.front().at <= until) {
    std::pop_heap(queue_.begin(), queue_.end(), later{});
    auto ev = std::move(queue_.back());
    queue_.pop_back();
    now_ = ev.at;
    step(std::move(ev));
  }
  now_ = until;
}

bool swim_simulator::run_until(const std::function<bool()>& done, duration limit,
                               duration step_size) {
  auto deadline = now_ + limit;
  while (!done()) {
    if (now_ >= deadline)
      return false;
    run_for(std::min(step_size, deadline - now_));
  }
  return true;
}

void swim_simulator::push(time_point at, scheduled::kind what, size_t node, size_t from,
                          byte_buffer bytes) {
  queue_.push_back(scheduled{at, next_order_++, what, node, nodes_[node].life, from,
                             std::move(bytes)});
  std::push_heap(queue_.begin(), queue_.end(), later{});
}

void swim_simulator::step(scheduled ev) {
  auto& n = nodes_[ev.node];
  if (!n.running || ev.life != n.life)
    return;
  switch (ev.what) {
    case scheduled::kind::tick:
      if (ev.at != n.tick_at)
        return; // superseded by an earlier tick
      n.tick_at = time_point::max();
      dispatch(ev.node, n.core->tick(now_));
      break;
    case scheduled::kind::deliver: {
      ++delivered_;
      n.counters.datagrams_received += 1;
      n.counters.bytes_received += ev.bytes.size();
      auto dg = gossip::decode(ev.bytes);
      if (!dg) {
        ++codec_failures_;
        return;
      }
      dispatch(ev.node, n.core->handle(*dg, nodes_[ev.from].address, now_));
      break;
    }
    case scheduled::kind::join_retry:
      if (!n.seeds.empty()) {
        if (n.core->has_members())
          n.seeds.clear();
        else
          send_join(ev.node);
      }
      break;
  }
  reschedule(ev.node);
}

void swim_simulator::reschedule(size_t index) {
  auto& n = nodes_[index];
  if (!n.running)
    return;
  // A deadline in the past is due now; never schedule behind the clock.
  auto at = std::max(n.core->next_deadline(), now_);
  if (at < n.tick_at) {
    n.tick_at = at;
    push(at, scheduled::kind::tick, index);
  }
}

void swim_simulator::dispatch(size_t index, swim_output out) {
  auto& n = nodes_[index];
  for (auto& dg : out.datagrams) {
    auto bytes = gossip::encode(dg.datagram);
    if (!bytes) {
      ++codec_failures_;
      continue;
    }
    n.counters.datagrams_sent += 1;
    n.counters.bytes_sent += bytes->size();
    auto to = by_address_.find(dg.destination);
    if (to == by_address_.end())
      continue;
    if (auto delay = network_.transit(index, to->second, rng_))
      push(now_ + *delay, scheduled::kind::deliver, to->second, index, std::move(*bytes));
  }
  if (observer_)
    for (const auto& ev : out.events)
      observer_(index, ev, now_);
}

// -- nodes --------------------------------------------------------------------

caf::expected<std::unique_ptr<swim_core>> swim_simulator::make_core(size_t index) {
  const auto& n = nodes_[index];
  auto core = swim_core::make(options_.config,
                              member{n.id, n.address, 0, member_state::alive, {}}, rng_(), now_);
  if (!core)
    return std::move(core.error());
  return std::make_unique<swim_core>(std::move(*core));
}

size_t swim_simulator::add_node() {
  auto index = nodes_.size();
  node n;
  n.id = node_id::random(rng_);
  n.address = address_of(index);
  by_address_.emplace(n.address, index);
  nodes_.push_back(std::move(n));
  network_.add_node();
  return index;
}

bool swim_simulator::start(size_t index) {
  auto core = make_core(index);
  if (!core)
    return false;
  auto& n = nodes_[index];
  n.core = std::move(*core);
  n.running = true;
  n.tick_at = time_point::max();
  return true;
}

void swim_simulator::join(size_t index, const std::vector<size_t>& seeds) {
  if (!start(index))
    return;
  nodes_[index].seeds = seeds;
  if (seeds.empty())
    reschedule(index);
  else
    send_join(index);
}

void swim_simulator::send_join(size_t index) {
  auto& n = nodes_[index];
  std::vector<std::string> addresses;
  for (auto s : n.seeds)
    addresses.push_back(nodes_[s].address);
  dispatch(index, n.core->join(addresses, now_));
  push(now_ + options_.config.gossip_interval, scheduled::kind::join_retry, index);
  reschedule(index);
}

void swim_simulator::crash(size_t index) {
  auto& n = nodes_[index];
  n.running = false;
  ++n.life;
  n.tick_at = time_point::max();
}

void swim_simulator::restart(size_t index, const std::vector<size_t>& seeds) {
  if (nodes_[index].running)
    crash(index);
  join(index, seeds);
}

void swim_simulator::leave(size_t index) {
  dispatch(index, nodes_[index].core->leave(now_));
  reschedule(index);
}

void swim_simulator::reset_traffic() {
  for (auto& n : nodes_)
    n.counters = traffic{};
}

} // namespace rpcnet
