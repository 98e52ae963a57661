// Membership as metrics: the collector a cluster_membership made with
// cluster_config::metrics registers. At each scrape it asks the membership
// actor (with a short timeout, so a stuck actor costs a scrape its
// membership series, not the scrape) for the members, their phi and the
// gossip counters. Per-member series (phi) cover the live members only, so
// they stay bounded by the cluster, not by everyone ever seen.
#pragma once

#include <caf/actor_system.hpp>

#include <rpcnet/membership/membership_actor.hpp>
#include <rpcnet/transport/metrics_registry.hpp>

namespace rpcnet {

metrics_collector membership_metrics_collector(caf::actor_system& sys, membership_actor actor);

} // namespace rpcnet
