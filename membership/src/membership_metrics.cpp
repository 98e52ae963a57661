// rpcnet_members, rpcnet_member_phi and rpcnet_gossip_* series (see
// membership_metrics.hpp).
#include "membership_metrics.hpp"

#include <array>
#include <chrono>

#include <caf/scoped_actor.hpp>

#include <rpcnet/transport/error.hpp>

namespace rpcnet {

namespace {

/// How long a scrape waits for the membership actor per question.
constexpr auto scrape_wait = std::chrono::seconds{1};

template <class Result, class... Ts>
caf::expected<Result> ask(caf::actor_system& sys, const membership_actor& actor, Ts... xs) {
  caf::scoped_actor self{sys};
  caf::expected<Result> result = make_error(error::timeout, "no answer");
  self->request(actor, caf::timespan{scrape_wait}, xs...)
    .receive([&](Result& value) { result = std::move(value); },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

void report_members(metrics_writer& out, const std::vector<member>& members) {
  constexpr std::array states{member_state::alive, member_state::suspect, member_state::dead,
                              member_state::left};
  for (auto state : states) {
    double count = 0;
    for (const auto& m : members)
      count += m.state == state ? 1 : 0;
    out.gauge("rpcnet_members", "Members this node knows (itself included), by state.", count,
              {{"state", to_string_view(state)}});
  }
}

void report_gossip(metrics_writer& out, const gossip_stats& s) {
  auto counter = [&](std::string_view name, std::string_view help, uint64_t value) {
    out.counter(name, help, static_cast<double>(value));
  };
  counter("rpcnet_gossip_datagrams_received_total", "Gossip datagrams received.",
          s.datagrams_received);
  counter("rpcnet_gossip_datagrams_sent_total", "Gossip datagrams sent.", s.datagrams_sent);
  counter("rpcnet_gossip_received_bytes_total", "Gossip bytes received.", s.bytes_received);
  counter("rpcnet_gossip_sent_bytes_total", "Gossip bytes sent.", s.bytes_sent);
  auto refused = [&](std::string_view reason, uint64_t value) {
    out.counter("rpcnet_gossip_datagrams_refused_total",
                "Gossip datagrams refused, by reason (unauthenticated: no cluster key opens it).",
                static_cast<double>(value), {{"reason", reason}});
  };
  refused("malformed", s.rejected_malformed);
  refused("unauthenticated", s.rejected_unauthenticated);
  refused("forged", s.rejected_forged);
  refused("backlog", s.dropped_backlog);
  const auto& p = s.protocol;
  counter("rpcnet_gossip_suspicions_total", "Times a live member became suspect here.",
          p.suspicions);
  counter("rpcnet_gossip_refutations_total",
          "Times this node refuted a suspicion or death claimed of itself.", p.refutations);
  counter("rpcnet_gossip_probe_round_trips_total", "Probes acknowledged.", p.probes_acked);
  out.counter("rpcnet_gossip_probe_round_trip_seconds_total",
              "Sum of acknowledged probes' round trips in seconds (mean: divide by "
              "rpcnet_gossip_probe_round_trips_total).",
              static_cast<double>(p.probe_round_trip_us) / 1e6);
  counter("rpcnet_gossip_claims_refused_total",
          "Gossip claims refused: hearsay, implausible incarnations, stray ping-reqs.",
          p.refused_hearsay + p.refused_implausible + p.refused_ping_req);
}

} // namespace

metrics_collector membership_metrics_collector(caf::actor_system& sys, membership_actor actor) {
  return [sys = &sys, actor = std::move(actor)](metrics_writer& out) {
    if (auto members = ask<std::vector<member>>(*sys, actor, members_atom::value))
      report_members(out, *members);
    if (auto phis = ask<std::vector<member_phi>>(*sys, actor, phi_atom::value))
      for (const auto& [id, phi] : *phis) {
        auto hex = id.to_string();
        out.gauge("rpcnet_member_phi", "Phi Accrual suspicion of each live member.", phi,
                  {{"member", hex}});
      }
    if (auto stats = ask<gossip_stats>(*sys, actor, stats_atom::value))
      report_gossip(out, *stats);
  };
}

} // namespace rpcnet
