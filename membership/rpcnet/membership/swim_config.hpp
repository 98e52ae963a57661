// The settings of SWIM gossip, mirroring ClusterConfig and HealthCheckConfig
// of the Rust RpcNet library whose design rpcnet takes, with
// the defaults of docs/architecture.md, plus the switches
// and constants of the three Lifeguard refinements (after memberlist's
// DefaultLANConfig). Every default says why it is what it is. Written as
// every rpcnet configuration is (configuration.hpp): named fields, builders
// that return a changed copy, and validate() naming every bad field.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include <caf/error.hpp>

#include <rpcnet/membership/membership_time.hpp>

namespace rpcnet {

/// The Phi Accrual part (the Rust RpcNet's HealthCheckConfig).
struct health_check_config {
  /// Phi above this raises suspicion: a 1e-8 chance that the peer is merely
  /// late, given the ack intervals seen so far.
  double phi_threshold = 8.0;
  /// Ack intervals per peer the estimate uses.
  size_t history_size = 100;
  /// Floor of the standard deviation: regular acks must not make a few
  /// milliseconds of lateness look like death.
  duration min_std_deviation = std::chrono::milliseconds{50};
  /// Extra silence tolerated beyond the mean interval. One gossip interval:
  /// acks of a peer come when the round-robin reaches it, whose place in the
  /// shuffled order moves from round to round.
  duration acceptable_pause = std::chrono::seconds{1};
  /// Intervals a peer's detector needs before its phi may raise suspicion;
  /// an estimate from fewer is noise.
  size_t min_samples = 10;

  [[nodiscard]] health_check_config with_phi_threshold(double threshold) const;
  [[nodiscard]] health_check_config with_history_size(size_t intervals) const;
  [[nodiscard]] health_check_config with_min_std_deviation(duration deviation) const;
  [[nodiscard]] health_check_config with_acceptable_pause(duration pause) const;
  [[nodiscard]] health_check_config with_min_samples(size_t intervals) const;

  /// No error, or one error::config naming every bad field.
  caf::error validate() const;
};

/// Lifeguard (Dadgar et al., 2018): three refinements that keep a slow or
/// overloaded node from declaring healthy ones dead. Each can be switched
/// off so the simulator can show what it buys.
struct lifeguard_config {
  /// Local Health Awareness: a node that misses acks and nacks it should
  /// have received doubts itself first, stretching its probe interval and
  /// timeout by (score + 1).
  bool local_health_awareness = true;
  /// Local Health Aware Suspicion: a suspicion starts at its longest
  /// (swim_config::longest_suspicion) and shrinks toward the longest divided
  /// by suspicion_min_divisor as independent members confirm it.
  bool dynamic_suspicion = true;
  /// Buddy system: whoever suspects a member tells it directly, so it can
  /// refute before the rumour has spread.
  bool buddy_system = true;
  /// Awareness scores run from 0 to max_awareness - 1 (memberlist: 8).
  unsigned max_awareness = 8;
  /// A fully confirmed suspicion lasts suspicion_timeout divided by this.
  /// Three keeps the shortest suspicion (1.7 s by default) several
  /// broadcast rounds long, time for a refutation to cross a lossy network;
  /// memberlist's ratio of longest to shortest is 6.
  unsigned suspicion_min_divisor = 3;
  /// Independent confirmations that shrink a suspicion to its minimum
  /// (memberlist: suspicion multiplier 4 - 2).
  unsigned suspicion_confirmations = 2;

  /// Everything off: plain SWIM.
  static lifeguard_config disabled() {
    lifeguard_config cfg;
    cfg.local_health_awareness = false;
    cfg.dynamic_suspicion = false;
    cfg.buddy_system = false;
    return cfg;
  }

  [[nodiscard]] lifeguard_config with_local_health_awareness(bool on) const;
  [[nodiscard]] lifeguard_config with_dynamic_suspicion(bool on) const;
  [[nodiscard]] lifeguard_config with_buddy_system(bool on) const;
  [[nodiscard]] lifeguard_config with_max_awareness(unsigned scores) const;
  [[nodiscard]] lifeguard_config with_suspicion_min_divisor(unsigned divisor) const;
  [[nodiscard]] lifeguard_config with_suspicion_confirmations(unsigned confirmations) const;

  /// No error, or one error::config naming every bad field.
  caf::error validate() const;
};

/// Bounds on what other nodes' gossip can make this node hold or send.
/// Without a cluster key gossip comes from anyone who can send a datagram,
/// so these stand between a forger and the member list (docs/membership.md,
/// "Hostile gossip").
struct gossip_limits {
  /// Members held, tombstones included: about 1 KiB each with a full phi
  /// history, so 16 MiB at most. Claims beyond it are refused and counted.
  size_t max_members = 16384;
  /// Claimed members waiting for their address to answer a ping. A joining
  /// node learns a whole cluster from its seed at once, so this is well
  /// above any cluster we expect on one seed's answer.
  size_t max_candidates = 4096;
  /// Candidates one source address may introduce per gossip interval. A
  /// stranger introduces only itself; a member or a seed can name many, and
  /// what is cut off here arrives with later push-pulls.
  size_t max_introductions_per_source = 1024;
  /// Pings a candidate gets, one probe timeout apart, before it is forgotten.
  unsigned verification_pings = 3;
  /// A claim that raises a known member's incarnation, or this node's, by
  /// more than this is refused as implausible. A member bumps its own
  /// incarnation once per refutation or tag change, so honest jumps are
  /// small; a forged claim near the top of the range would leave the member
  /// unable to refute it.
  uint64_t max_incarnation_jump = 65536;
  /// State requests from addresses not yet verified, held until the
  /// requester answers a ping (a reply before that could be aimed at a
  /// victim's address). Requesters beyond it retry, as joins do.
  size_t max_deferred_replies = 64;

  [[nodiscard]] gossip_limits with_max_members(size_t members) const;
  [[nodiscard]] gossip_limits with_max_candidates(size_t candidates) const;
  [[nodiscard]] gossip_limits with_max_introductions_per_source(size_t candidates) const;
  [[nodiscard]] gossip_limits with_verification_pings(unsigned pings) const;
  [[nodiscard]] gossip_limits with_max_incarnation_jump(uint64_t jump) const;
  [[nodiscard]] gossip_limits with_max_deferred_replies(size_t requests) const;

  /// No error, or one error::config naming every bad field.
  caf::error validate() const;
};

/// The SWIM protocol (the Rust RpcNet's ClusterConfig, without the bind address
/// and key, which belong to the membership actor).
struct swim_config {
  // -- settings ---------------------------------------------------------------

  /// One member is probed and updates are gossiped once per interval.
  duration gossip_interval = std::chrono::seconds{1};
  /// How long a direct ping waits for its ack before indirect probes start;
  /// the indirect probes then have the rest of the interval.
  duration probe_timeout = std::chrono::milliseconds{500};
  /// Members asked to ping a silent member on our behalf (ping-req).
  unsigned indirect_probes = 3;
  /// How long a suspected member has to refute before it is declared dead,
  /// in a cluster of up to 10 members: the Rust RpcNet's 5 s, so a crash is
  /// known within about 6 s. Larger clusters multiply it by log10(n), as
  /// memberlist does, because news takes O(log n) rounds to reach a
  /// suspect. With dynamic suspicion this is how long an unconfirmed
  /// suspicion lasts; confirmations by other members shorten it.
  duration suspicion_timeout = std::chrono::seconds{5};
  /// Random members pending updates are gossiped to in each broadcast round.
  unsigned gossip_fanout = 3;
  /// While updates are pending, a broadcast round runs this often
  /// (memberlist's GossipInterval; Serf's LAN default). An update then
  /// crosses a hop in at most this long rather than a whole gossip
  /// interval, so a refutation outruns the suspicion timeouts it must beat.
  /// A quiet cluster sends nothing for it, and news after a quiet spell
  /// goes out at once.
  duration broadcast_interval = std::chrono::milliseconds{200};
  /// Every this many intervals, a full state exchange (push-pull) with a
  /// random member repairs what gossip lost.
  unsigned push_pull_cycles = 10;
  /// Above 32 members, stretch the push-pull period by
  /// ceil(log2(n / 32)) + 1 (memberlist's pushPullScale): a full state
  /// grows with n, and this keeps the bytes per member nearly flat.
  bool scale_push_pull = true;
  /// Each update is gossiped retransmit_multiplier * ceil(log10(n + 1))
  /// times (memberlist: 4), enough to reach every member with high
  /// probability while keeping the per-update cost O(log n).
  unsigned retransmit_multiplier = 4;
  /// How long a dead or departed member is remembered, so that old gossip
  /// cannot bring it back and a healed partition can be rejoined.
  duration tombstone_timeout = std::chrono::hours{1};
  /// Failures counted together when telling a partition from crashes
  /// (partition_detector.hpp); zero means six suspicion timeouts, time for
  /// a large cluster to probe and bury every member across a cut.
  duration partition_window = duration::zero();
  /// Fewer failures than this within the window are never a partition.
  size_t partition_min_members = 2;
  health_check_config health;
  lifeguard_config lifeguard;
  gossip_limits limits;

  // -- builders ---------------------------------------------------------------

  [[nodiscard]] swim_config with_gossip_interval(duration interval) const;
  [[nodiscard]] swim_config with_probe_timeout(duration timeout) const;
  [[nodiscard]] swim_config with_indirect_probes(unsigned count) const;
  [[nodiscard]] swim_config with_suspicion_timeout(duration timeout) const;
  [[nodiscard]] swim_config with_gossip_fanout(unsigned fanout) const;
  [[nodiscard]] swim_config with_broadcast_interval(duration interval) const;
  [[nodiscard]] swim_config with_push_pull_cycles(unsigned cycles) const;
  [[nodiscard]] swim_config with_scale_push_pull(bool on) const;
  [[nodiscard]] swim_config with_retransmit_multiplier(unsigned multiplier) const;
  [[nodiscard]] swim_config with_tombstone_timeout(duration timeout) const;
  [[nodiscard]] swim_config with_partition_window(duration window) const;
  [[nodiscard]] swim_config with_partition_min_members(size_t members) const;
  [[nodiscard]] swim_config with_health(health_check_config health) const;
  [[nodiscard]] swim_config with_lifeguard(lifeguard_config lifeguard) const;
  [[nodiscard]] swim_config with_limits(gossip_limits limits) const;

  // -- derived durations ------------------------------------------------------

  /// The longest a suspicion lasts in a cluster of `members` (this node
  /// included): suspicion_timeout * max(1, log10(members)).
  duration longest_suspicion(size_t members) const noexcept;

  /// The shortest a fully confirmed suspicion lasts in a cluster of
  /// `members`: the longest, divided by suspicion_min_divisor with dynamic
  /// suspicion.
  duration shortest_suspicion(size_t members) const noexcept;

  // -- validation -------------------------------------------------------------

  /// No error, or one error::config naming every bad field, its parts'
  /// included ("health.history_size must be at least 1").
  caf::error validate() const;
};

} // namespace rpcnet
