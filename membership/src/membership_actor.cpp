// The membership actor: a thin shell that feeds the SWIM core datagrams and
// timer ticks on the steady clock, and carries out what the core returns.
// Its handlers sit behind an actor_boundary: what one throws costs that
// message, and each handler takes its steps in an order that leaves the
// actor consistent wherever an exception stops it (timers armed before the
// datagrams go out, which come last).
#include <rpcnet/membership/membership_actor.hpp>

#include <algorithm>
#include <atomic>
#include <random>
#include <unordered_map>

#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "gossip_codec.hpp"
#include "membership_spawn.hpp"
#include "swim_core.hpp"
#include <rpcnet/transport/actor_boundary.hpp>
#include <rpcnet/transport/address_resolver.hpp>
#include <rpcnet/transport/aead_keyring.hpp>
#include <rpcnet/transport/endpoint.hpp>
#include <rpcnet/transport/error.hpp>
#include <rpcnet/transport/library_log.hpp>
#include <rpcnet/transport/socket_address.hpp>

namespace rpcnet {

namespace {

// -- the messages only the actor itself and its endpoint send -----------------

/// A datagram from the transport thread: (gossip_atom, source, bytes).
using gossip_atom = caf::atom_constant<caf::atom("gossip")>;
/// The core's next deadline came: (tick_atom).
using tick_atom = caf::atom_constant<caf::atom("tick")>;
/// Waiting joins ask their seeds again: (join_retry_atom).
using join_retry_atom = caf::atom_constant<caf::atom("joinretry")>;
/// A leave had time to spread: (left_atom).
using left_atom = caf::atom_constant<caf::atom("left")>;

/// The actor as it is spawned: the public interface and the internal
/// messages above. Callers get the membership_actor view, which cannot
/// send them.
using membership_actor_impl
  = membership_actor::extend<caf::reacts_to<gossip_atom, std::string, byte_buffer>,
                             caf::reacts_to<tick_atom>, caf::reacts_to<join_retry_atom>,
                             caf::reacts_to<left_atom>>;

/// Counters the transport thread updates before a datagram reaches the actor.
struct intake {
  std::atomic<size_t> pending{0};
  std::atomic<uint64_t> dropped{0};
};

/// A join waiting for a seed to answer.
struct pending_join {
  caf::typed_response_promise<uint64_t> promise;
  std::vector<std::string> seeds;
  time_point deadline;
};

struct membership_state {
  cluster_config cfg;
  std::unique_ptr<swim_core> core;
  std::shared_ptr<endpoint> ep;
  /// True if ep is ours (a gossip port of its own) and dies with us.
  bool owns_endpoint = false;
  std::shared_ptr<intake> in;
  std::optional<aead_keyring> keys;
  wire_steps wire;
  gossip_stats stats;
  std::vector<caf::actor> subscribers;
  std::vector<pending_join> joins;
  /// A join_retry_atom is on its way.
  bool join_retry_armed = false;
  std::vector<caf::typed_response_promise<caf::ok_atom>> leave_waiters;
  /// When the pending tick fires (max: none pending).
  time_point tick_at = time_point::max();
  /// Parsed destinations: members' addresses repeat for every datagram.
  std::unordered_map<std::string, socket_address> addresses;
  /// Datagrams the encoder or the key ring refused (also in
  /// stats.unsendable), for logging at doubling counts.
  uint64_t send_failures = 0;

  ~membership_state() {
    if (!ep)
      return;
    ep->set_datagram_handler(nullptr);
    if (owns_endpoint)
      ep->shutdown();
  }
};

using self_ptr = membership_actor_impl::stateful_pointer<membership_state>;

constexpr size_t max_cached_addresses = 4096;

const socket_address* resolve(membership_state& st, const std::string& text) {
  if (auto it = st.addresses.find(text); it != st.addresses.end())
    return &it->second;
  auto parsed = socket_address::parse(text);
  if (!parsed)
    return nullptr;
  if (st.addresses.size() >= max_cached_addresses)
    st.addresses.clear();
  return &st.addresses.emplace(text, *parsed).first->second;
}

/// The bytes of `dg` as they go on the wire: encoded, and sealed when the
/// node has keys.
caf::expected<byte_buffer> wire_bytes(const membership_state& st, const gossip::datagram& dg) {
  auto bytes = st.wire.encode(dg);
  if (!bytes || !st.keys)
    return bytes;
  return st.wire.seal(*st.keys, *bytes);
}

/// A datagram that could not be encoded or sealed is dropped and counted,
/// and the actor goes on: one bad datagram must not end a node's
/// membership. Logged at the 1st, 2nd, 4th, 8th... failure, so a failure
/// that repeats on every datagram cannot flood the log.
void count_send_failure(membership_state& st, const std::string& destination,
                        const caf::error& err) {
  ++st.stats.unsendable;
  auto n = ++st.send_failures;
  if ((n & (n - 1)) == 0)
    log_line(log_level::warn, "membership: a datagram to " + destination + " was not sent ("
                                + describe(err) + "); " + std::to_string(n)
                                + " so far");
}

void send_datagrams(membership_state& st, std::vector<outgoing_datagram>& datagrams) {
  for (auto& out : datagrams) {
    const auto* to = resolve(st, out.destination);
    if (to == nullptr) {
      ++st.stats.unsendable;
      continue;
    }
    auto bytes = wire_bytes(st, out.datagram);
    if (!bytes) {
      count_send_failure(st, out.destination, bytes.error());
      continue;
    }
    ++st.stats.datagrams_sent;
    st.stats.bytes_sent += bytes->size();
    st.ep->send_datagram(*to, std::move(*bytes));
  }
}

/// One line per change, rate limited per kind: a peer's gossip causes
/// them, and a flapping cluster must not fill a disk.
void log_event(const membership_event& ev) {
  using kind = membership_event::kind;
  auto what = to_string_view(ev.what);
  auto level = ev.what == kind::failed || ev.what == kind::suspect
                   || ev.what == kind::partition_detected
                 ? log_level::warn
                 : log_level::info;
  std::string line = "membership: ";
  if (ev.what == kind::partition_detected || ev.what == kind::partition_healed) {
    line += std::string{what} + ": " + std::to_string(ev.unreachable.size()) + " unreachable, "
            + std::to_string(ev.reachable.size()) + " reachable";
  } else {
    line += "member " + ev.subject.id.to_string() + " at " + ev.subject.address + " "
            + std::string{what} + " (incarnation " + std::to_string(ev.subject.incarnation);
    if (ev.phi > 0)
      line += ", phi " + std::to_string(ev.phi);
    line += ")";
  }
  log_network_line(level, what, line);
}

void publish(membership_state& st, std::vector<membership_event>& events) {
  for (auto& ev : events) {
    log_event(ev);
    for (const auto& sub : st.subscribers)
      caf::anon_send(sub, ev);
  }
}

void answer_joins(self_ptr self, time_point now) {
  auto& st = self->state;
  auto known = st.core->live_members();
  std::erase_if(st.joins, [&](pending_join& join) {
    if (known > 0) {
      join.promise.deliver(static_cast<uint64_t>(known));
      return true;
    }
    if (now >= join.deadline) {
      std::string seeds;
      for (const auto& seed : join.seeds)
        seeds += (seeds.empty() ? "" : ", ") + seed;
      join.promise.deliver(make_error(
        error::timeout, "join: no seed answered within "
                          + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             st.cfg.join_timeout)
                                             .count())
                          + " ms (seeds: " + seeds + ")"));
      return true;
    }
    return false;
  });
}

/// Makes sure a tick comes by the core's next deadline.
void arm_timer(self_ptr self, time_point now) {
  auto& st = self->state;
  auto due = st.core->next_deadline();
  if (due >= st.tick_at)
    return;
  st.tick_at = due;
  auto delay = std::max(due - now, duration::zero());
  self->delayed_send(self, delay, tick_atom::value);
}

/// Carries out what one call into the core produced. The datagrams go
/// last: an exception while one is encoded, sealed or sent then costs the
/// rest of them -- lost packets, which SWIM tolerates -- never an event, a
/// join's answer or the next tick.
void run(self_ptr self, swim_output out, time_point now) {
  auto& st = self->state;
  arm_timer(self, now);
  publish(st, out.events);
  if (!st.joins.empty())
    answer_joins(self, now);
  send_datagrams(st, out.datagrams);
}

/// Opens, decodes and checks one received datagram; nullopt (counted) if
/// it is refused.
std::optional<gossip::datagram> accept(membership_state& st, const byte_buffer& bytes) {
  ++st.stats.datagrams_received;
  st.stats.bytes_received += bytes.size();
  std::span<const uint8_t> plain{bytes};
  byte_buffer opened;
  bool sealed = !bytes.empty() && bytes[0] == aead_keyring::envelope_magic;
  if (sealed) {
    if (!st.keys || bytes.size() > gossip::max_datagram_size + aead_keyring::overhead) {
      ++st.stats.rejected_unauthenticated;
      return std::nullopt;
    }
    auto result = st.keys->open(bytes);
    if (!result) {
      ++st.stats.rejected_unauthenticated;
      return std::nullopt;
    }
    opened = std::move(*result);
    plain = opened;
  } else if (st.keys && !st.cfg.accept_plaintext) {
    ++st.stats.rejected_unauthenticated;
    return std::nullopt;
  }
  auto dg = gossip::decode(plain);
  if (!dg) {
    ++st.stats.rejected_malformed;
    return std::nullopt;
  }
  if (dg->sender == st.core->self().id) {
    ++st.stats.rejected_forged;
    return std::nullopt;
  }
  return std::move(*dg);
}

void remove_subscriber(membership_state& st, const caf::actor_addr& who) {
  std::erase_if(st.subscribers, [&](const caf::actor& sub) { return sub.address() == who; });
}

/// What spawn_membership builds before the actor exists, so that whatever
/// can fail fails there, as an error, rather than in the actor's start.
struct membership_parts {
  cluster_config cfg;
  std::shared_ptr<endpoint> ep;
  bool owns_endpoint = false;
  std::unique_ptr<swim_core> core;
  std::optional<aead_keyring> keys;
  wire_steps wire;
};

membership_actor_impl::behavior_type membership_behavior(self_ptr self,
                                                         std::shared_ptr<membership_parts> parts) {
  auto& st = self->state;
  auto now = membership_clock::now();
  st.cfg = std::move(parts->cfg);
  st.ep = std::move(parts->ep);
  st.owns_endpoint = parts->owns_endpoint;
  st.core = std::move(parts->core);
  st.keys = std::move(parts->keys);
  st.wire = std::move(parts->wire);
  st.in = std::make_shared<intake>();
  // The transport thread hands datagrams over by message; a bounded count
  // of them may wait, so a flood costs drops, not memory.
  st.ep->set_datagram_handler([hdl = caf::actor_cast<caf::actor>(self), in = st.in,
                               limit = st.cfg.max_pending_datagrams](
                                const socket_address& from, std::span<const uint8_t> bytes) {
    if (in->pending.load(std::memory_order_relaxed) >= limit) {
      in->dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    in->pending.fetch_add(1, std::memory_order_relaxed);
    caf::anon_send(hdl, gossip_atom::value, from.to_string(),
                   byte_buffer(bytes.begin(), bytes.end()));
  });
  self->set_down_handler([self](caf::down_msg& msg) {
    remove_subscriber(self->state, msg.source);
  });
  arm_timer(self, now);
  actor_boundary boundary{"membership", st.cfg.metrics};
  return boundary.behavior<membership_actor_impl::behavior_type>(
    self,
    [self](join_atom, std::vector<std::string>& seeds) -> caf::result<uint64_t> {
      // A look-up here would stall this actor, and every actor sharing its
      // thread, for as long as DNS takes: names are resolved before the
      // request is sent (cluster_membership::join does).
      for (const auto& seed : seeds)
        if (!socket_address::parse(seed))
          return make_error(error::config,
                            "join: seed '" + seed
                              + "' is not a numeric host:port; the membership actor resolves "
                                "no names (resolve_address it first, or join through "
                                "cluster_membership::join)");
      auto& st = self->state;
      auto now = membership_clock::now();
      auto out = st.core->join(seeds, now);
      auto promise = self->make_response_promise<uint64_t>();
      st.joins.push_back({promise, std::move(seeds), now + st.cfg.join_timeout});
      // One retry timer serves every waiting join; armed first, so that the
      // join is retried (and times out) whatever run() throws.
      if (!st.join_retry_armed) {
        st.join_retry_armed = true;
        self->delayed_send(self, st.cfg.join_retry_interval, join_retry_atom::value);
      }
      run(self, std::move(out), now);
      return promise;
    },
    [self](join_retry_atom) {
      auto& st = self->state;
      auto now = membership_clock::now();
      st.join_retry_armed = false;
      answer_joins(self, now);
      if (st.joins.empty())
        return;
      // Ask every waiting join's seeds again: a seed may start after us.
      // run() may answer joins, so not while walking the list.
      std::vector<std::vector<std::string>> seeds;
      for (const auto& join : st.joins)
        seeds.push_back(join.seeds);
      st.join_retry_armed = true;
      self->delayed_send(self, st.cfg.join_retry_interval, join_retry_atom::value);
      for (const auto& list : seeds)
        run(self, st.core->join(list, now), now);
    },
    [self](leave_atom) -> caf::result<caf::ok_atom> {
      auto& st = self->state;
      auto now = membership_clock::now();
      auto promise = self->make_response_promise<caf::ok_atom>();
      st.leave_waiters.push_back(promise);
      // Keep gossiping the departure for a while before answering.
      self->delayed_send(self, st.cfg.leave_propagation, left_atom::value);
      run(self, st.core->leave(now), now);
      return promise;
    },
    [self](left_atom) {
      for (auto& promise : std::exchange(self->state.leave_waiters, {}))
        promise.deliver(caf::ok_atom::value);
    },
    [self](set_tag_atom, std::string& key, std::string& value,
           bool erase) -> caf::result<caf::ok_atom> {
      auto& st = self->state;
      auto now = membership_clock::now();
      auto tags = st.core->self().tags;
      if (erase)
        tags.erase(key);
      else
        tags[key] = value;
      if (auto err = st.core->set_tags(std::move(tags), now))
        return err;
      arm_timer(self, now);
      return caf::ok_atom::value;
    },
    [self](members_atom) {
      auto result = self->state.core->members();
      result.push_back(self->state.core->self());
      std::sort(result.begin(), result.end(),
                [](const member& a, const member& b) { return a.id < b.id; });
      return result;
    },
    [self](local_atom) { return self->state.core->self(); },
    [self](phi_atom, node_id id) {
      return self->state.core->phi(id, membership_clock::now());
    },
    [self](phi_atom) {
      auto now = membership_clock::now();
      std::vector<member_phi> result;
      for (const auto& m : self->state.core->members())
        if (m.state == member_state::alive || m.state == member_state::suspect)
          result.push_back({m.id, self->state.core->phi(m.id, now)});
      return result;
    },
    [self](history_atom, node_id id) { return self->state.core->heartbeat_history(id); },
    [self](stats_atom) {
      auto result = self->state.stats;
      result.dropped_backlog = self->state.in->dropped.load(std::memory_order_relaxed);
      result.protocol = self->state.core->counters();
      return result;
    },
    [self](key_atom, key_operation op, std::vector<uint8_t>& key) -> caf::result<caf::ok_atom> {
      auto& keys = self->state.keys;
      caf::error err;
      if (!keys) {
        if (op == key_operation::remove)
          return make_error(error::config, "no cluster key is installed");
        // The first key turns encryption on, and seals at once.
        auto ring = aead_keyring::make(std::move(key));
        if (!ring)
          return std::move(ring.error());
        keys = std::move(*ring);
        return caf::ok_atom::value;
      }
      switch (op) {
        case key_operation::install:
          err = keys->add_key(std::move(key));
          break;
        case key_operation::use:
          err = keys->use_key(std::move(key));
          break;
        case key_operation::remove:
          err = keys->remove_key(key);
          break;
      }
      if (err)
        return err;
      return caf::ok_atom::value;
    },
    [self](subscribe_atom, caf::actor& sub) {
      self->monitor(sub);
      self->state.subscribers.push_back(std::move(sub));
    },
    [self](unsubscribe_atom, caf::actor& sub) {
      self->demonitor(sub);
      remove_subscriber(self->state, sub.address());
    },
    [self](gossip_atom, std::string& from, byte_buffer& bytes) {
      auto& st = self->state;
      st.in->pending.fetch_sub(1, std::memory_order_relaxed);
      auto dg = accept(st, bytes);
      if (!dg)
        return;
      auto now = membership_clock::now();
      run(self, st.core->handle(*dg, from, now), now);
    },
    [self](tick_atom) {
      // Ticks armed for deadlines since moved arrive too; the core does
      // only what is due, so running them costs little and a tick that
      // fires a little early can never stall the timers.
      auto& st = self->state;
      auto now = membership_clock::now();
      st.tick_at = time_point::max();
      swim_output out;
      try {
        out = st.core->tick(now);
      } catch (...) {
        // No tick would come again: the timers are tried a gossip interval
        // from now (not at once, which a core that throws on every tick
        // would turn into a spin), and the boundary logs and counts.
        st.tick_at = now + st.cfg.swim.gossip_interval;
        self->delayed_send(self, st.cfg.swim.gossip_interval, tick_atom::value);
        throw;
      }
      run(self, std::move(out), now);
    });
}

/// Gossip without a key beyond this machine can be forged by anyone who
/// reaches the port; say so where the operator will look.
void warn_if_unsealed(const cluster_config& cfg, const socket_address& bound,
                      const std::string& advertised) {
  if (!cfg.cluster_keys.empty())
    return;
  auto public_address = !bound.is_loopback();
  if (auto parsed = socket_address::parse(advertised); parsed && !parsed->is_loopback())
    public_address = true;
  if (public_address)
    log_line(log_level::warn,
             "membership on " + bound.to_string() + " (advertised as " + advertised
               + ") gossips without a cluster key: anyone who can send it a datagram can "
                 "forge membership gossip; set one with cluster_config::with_cluster_key");
}

/// The key ring of `keys`, none when empty.
caf::expected<std::optional<aead_keyring>> key_ring(const std::vector<std::vector<uint8_t>>& keys) {
  if (keys.empty())
    return std::optional<aead_keyring>{};
  auto ring = aead_keyring::make(keys.front());
  if (!ring)
    return std::move(ring.error());
  for (size_t i = 1; i < keys.size(); ++i)
    if (auto err = ring->add_key(keys[i]))
      return err;
  return std::optional<aead_keyring>{std::move(*ring)};
}

/// This node's SWIM core: a random id, the advertised address, the tags.
caf::expected<std::unique_ptr<swim_core>> make_core(const cluster_config& cfg,
                                                    std::string advertised) {
  std::random_device entropy;
  std::mt19937_64 rng{(static_cast<uint64_t>(entropy()) << 32) | entropy()};
  member local{node_id::random(rng), std::move(advertised), 0, member_state::alive, cfg.tags};
  auto core = swim_core::make(cfg.swim, std::move(local), rng(), membership_clock::now());
  if (!core)
    return std::move(core.error());
  return std::make_unique<swim_core>(std::move(*core));
}

} // namespace

caf::expected<membership_actor> spawn_membership(caf::actor_system& sys, cluster_config cfg,
                                                 std::shared_ptr<endpoint> shared) {
  return spawn_membership(sys, std::move(cfg), std::move(shared), wire_steps{});
}

caf::expected<membership_actor> spawn_membership(caf::actor_system& sys, cluster_config cfg,
                                                 std::shared_ptr<endpoint> shared,
                                                 wire_steps wire) {
  if (auto err = cfg.validate())
    return err;
  auto keys = key_ring(cfg.cluster_keys);
  if (!keys)
    return std::move(keys.error());
  // A name is resolved here, on the caller's thread, and once: a node
  // gossips the numeric address, so that no member ever resolves another's
  // name. A literal goes to the SWIM core as written, which refuses any
  // spelling but the one gossip carries.
  auto advertised = cfg.advertise_address;
  if (auto parsed = parse_host_port(advertised); parsed && parsed->is_name()) {
    auto addr = resolve_address(*parsed);
    if (!addr)
      return make_error(error::config, "advertise_address: " + message_of(addr.error()));
    advertised = addr->to_string();
  }
  bool owns = false;
  if (!shared) {
    transport_config tcfg;
    tcfg.bind_address = cfg.bind_address;
    auto ep = endpoint::start(sys, std::move(tcfg));
    if (!ep)
      return std::move(ep.error());
    shared = std::move(*ep);
    owns = true;
  }
  if (advertised.empty()) {
    const auto& local = shared->local_address();
    auto host = local.host();
    if (host == "0.0.0.0" || host == "::") {
      if (owns)
        shared->shutdown();
      return make_error(error::config, "bound to the wildcard address " + local.to_string()
                                         + ": set an advertise address other members can reach");
    }
    advertised = local.to_string();
  }
  auto core = make_core(cfg, advertised);
  if (!core) {
    if (owns)
      shared->shutdown();
    return std::move(core.error());
  }
  warn_if_unsealed(cfg, shared->local_address(), advertised);
  auto parts = std::make_shared<membership_parts>(
    membership_parts{std::move(cfg), std::move(shared), owns, std::move(*core), std::move(*keys),
                     std::move(wire)});
  return membership_actor{sys.spawn(membership_behavior, std::move(parts))};
}

} // namespace rpcnet
