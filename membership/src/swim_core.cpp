// The SWIM state machine with Lifeguard: probing, dissemination, the update
// rules, push-pull and timers (see swim_core.hpp for the overview).
#include "swim_core.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "gossip_codec.hpp"
#include "gossip_field_rules.hpp"
#include <rpcnet/transport/error.hpp>

namespace rpcnet {

namespace {

/// Members besides the suspect asked for its entry before it is buried.
constexpr size_t recheck_witnesses = 2;

/// A relay waits this share of its probe timeout before it answers nack.
/// The requester's indirect phase lasts the rest of its interval (by default
/// as long as the probe timeout), and the nack must arrive before it ends or
/// it counts against the requester's own health.
constexpr double relay_nack_share = 0.8;

/// Pings relayed at once for other members; ping-reqs beyond this are
/// dropped, so a flood of them cannot make us hold unbounded state.
constexpr size_t max_pending_relays = 256;

/// Cluster size above which the push-pull period grows (memberlist's
/// pushPullScaleThreshold).
constexpr double push_pull_scale_threshold = 32;

/// Bytes of a datagram holding one ping and nothing else.
constexpr size_t ping_size = gossip::datagram_header_size + gossip::message_header_size + 4 + 16;

/// How long a join seed's answers count as a member's: long enough for the
/// seed to verify us and send its state, short enough that a seed address
/// is not trusted for longer than a join needs.
constexpr int seed_trust_intervals = 2;

member_candidates::limits candidate_limits(const swim_config& cfg) {
  member_candidates::limits lim;
  lim.max_candidates = cfg.limits.max_candidates;
  lim.max_per_source = cfg.limits.max_introductions_per_source;
  lim.window = cfg.gossip_interval;
  lim.pings = cfg.limits.verification_pings;
  lim.ping_interval = cfg.probe_timeout;
  return lim;
}

} // namespace

// -- constructors -------------------------------------------------------------

caf::expected<swim_core> swim_core::make(swim_config cfg, member self, uint64_t seed,
                                         time_point now) {
  auto bad = [](std::string what) { return make_error(error::config, std::move(what)); };
  if (auto err = cfg.validate())
    return err;
  if (!gossip::valid_member_id(self.id))
    return bad("the local id is reserved");
  if (!gossip::valid_address(self.address))
    return bad("the local address " + self.address + " is not a canonical IP address and port");
  if (!gossip::valid_tags(self.tags))
    return bad("the local tags break the gossip wire's limits");
  return swim_core{std::move(cfg), std::move(self), seed, now};
}

swim_core::swim_core(swim_config cfg, member self, uint64_t seed, time_point now)
  : cfg_(std::move(cfg)),
    self_(std::move(self)),
    rng_(seed),
    seq_rng_(seed ^ 0x5eed5eed5eed5eedULL),
    awareness_(cfg_.lifeguard.local_health_awareness ? cfg_.lifeguard.max_awareness : 1),
    partitions_({cfg_.partition_window > duration::zero() ? cfg_.partition_window
                                                          : 6 * cfg_.suspicion_timeout,
                 cfg_.partition_min_members}),
    candidates_(candidate_limits(cfg_)) {
  self_.state = member_state::alive;
  self_.incarnation = 0;
  // Random phases: nodes started together must not probe or exchange
  // state in lockstep.
  next_probe_at_ = now + random_share(cfg_.gossip_interval);
  next_push_pull_at_ = now + random_share(cfg_.gossip_interval * cfg_.push_pull_cycles);
  next_broadcast_at_ = now;
}

duration swim_core::random_share(duration d) {
  return duration{static_cast<duration::rep>(rng_() % static_cast<uint64_t>(d.count()))};
}

// -- input --------------------------------------------------------------------

swim_output swim_core::join(std::span<const std::string> seeds, time_point now) {
  broadcast(self_.id, gossip::alive{self_.id, self_.incarnation, self_.address, self_.tags});
  std::erase_if(seeds_asked_, [&](const auto& asked) { return asked.second <= now; });
  auto trusted_until = now + seed_trust_intervals * cfg_.gossip_interval;
  for (const auto& seed : seeds) {
    if (seed == self_.address)
      continue;
    auto it = std::find_if(seeds_asked_.begin(), seeds_asked_.end(),
                           [&](const auto& asked) { return asked.first == seed; });
    if (it != seeds_asked_.end())
      it->second = trusted_until;
    else
      seeds_asked_.emplace_back(seed, trusted_until);
    send_state(seed, node_id::min(), node_id::max(), true);
  }
  return std::exchange(out_, {});
}

swim_output swim_core::handle(const gossip::datagram& dg, const std::string& from,
                              time_point now) {
  // Our own id on a datagram from elsewhere is a forgery or an echo.
  if (dg.sender != self_.id) {
    auto level = classify(dg.sender, from, now);
    // What a stranger's claims make us send (verification pings) must not
    // exceed what it sent.
    stranger_budget_ = level == trust::stranger ? gossip::encoded_size(dg) : SIZE_MAX;
    for (const auto& msg : dg.messages)
      on_message(msg, dg.sender, from, level, now);
  }
  return std::exchange(out_, {});
}

swim_output swim_core::tick(time_point now) {
  expire_relays(now);
  if (!leaving_) {
    ping_candidates(now);
    if (probe_ && !probe_->acked && !probe_->indirect_sent && now >= probe_->indirect_at)
      send_indirect_probes();
    expire_suspicions(now);
    check_phi(now);
    if (now >= next_probe_at_) {
      finish_probe(now);
      start_probe(now);
      // An unhealthy node probes less often (Lifeguard).
      next_probe_at_ = advance(next_probe_at_, awareness_.scale(cfg_.gossip_interval), now);
    }
    if (now >= next_push_pull_at_) {
      members_.reap(now - cfg_.tombstone_timeout);
      push_pull_round();
      next_push_pull_at_
        = advance(next_push_pull_at_, cfg_.gossip_interval * push_pull_period(), now);
    }
  }
  if (now >= next_broadcast_at_ && !broadcasts_.empty()) {
    gossip_round();
    next_broadcast_at_ = now + cfg_.broadcast_interval;
  }
  return std::exchange(out_, {});
}

time_point swim_core::advance(time_point due, duration period, time_point now) {
  due += period;
  // Late ticks do not make up for missed rounds.
  return due <= now ? now + period : due;
}

swim_output swim_core::leave(time_point now) {
  if (leaving_)
    return {};
  leaving_ = true;
  self_.state = member_state::left;
  probe_.reset();
  relays_.clear();
  broadcast(self_.id, gossip::leave{self_.id, self_.incarnation});
  // The freshest update goes first, so each of these carries the leave.
  gossip_round();
  next_broadcast_at_ = now + cfg_.broadcast_interval;
  return std::exchange(out_, {});
}

caf::error swim_core::set_tags(tag_map tags, time_point) {
  if (!gossip::valid_tags(tags))
    return make_error(error::config, "tags break the gossip wire's limits: at most 255 "
                                     "pairs, keys of 1 to 255 bytes, values of at most "
                                     "255 bytes, 512 bytes in all, UTF-8 without control "
                                     "characters");
  if (self_.incarnation >= gossip::max_incarnation)
    return make_error(error::config, "this node's incarnation is exhausted");
  self_.tags = std::move(tags);
  ++self_.incarnation;
  broadcast(self_.id, gossip::alive{self_.id, self_.incarnation, self_.address, self_.tags});
  return {};
}

void swim_core::adopt(std::span<const member> members, time_point now) {
  for (const auto& m : members)
    if (m.id != self_.id && !members_.find(m.id)) {
      candidates_.erase(m.id);
      members_.insert(m, now, rng_);
    }
}

// -- timers -------------------------------------------------------------------

time_point swim_core::next_deadline() const {
  auto t = broadcasts_.empty() ? time_point::max() : next_broadcast_at_;
  for (const auto& r : relays_)
    t = std::min(t, r.nack_at);
  // A leaving node only spreads the news: its other timers stand still.
  if (leaving_)
    return t;
  t = std::min({t, next_probe_at_, next_push_pull_at_, candidates_.next_deadline()});
  if (probe_ && !probe_->acked && !probe_->indirect_sent)
    t = std::min(t, probe_->indirect_at);
  if (!suspicion_deadlines_.empty())
    t = std::min(t, suspicion_deadlines_.begin()->first);
  if (!phi_checks_.empty())
    t = std::min(t, phi_checks_.begin()->first);
  return t;
}

// -- queries ------------------------------------------------------------------

const member* swim_core::find(const node_id& id) const {
  auto* rec = members_.find(id);
  return rec ? &rec->info : nullptr;
}

std::vector<member> swim_core::members() const {
  std::vector<member> out;
  out.reserve(members_.size());
  for (const auto& [id, rec] : members_.records())
    out.push_back(rec.info);
  return out;
}

double swim_core::phi(const node_id& id, time_point now) const {
  auto* rec = members_.find(id);
  return rec && rec->detector ? rec->detector->phi(now) : 0.0;
}

std::vector<duration> swim_core::heartbeat_history(const node_id& id) const {
  auto* rec = members_.find(id);
  return rec && rec->detector ? rec->detector->heartbeat_history() : std::vector<duration>{};
}

// -- receiving ----------------------------------------------------------------

swim_core::trust swim_core::classify(const node_id& sender, const std::string& from,
                                     time_point now) const {
  if (const auto* rec = members_.find(sender); rec && rec->info.address == from)
    return trust::member;
  for (const auto& [seed, until] : seeds_asked_)
    if (seed == from && now < until)
      return trust::seed;
  return trust::stranger;
}

void swim_core::on_message(const gossip::message& msg, const node_id& sender,
                           const std::string& from, trust level, time_point now) {
  std::visit(
    [&](const auto& m) {
      using type = std::decay_t<decltype(m)>;
      if constexpr (std::is_same_v<type, gossip::ping>) {
        on_ping(m, from, level);
      } else if constexpr (std::is_same_v<type, gossip::ping_req>) {
        if (level == trust::member)
          on_ping_req(m, from, now);
        else
          ++counters_.refused_ping_req;
      } else if constexpr (std::is_same_v<type, gossip::ack>) {
        on_ack(m, from, now);
      } else if constexpr (std::is_same_v<type, gossip::nack>) {
        on_nack(m, from);
      } else if constexpr (std::is_same_v<type, gossip::push_pull>) {
        on_push_pull(m, sender, from, level, now);
      } else if constexpr (std::is_same_v<type, gossip::alive>) {
        if (believes(m.id, sender, level))
          apply(m, from, now);
        else
          ++counters_.refused_hearsay;
      } else {
        if (level != trust::stranger)
          apply(m, now);
        else
          ++counters_.refused_hearsay;
      }
    },
    msg);
}

void swim_core::on_ping(const gossip::ping& m, const std::string& from, trust level) {
  // A ping for another id reached an address we took over: not ours to ack.
  // A stranger's ack carries nothing else, so it is smaller than the ping.
  if (m.target == self_.id)
    send(from, {gossip::ack{m.seq}}, level == trust::member);
}

void swim_core::on_ping_req(const gossip::ping_req& m, const std::string& from,
                            time_point now) {
  if (leaving_ || m.target == self_.id || relays_.size() >= max_pending_relays)
    return;
  // Only a member we hold is pinged, at the address we know: a ping-req
  // cannot aim our pings at an address of its sender's choosing.
  auto* target = members_.find(m.target);
  if (!target || !is_live(target->info.state)) {
    ++counters_.refused_ping_req;
    return;
  }
  auto seq = next_seq();
  auto wait = std::chrono::duration_cast<duration>(cfg_.probe_timeout * relay_nack_share);
  relays_.push_back(relay{seq, target->info.address, from, m.seq, now + wait});
  send(target->info.address, {gossip::ping{seq, m.target}});
}

void swim_core::on_ack(const gossip::ack& m, const std::string& from, time_point now) {
  if (probe_ && m.seq == probe_->seq
      && (from == probe_->address
          || std::find(probe_->relays.begin(), probe_->relays.end(), from)
               != probe_->relays.end())) {
    if (!probe_->acked) {
      probe_->acked = true;
      ++counters_.probes_acked;
      counters_.probe_round_trip_us += static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(now - probe_->sent_at).count());
      awareness_.apply_delta(-1);
      if (auto* rec = members_.find(probe_->target))
        heartbeat(*rec, now);
    }
    return;
  }
  auto it = std::find_if(relays_.begin(), relays_.end(), [&](const relay& r) {
    return r.seq == m.seq && r.target == from;
  });
  if (it != relays_.end()) {
    auto requester = std::move(it->requester);
    auto seq = it->requester_seq;
    relays_.erase(it);
    send(requester, {gossip::ack{seq}});
    return;
  }
  if (auto claim = candidates_.verify(m.seq, from)) {
    ++counters_.candidates_verified;
    take_in(*claim, now);
    return;
  }
  ++counters_.unexpected_acks;
}

void swim_core::on_nack(const gossip::nack& m, const std::string& from) {
  if (probe_ && m.seq == probe_->seq && !probe_->acked
      && std::find(probe_->relays.begin(), probe_->relays.end(), from)
           != probe_->relays.end())
    ++probe_->nacks;
  else
    ++counters_.unexpected_acks;
}

void swim_core::on_push_pull(const gossip::push_pull& m, const node_id& sender,
                             const std::string& from, trust level, time_point now) {
  for (const auto& entry : m.members) {
    if (level == trust::stranger
        && (entry.state != member_state::alive || !believes(entry.id, sender, level))) {
      ++counters_.refused_hearsay;
      continue;
    }
    switch (entry.state) {
      case member_state::alive: {
        // The common case in a converged cluster: nothing new.
        auto* rec = members_.find(entry.id);
        if (!rec || entry.incarnation > rec->info.incarnation)
          apply(gossip::alive{entry.id, entry.incarnation, entry.address, entry.tags}, from,
                now);
        break;
      }
      case member_state::suspect:
      case member_state::dead:
        // A death reported by another member is only a suspicion here: if
        // the member lives, it gets the chance to refute (as memberlist).
        if (level != trust::stranger)
          apply(gossip::suspect{entry.id, entry.incarnation, sender}, now);
        break;
      case member_state::left:
        if (level != trust::stranger)
          apply(gossip::leave{entry.id, entry.incarnation}, now);
        break;
    }
  }
  if (!m.reply_requested)
    return;
  // Our state is many times larger than a request: only a member whose
  // address answered for it gets it at once.
  if (level == trust::member)
    send_state(from, m.first, m.last, false, &m);
  else
    defer_reply(from, m.first, m.last, now);
}

// -- verification -------------------------------------------------------------

bool swim_core::believes(const node_id& subject, const node_id& sender, trust level) const {
  // A stranger may announce itself, and name members we do not hold (they
  // are only candidates until they answer); what it says about us or about
  // members we hold would override what members told us.
  return level != trust::stranger || subject == sender
         || (subject != self_.id && !members_.find(subject));
}

uint32_t swim_core::next_seq() {
  // Random, so that nobody who cannot see our pings can forge their acks.
  uint32_t seq = 0;
  while (seq == 0)
    seq = static_cast<uint32_t>(seq_rng_());
  return seq;
}

bool swim_core::implausible(uint64_t heard, uint64_t known) const noexcept {
  return heard > known && heard - known > cfg_.limits.max_incarnation_jump;
}

void swim_core::introduce(const gossip::alive& m, const std::string& source, time_point now) {
  if (members_.size() >= cfg_.limits.max_members) {
    ++counters_.refused_full;
    return;
  }
  if (stranger_budget_ < ping_size) {
    ++counters_.refused_introductions;
    return;
  }
  auto seq = next_seq();
  switch (candidates_.admit(m, source, seq, now)) {
    case member_candidates::admission::admitted:
    case member_candidates::admission::readdressed:
      // Nothing rides along: the address is unverified, possibly a victim's.
      send(m.address, {gossip::ping{seq, m.id}}, false);
      stranger_budget_ -= std::min(stranger_budget_, ping_size);
      break;
    case member_candidates::admission::updated:
    case member_candidates::admission::unchanged:
      break;
    case member_candidates::admission::source_over_limit:
      ++counters_.refused_introductions;
      break;
    case member_candidates::admission::full:
      ++counters_.refused_full;
      break;
  }
}

void swim_core::ping_candidates(time_point now) {
  size_t expired = 0;
  auto pings = candidates_.due(now, [this] { return next_seq(); }, expired);
  counters_.candidates_expired += expired;
  for (auto& p : pings)
    send(p.address, {gossip::ping{p.seq, p.id}}, false);
}

void swim_core::take_in(const gossip::alive& m, time_point now) {
  if (auto* rec = members_.find(m.id)) {
    if (m.incarnation > rec->info.incarnation)
      update(*rec, m, now);
  } else if (members_.size() >= cfg_.limits.max_members) {
    ++counters_.refused_full;
    return;
  } else {
    auto& added = members_.insert(
      member{m.id, m.address, m.incarnation, member_state::alive, m.tags}, now, rng_);
    emit(membership_event::kind::joined, added, now);
    broadcast(m.id, m);
  }
  answer_deferred(m.address);
}

void swim_core::defer_reply(const std::string& from, node_id first, node_id last,
                            time_point now) {
  std::erase_if(deferred_replies_, [&](const deferred_reply& d) { return d.expires <= now; });
  // As long as a candidate's pings may still be answered.
  auto expires = now + (cfg_.limits.verification_pings + 1) * cfg_.probe_timeout;
  for (auto& d : deferred_replies_) {
    if (d.address == from) {
      d.first = std::min(d.first, first);
      d.last = std::max(d.last, last);
      d.expires = expires;
      return;
    }
  }
  if (deferred_replies_.size() >= cfg_.limits.max_deferred_replies) {
    ++counters_.replies_refused;
    return;
  }
  ++counters_.replies_deferred;
  deferred_replies_.push_back({from, first, last, expires});
}

void swim_core::answer_deferred(const std::string& address) {
  auto it = std::find_if(deferred_replies_.begin(), deferred_replies_.end(),
                         [&](const deferred_reply& d) { return d.address == address; });
  if (it == deferred_replies_.end())
    return;
  auto d = std::move(*it);
  deferred_replies_.erase(it);
  send_state(d.address, d.first, d.last, false);
}

// -- membership updates -------------------------------------------------------

void swim_core::apply(const gossip::alive& m, const std::string& source, time_point now) {
  if (m.id == self_.id) {
    // Someone holds a newer or different picture of us, say from a previous
    // life under the same id: override it.
    auto differs = m.address != self_.address || m.tags != self_.tags;
    if (implausible(m.incarnation, self_.incarnation)) {
      ++counters_.refused_implausible;
      return;
    }
    if (!leaving_
        && (m.incarnation > self_.incarnation
            || (m.incarnation == self_.incarnation && differs)))
      refute(m.incarnation, now);
    return;
  }
  auto* rec = members_.find(m.id);
  if (!rec) {
    introduce(m, source, now);
    return;
  }
  // Tombstones included: only a higher incarnation brings a member back.
  if (m.incarnation <= rec->info.incarnation)
    return;
  if (implausible(m.incarnation, rec->info.incarnation)) {
    ++counters_.refused_implausible;
    return;
  }
  // A member that moved must answer at its new address first.
  if (m.address != rec->info.address) {
    introduce(m, source, now);
    return;
  }
  update(*rec, m, now);
}

void swim_core::update(member_record& rec, const gossip::alive& m, time_point now) {
  auto before = rec.info.state;
  auto changed = rec.info.address != m.address || rec.info.tags != m.tags;
  rec.info.incarnation = m.incarnation;
  rec.info.address = m.address;
  rec.info.tags = m.tags;
  if (before != member_state::alive) {
    clear_suspicion(rec);
    members_.set_state(rec, member_state::alive, now);
  }
  if (before == member_state::suspect)
    emit(membership_event::kind::recovered, rec, now);
  if (!is_live(before))
    emit(membership_event::kind::joined, rec, now);
  else if (changed)
    emit(membership_event::kind::updated, rec, now);
  broadcast(m.id, m);
}

void swim_core::apply(const gossip::suspect& m, time_point now) {
  if (auto* rec = accused(m.id, m.incarnation, now))
    suspect_member(*rec, m.incarnation, m.from, now);
}

void swim_core::apply(const gossip::dead& m, time_point now) {
  if (auto* rec = accused(m.id, m.incarnation, now))
    bury(*rec, m.incarnation, member_state::dead, m.from, now);
}

void swim_core::apply(const gossip::leave& m, time_point now) {
  // About us, it is a forgery or a leave from a previous life under our id.
  if (about_self(m.id, m.incarnation, now))
    return;
  auto* rec = members_.find(m.id);
  // A leave also turns a dead tombstone of the same incarnation into a
  // departed one: nobody needs to try reconnecting to it.
  if (!rec
      || !supersedes(m.incarnation, member_state::left, rec->info.incarnation,
                     rec->info.state))
    return;
  if (implausible(m.incarnation, rec->info.incarnation)) {
    ++counters_.refused_implausible;
    return;
  }
  bury(*rec, m.incarnation, member_state::left, m.id, now);
}

bool swim_core::about_self(const node_id& id, uint64_t incarnation, time_point now) {
  if (id != self_.id)
    return false;
  // Nobody else raises our incarnation: a claim far above it is forged, and
  // our peers refuse it as we do.
  if (implausible(incarnation, self_.incarnation))
    ++counters_.refused_implausible;
  else if (!leaving_ && incarnation >= self_.incarnation)
    refute(incarnation, now);
  return true;
}

member_record* swim_core::accused(const node_id& id, uint64_t incarnation, time_point now) {
  if (about_self(id, incarnation, now))
    return nullptr;
  auto* rec = members_.find(id);
  if (!rec || incarnation < rec->info.incarnation || !is_live(rec->info.state))
    return nullptr;
  if (implausible(incarnation, rec->info.incarnation)) {
    ++counters_.refused_implausible;
    return nullptr;
  }
  return rec;
}

void swim_core::suspect_member(member_record& rec, uint64_t incarnation,
                               const node_id& from, time_point now) {
  const auto& id = rec.info.id;
  if (rec.info.state == member_state::suspect) {
    // Another member suspects it independently: with dynamic suspicion
    // that shortens the timer, and the others should count it too.
    auto before = rec.timer ? rec.timer->deadline() : time_point::max();
    if (cfg_.lifeguard.dynamic_suspicion && rec.timer && rec.timer->confirm(from)) {
      suspicion_deadlines_.erase({before, id});
      suspicion_deadlines_.emplace(rec.timer->deadline(), id);
      broadcast(id, gossip::suspect{id, rec.info.incarnation, from});
    }
    return;
  }
  rec.info.incarnation = incarnation;
  members_.set_state(rec, member_state::suspect, now);
  ++counters_.suspicions;
  const auto& lg = cfg_.lifeguard;
  auto k = lg.dynamic_suspicion ? lg.suspicion_confirmations : 0u;
  // Only members other than ourselves and the suspect can confirm: in a
  // small cluster expect as many as there are (memberlist expects none
  // there, which left a three-node cluster waiting out the whole timeout).
  auto confirmers = members_.live_count() > 0 ? members_.live_count() - 1 : 0;
  k = std::min<unsigned>(k, static_cast<unsigned>(confirmers));
  // Nobody to confirm it: the suspicion runs its full length.
  auto members = members_.live_count() + 1;
  auto max = cfg_.longest_suspicion(members);
  auto min = k == 0 ? max : cfg_.shortest_suspicion(members);
  rec.timer.emplace(from, k, min, max, now);
  suspicion_deadlines_.emplace(rec.timer->deadline(), id);
  emit(membership_event::kind::suspect, rec, now);
  broadcast(id, gossip::suspect{id, incarnation, from});
  // Buddy system: the accuser tells the suspect itself.
  if (lg.buddy_system && from == self_.id)
    send(rec.info.address, {});
}

void swim_core::bury(member_record& rec, uint64_t incarnation, member_state state,
                     const node_id& from, time_point now) {
  const auto& id = rec.info.id;
  clear_suspicion(rec);
  rec.info.incarnation = incarnation;
  members_.set_state(rec, state, now);
  if (state == member_state::left) {
    emit(membership_event::kind::left, rec, now);
    broadcast(id, gossip::leave{id, incarnation});
    return;
  }
  emit(membership_event::kind::failed, rec, now);
  broadcast(id, gossip::dead{id, incarnation, from});
  // Told directly, a member declared dead by mistake refutes at once. Not
  // only when we are the accuser: whoever else made the claim (a forger,
  // say) may never tell the member, and the dead are not gossiped to.
  if (cfg_.lifeguard.buddy_system)
    send(rec.info.address, {});
}

void swim_core::refute(uint64_t heard, time_point) {
  ++counters_.refutations;
  // Claims beyond max_incarnation_jump are refused, so this stays far
  // below the maximum in practice; saturate rather than wrap regardless.
  self_.incarnation = std::min(std::max(self_.incarnation, heard) + 1, gossip::max_incarnation);
  // Being suspected hints that we are the slow one (Lifeguard).
  awareness_.apply_delta(1);
  broadcast(self_.id, gossip::alive{self_.id, self_.incarnation, self_.address, self_.tags});
}

// -- timers -------------------------------------------------------------------

void swim_core::start_probe(time_point now) {
  auto* rec = members_.next_probe_target(rng_);
  if (!rec)
    return;
  probe p;
  p.target = rec->info.id;
  p.address = rec->info.address;
  p.seq = next_seq();
  p.sent_at = now;
  p.indirect_at = now + awareness_.scale(cfg_.probe_timeout);
  std::vector<gossip::message> msgs{gossip::ping{p.seq, p.target}};
  // Buddy system: a suspect we probe learns of the suspicion with the ping.
  if (cfg_.lifeguard.buddy_system && rec->info.state == member_state::suspect)
    msgs.push_back(gossip::suspect{p.target, rec->info.incarnation, self_.id});
  probe_ = std::move(p);
  send(rec->info.address, std::move(msgs));
}

void swim_core::send_indirect_probes() {
  probe_->indirect_sent = true;
  auto relays = members_.random_live(cfg_.indirect_probes, probe_->target, rng_);
  probe_->expected_nacks = static_cast<unsigned>(relays.size());
  for (auto* r : relays) {
    probe_->relays.push_back(r->info.address);
    send(r->info.address, {gossip::ping_req{probe_->seq, probe_->target}});
  }
}

void swim_core::finish_probe(time_point now) {
  if (!probe_)
    return;
  auto p = std::move(*probe_);
  probe_.reset();
  if (p.acked)
    return;
  // A failed probe says as much about us as about the target, unless the
  // relays' nacks show that our own links work (Lifeguard).
  awareness_.apply_delta(p.expected_nacks > 0
                           ? static_cast<int>(p.expected_nacks - std::min(p.nacks, p.expected_nacks))
                           : 1);
  auto* rec = members_.find(p.target);
  if (rec && is_live(rec->info.state))
    suspect_member(*rec, rec->info.incarnation, self_.id, now);
}

void swim_core::gossip_round() {
  if (broadcasts_.empty())
    return;
  for (auto* target : members_.random_live(cfg_.gossip_fanout, self_.id, rng_)) {
    if (broadcasts_.empty())
      break;
    send(target->info.address, {});
  }
}

void swim_core::push_pull_round() {
  if (auto partner = members_.random_live(1, self_.id, rng_); !partner.empty())
    send_state(partner.front()->info.address, node_id::min(), node_id::max(), true);
  // Members declared dead may be alive behind a healed partition: try one,
  // with probability dead/live, so that the cluster as a whole makes about
  // as many attempts per period as there are dead members (Serf's rule).
  auto failed = members_.failed_count();
  if (failed == 0)
    return;
  auto live = members_.live_count();
  std::uniform_real_distribution<double> coin{0.0, 1.0};
  if (live == 0 || coin(rng_) < static_cast<double>(failed) / static_cast<double>(live))
    if (auto* rec = members_.random_failed(rng_))
      send_state(rec->info.address, node_id::min(), node_id::max(), true);
}

void swim_core::expire_relays(time_point now) {
  for (auto it = relays_.begin(); it != relays_.end();) {
    if (it->nack_at <= now) {
      auto requester = std::move(it->requester);
      auto seq = it->requester_seq;
      it = relays_.erase(it);
      send(requester, {gossip::nack{seq}});
    } else {
      ++it;
    }
  }
}

void swim_core::expire_suspicions(time_point now) {
  while (!suspicion_deadlines_.empty() && suspicion_deadlines_.begin()->first <= now) {
    auto [at, id] = *suspicion_deadlines_.begin();
    suspicion_deadlines_.erase(suspicion_deadlines_.begin());
    auto* rec = members_.find(id);
    if (!rec || rec->info.state != member_state::suspect || !rec->timer
        || rec->timer->deadline() != at)
      continue;
    // The refutation may have reached everyone but this node: gossip
    // reaches every member only with high probability, and a slow suspect's
    // refutation may still be on its way. Before burying a member, ask it
    // and two others for its entry (one-member push-pulls); any of them
    // that knows a refuting incarnation answers within a probe timeout. A
    // real crash is declared that much later.
    if (rec->timer->extend_once(now + awareness_.scale(cfg_.gossip_interval))) {
      suspicion_deadlines_.emplace(rec->timer->deadline(), id);
      send_state(rec->info.address, id, id, true);
      for (auto* other : members_.random_live(recheck_witnesses, id, rng_))
        send_state(other->info.address, id, id, true);
      continue;
    }
    bury(*rec, rec->info.incarnation, member_state::dead, self_.id, now);
  }
}

void swim_core::check_phi(time_point now) {
  while (!phi_checks_.empty() && phi_checks_.begin()->first <= now) {
    auto [at, id] = *phi_checks_.begin();
    phi_checks_.erase(phi_checks_.begin());
    auto* rec = members_.find(id);
    if (!rec || rec->phi_check != at)
      continue;
    rec->phi_check = time_point::max();
    if (rec->info.state != member_state::alive || !rec->detector)
      continue;
    if (awareness_.score() == 0
        && rec->detector->phi(now) >= cfg_.health.phi_threshold) {
      suspect_member(*rec, rec->info.incarnation, self_.id, now);
      continue;
    }
    // Not yet, or we doubt our own timing (Lifeguard): look again later.
    schedule_phi_check(*rec);
    if (rec->phi_check <= now) {
      phi_checks_.erase({rec->phi_check, id});
      rec->phi_check = now + awareness_.scale(cfg_.gossip_interval);
      phi_checks_.emplace(rec->phi_check, id);
    }
  }
}

void swim_core::heartbeat(member_record& rec, time_point now) {
  if (!rec.detector) {
    phi_accrual_detector::settings s;
    s.history = cfg_.health.history_size;
    s.min_std_deviation = cfg_.health.min_std_deviation;
    s.acceptable_pause = cfg_.health.acceptable_pause;
    rec.detector = std::make_unique<phi_accrual_detector>(s);
  }
  rec.detector->heartbeat(now);
  schedule_phi_check(rec);
}

void swim_core::schedule_phi_check(member_record& rec) {
  if (rec.phi_check != time_point::max())
    phi_checks_.erase({rec.phi_check, rec.info.id});
  rec.phi_check = time_point::max();
  if (!rec.detector || rec.detector->sample_count() < cfg_.health.min_samples)
    return;
  auto silence = rec.detector->silence_for_phi(cfg_.health.phi_threshold);
  if (!silence)
    return;
  rec.phi_check = *rec.detector->last_heartbeat() + *silence;
  phi_checks_.emplace(rec.phi_check, rec.info.id);
}

void swim_core::clear_suspicion(member_record& rec) {
  if (rec.timer) {
    suspicion_deadlines_.erase({rec.timer->deadline(), rec.info.id});
    rec.timer.reset();
  }
}

// -- sending ------------------------------------------------------------------

void swim_core::send(const std::string& destination, std::vector<gossip::message> messages,
                     bool piggyback) {
  gossip::datagram dg{self_.id, std::move(messages)};
  auto size = gossip::encoded_size(dg);
  if (piggyback && size < gossip::max_datagram_size) {
    auto updates = broadcasts_.take(gossip::max_datagram_size - size, retransmit_limit());
    std::move(updates.begin(), updates.end(), std::back_inserter(dg.messages));
  }
  if (!dg.messages.empty())
    out_.datagrams.push_back({destination, std::move(dg)});
}

void swim_core::broadcast(const node_id& subject, gossip::message msg) {
  broadcasts_.enqueue(subject, std::move(msg));
}

std::vector<member> swim_core::state_in(node_id first, node_id last) const {
  std::vector<member> out;
  auto [begin, end] = members_.range(first, last);
  auto self_pending = first <= self_.id && self_.id <= last;
  for (auto it = begin; it != end; ++it) {
    if (self_pending && self_.id < it->first) {
      out.push_back(self_);
      self_pending = false;
    }
    out.push_back(it->second.info);
  }
  if (self_pending)
    out.push_back(self_);
  return out;
}

void swim_core::send_state(const std::string& destination, node_id first, node_id last,
                           bool reply_requested, const gossip::push_pull* except) {
  auto ours = state_in(first, last);
  if (except) {
    // The requester listed all it has in the range: send only what it
    // lacks or holds in an older version.
    std::vector<member> newer;
    auto theirs = except->members.begin();
    for (auto& m : ours) {
      while (theirs != except->members.end() && theirs->id < m.id)
        ++theirs;
      if (theirs == except->members.end() || theirs->id != m.id
          || supersedes(m.incarnation, m.state, theirs->incarnation, theirs->state))
        newer.push_back(std::move(m));
    }
    if (newer.empty())
      return;
    ours = std::move(newer);
  }
  for (auto& part : gossip::split_state(ours, first, last, reply_requested))
    out_.datagrams.push_back({destination, gossip::datagram{self_.id, {std::move(part)}}});
}

void swim_core::emit(membership_event::kind what, const member_record& rec, time_point now) {
  out_.events.push_back({what, rec.info, rec.detector ? rec.detector->phi(now) : 0.0, {}, {}});
  auto partition = partitions_.observe(out_.events.back(), members_.live_count(), now);
  if (!partition)
    return;
  partition->subject = self_;
  for (const auto& [id, other] : members_.records())
    if (is_live(other.info.state))
      partition->reachable.push_back(id);
  out_.events.push_back(std::move(*partition));
}

unsigned swim_core::retransmit_limit() const {
  return broadcast_queue::retransmit_limit(cfg_.retransmit_multiplier,
                                           members_.live_count() + 1);
}

unsigned swim_core::push_pull_period() const {
  auto n = static_cast<double>(members_.live_count() + 1);
  if (!cfg_.scale_push_pull || n <= push_pull_scale_threshold)
    return cfg_.push_pull_cycles;
  // memberlist's pushPullScale: one more period per doubling beyond 32.
  auto scale = std::ceil(std::log2(n) - std::log2(push_pull_scale_threshold)) + 1;
  return cfg_.push_pull_cycles * static_cast<unsigned>(scale);
}

} // namespace rpcnet
