// The SWIM membership protocol with Lifeguard, as a state machine without
// I/O: it takes a received datagram or a timer tick together with the
// current time and returns the datagrams to send and the membership events
// to publish. The membership actor runs it on real time and UDP; the
// simulator runs thousands of them on virtual time. What it does:
//
//  * each gossip interval, probe the next member of a shuffled round-robin
//    with a ping; if no ack came within the probe timeout, ask k others to
//    ping it (ping-req); if nobody reached it by the end of the interval,
//    suspect it;
//  * while updates are pending, gossip them to `gossip_fanout` random
//    members every broadcast interval; every other datagram carries them
//    piggyback too, each update a bounded number of times;
//  * every push-pull period, exchange full state with a random member, and
//    with a random dead one (so a healed partition finds its way back).
//
// A suspected member that hears of it refutes with a higher incarnation; a
// suspicion that nobody refutes in time becomes a death. Acks feed a Phi
// Accrual detector per member; phi above the threshold raises suspicion too.
//
// Gossip is believed only as far as its sender has proved itself (docs/
// membership.md, "Hostile gossip"): a member learned from gossip is a
// candidate until a ping to its address is acked from there; claims about
// other members count only from verified members (or a seed this node
// asked); replies larger than a ping wait until the requester is verified;
// ping-reqs are relayed only between members; incarnations move by bounded
// steps, so a member can always refute what is said about it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "awareness.hpp"
#include "broadcast_queue.hpp"
#include "gossip_messages.hpp"
#include <rpcnet/membership/gossip_stats.hpp>
#include "member_candidates.hpp"
#include "member_list.hpp"
#include <rpcnet/membership/membership_event.hpp>
#include "partition_detector.hpp"
#include <rpcnet/membership/swim_config.hpp>

namespace rpcnet {

/// A datagram for the caller to send.
struct outgoing_datagram {
  /// The member's address, "host:port".
  std::string destination;
  gossip::datagram datagram;
};

/// What one call into the core produced.
struct swim_output {
  std::vector<outgoing_datagram> datagrams;
  std::vector<membership_event> events;
};

class swim_core {
public:
  // -- constructors -----------------------------------------------------------

  /// A node that knows nobody yet. `self` gives its id, address and tags
  /// (state and incarnation are ignored: a node starts alive at 0). `seed`
  /// drives every random choice, so equal seeds replay equal runs. Fails
  /// with error::config for an invalid configuration, id, address or tags:
  /// the core never runs on settings it would have to refuse later.
  static caf::expected<swim_core> make(swim_config cfg, member self, uint64_t seed,
                                       time_point now);

  // -- input ------------------------------------------------------------------

  /// Announces this node and asks each seed address for its full state.
  /// Callers retry while has_members() is false.
  swim_output join(std::span<const std::string> seeds, time_point now);

  /// Processes a datagram received from `from` (its source address).
  swim_output handle(const gossip::datagram& dg, const std::string& from, time_point now);

  /// Runs the timers that are due: call at next_deadline() or later.
  swim_output tick(time_point now);

  /// Leaves gracefully: announces the departure to `gossip_fanout` random
  /// members at once and keeps gossiping it on later ticks. Probing stops;
  /// pings are still answered so the news can spread.
  swim_output leave(time_point now);

  /// Changes this node's tags; the change is gossiped with a new
  /// incarnation. Fails with error::config if the tags break the wire's
  /// limits (gossip::valid_tags).
  caf::error set_tags(tag_map tags, time_point now);

  /// Takes `members` as known, without events or gossip: for a node that
  /// restores a saved view, and for simulations that start from a converged
  /// cluster. Known members and this node itself are skipped.
  void adopt(std::span<const member> members, time_point now);

  // -- timers -----------------------------------------------------------------

  /// The earliest time tick() has work to do.
  time_point next_deadline() const;

  // -- queries ----------------------------------------------------------------

  /// This node as it gossips itself (its current incarnation and tags).
  const member& self() const noexcept {
    return self_;
  }

  /// The member with `id` as this node sees it, or nullptr.
  const member* find(const node_id& id) const;

  /// Every member this node knows, tombstones included, in id order.
  std::vector<member> members() const;

  /// Members alive or suspect, this node excluded.
  size_t live_members() const noexcept {
    return members_.live_count();
  }

  /// True once this node knows any other live member.
  bool has_members() const noexcept {
    return members_.live_count() > 0;
  }

  /// Phi of member `id` at `now` (0 if no acks were timed).
  double phi(const node_id& id, time_point now) const;

  /// Ack intervals of member `id`, oldest first.
  std::vector<duration> heartbeat_history(const node_id& id) const;

  /// Lifeguard's local health score (0 = healthy).
  int awareness_score() const noexcept {
    return awareness_.score();
  }

  /// True after leave().
  bool leaving() const noexcept {
    return leaving_;
  }

  /// Claimed members waiting for their address to answer.
  size_t candidates() const noexcept {
    return candidates_.size();
  }

  /// What this core refused or held back of the gossip it was given.
  const swim_counters& counters() const noexcept {
    return counters_;
  }

  const swim_config& config() const noexcept {
    return cfg_;
  }

private:
  // -- constructors -----------------------------------------------------------

  /// Takes what make() checked.
  swim_core(swim_config cfg, member self, uint64_t seed, time_point now);

  // -- member types -----------------------------------------------------------

  /// How far a datagram's claims about other members are believed.
  enum class trust {
    /// From a member this node holds (tombstones too), at its address.
    member,
    /// From an address this node asked for state (a join seed).
    seed,
    /// From anyone else: only what it says about itself counts.
    stranger,
  };

  /// The probe of this interval.
  struct probe {
    node_id target;
    std::string address;
    /// Members asked to relay (ping-req): their acks and nacks count too.
    std::vector<std::string> relays;
    uint32_t seq = 0;
    time_point sent_at;
    /// When indirect probes start if no ack came.
    time_point indirect_at;
    bool indirect_sent = false;
    bool acked = false;
    /// Relays asked, and how many said they could not reach the target.
    unsigned expected_nacks = 0;
    unsigned nacks = 0;
  };

  /// A ping this node sends on another member's behalf (ping-req).
  struct relay {
    uint32_t seq;          ///< of our ping to the target
    std::string target;    ///< the target's address, where the ack must come from
    std::string requester; ///< address to relay the ack (or nack) to
    uint32_t requester_seq;
    time_point nack_at;
  };

  /// A state request from an address not yet verified, answered once a
  /// member there is.
  struct deferred_reply {
    std::string address;
    node_id first;
    node_id last;
    time_point expires;
  };

  // -- receiving --------------------------------------------------------------

  trust classify(const node_id& sender, const std::string& from, time_point now) const;
  /// True if a claim about `subject` from `sender` at `level` counts.
  bool believes(const node_id& subject, const node_id& sender, trust level) const;
  void on_message(const gossip::message& msg, const node_id& sender,
                  const std::string& from, trust level, time_point now);
  void on_ping(const gossip::ping& m, const std::string& from, trust level);
  void on_ping_req(const gossip::ping_req& m, const std::string& from, time_point now);
  void on_ack(const gossip::ack& m, const std::string& from, time_point now);
  void on_nack(const gossip::nack& m, const std::string& from);
  void on_push_pull(const gossip::push_pull& m, const node_id& sender,
                    const std::string& from, trust level, time_point now);

  // -- verification -----------------------------------------------------------

  /// Makes `m`, heard from `source`, a candidate and pings it.
  void introduce(const gossip::alive& m, const std::string& source, time_point now);
  /// Takes in a member whose address answered for it.
  void take_in(const gossip::alive& m, time_point now);
  /// Holds a state request from `from` until a member there is verified.
  void defer_reply(const std::string& from, node_id first, node_id last, time_point now);
  void answer_deferred(const std::string& address);
  void ping_candidates(time_point now);
  /// True if `heard` raises `known` by more than max_incarnation_jump.
  bool implausible(uint64_t heard, uint64_t known) const noexcept;
  /// A fresh, unpredictable sequence number (never 0).
  uint32_t next_seq();

  // -- membership updates (SWIM's rules) ---------------------------------------

  /// A claim that `m.id` is alive, heard from `source`.
  void apply(const gossip::alive& m, const std::string& source, time_point now);
  /// Updates a held member from a verified claim.
  void update(member_record& rec, const gossip::alive& m, time_point now);
  void apply(const gossip::suspect& m, time_point now);
  void apply(const gossip::dead& m, time_point now);
  void apply(const gossip::leave& m, time_point now);
  /// True if `id` is this node; refutes an accusation at `incarnation` or
  /// above unless we are leaving (an implausible one is refused instead).
  bool about_self(const node_id& id, uint64_t incarnation, time_point now);
  /// The live member an accusation (suspect, dead) at `incarnation` applies
  /// to, or nullptr: ourselves (refuted instead), unknown, already buried,
  /// a stale incarnation or an implausible one.
  member_record* accused(const node_id& id, uint64_t incarnation, time_point now);
  /// Suspect `rec` on behalf of `from`, or count `from` as a confirmation.
  void suspect_member(member_record& rec, uint64_t incarnation, const node_id& from,
                      time_point now);
  /// Declares `rec` dead (or departed) at `incarnation`.
  void bury(member_record& rec, uint64_t incarnation, member_state state,
            const node_id& from, time_point now);
  /// Bumps our incarnation past `heard` and gossips that we are alive.
  void refute(uint64_t heard, time_point now);

  // -- timers -----------------------------------------------------------------

  void start_probe(time_point now);
  void send_indirect_probes();
  void finish_probe(time_point now);
  void gossip_round();
  void push_pull_round();
  void expire_relays(time_point now);
  void expire_suspicions(time_point now);
  void check_phi(time_point now);
  void heartbeat(member_record& rec, time_point now);
  /// A random duration in [0, d), for timer phases.
  duration random_share(duration d);
  /// The next due time of a periodic timer that ran at `now`.
  static time_point advance(time_point due, duration period, time_point now);
  void schedule_phi_check(member_record& rec);
  void clear_suspicion(member_record& rec);

  // -- sending ----------------------------------------------------------------

  /// Sends `messages` to `destination` with as many pending updates as fit
  /// behind them (nothing if both are empty). Without `piggyback` the
  /// datagram carries `messages` alone: what goes to an address nobody
  /// verified must be no larger than what came from it.
  void send(const std::string& destination, std::vector<gossip::message> messages,
            bool piggyback = true);
  /// Queues an update about `subject` for piggybacking and gossip.
  void broadcast(const node_id& subject, gossip::message msg);
  /// Sends our members (and ourselves) in [first, last] to `destination`,
  /// only those `except` lacks or holds older when it is given.
  void send_state(const std::string& destination, node_id first, node_id last,
                  bool reply_requested, const gossip::push_pull* except = nullptr);
  /// Our members and ourselves in [first, last], in id order.
  std::vector<member> state_in(node_id first, node_id last) const;
  void emit(membership_event::kind what, const member_record& rec, time_point now);
  unsigned retransmit_limit() const;
  unsigned push_pull_period() const;

  // -- member variables -------------------------------------------------------

  swim_config cfg_;
  member self_;
  member_list::rng_type rng_;
  /// Draws sequence numbers only, so that their unpredictability does not
  /// change the protocol's other random choices.
  member_list::rng_type seq_rng_;
  member_list members_;
  broadcast_queue broadcasts_;
  awareness awareness_;
  partition_detector partitions_;

  /// The probe of the current interval, if a member was there to probe.
  std::optional<probe> probe_;
  time_point next_probe_at_;
  time_point next_push_pull_at_;
  /// The earliest time of the next broadcast round (when updates wait).
  time_point next_broadcast_at_;

  member_candidates candidates_;
  std::vector<deferred_reply> deferred_replies_;
  /// Seeds asked for state by join(), until when their answers count as
  /// a member's.
  std::vector<std::pair<std::string, time_point>> seeds_asked_;
  swim_counters counters_;
  /// Bytes of verification pings the datagram being handled may still
  /// cause (a stranger's own size; unbounded for members and seeds).
  size_t stranger_budget_ = SIZE_MAX;

  std::vector<relay> relays_;
  /// Suspicion deadlines and phi checks, earliest first.
  std::set<std::pair<time_point, node_id>> suspicion_deadlines_;
  std::set<std::pair<time_point, node_id>> phi_checks_;

  bool leaving_ = false;

  /// What the current call produced.
  swim_output out_;
};

} // namespace rpcnet
