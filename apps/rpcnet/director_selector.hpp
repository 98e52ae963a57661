// The selector behind `rpcnet client`'s cluster client: an actor that
// speaks the worker registry's typed interface (worker_registry_actor.hpp),
// so that rpcnet::cluster_client chooses workers through it, and answers
// every selection by asking a director (Director.get_worker) -- the first
// of the list that answers, moving on to the next when one fails. The
// selection's exclusions (the call's earlier attempts) go to the director.
//
// Who counts calls in flight: the director, one call per worker it assigns.
// The cluster client reports the calls that ended on each worker in batches
// (every 50 ms); the selector passes them on as one Director.release_calls,
// fire and forget, for the calls the director in use counted
// (assigned_calls.hpp). The cluster client's own replica of the pool stays
// empty: the selector tells it that a router decides, so that every
// selection comes here.
#pragma once

#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/typed_actor.hpp>

#include <rpcnet/actors/rpc_config.hpp>
#include <rpcnet/cluster/worker_registry_actor.hpp>
#include <rpcnet/transport/socket_address.hpp>

namespace rpcnet::cli {

using release_atom = caf::atom_constant<caf::atom("release")>;

/// What the selector accepts: the registry's interface, where
/// - select asks a director, fails with no_workers when the director has
///   none or no director answers, and refuses a tag filter (config: the
///   director's pool is its own); affinity key and zone are not passed on;
/// - workers lists the workers the directors assigned so far (their
///   labels and addresses; the filtered form refuses a filter other than
///   ""), nodes lists none;
/// - in_flight and load answer what the director counts for this client;
/// - a batch of in-flight changes releases the calls it reports ended, and
///   call_end one call; call_begin changes nothing (the director counted
///   the call when it assigned the worker);
/// - the strategy and the router are the director's: setting either, or
///   asking for the strategy, is a config error;
/// - config answers a registry without pool filter; subscribe tells the
///   replica that a router decides;
/// and (release) tells the director of every call it still counts for this
/// client, at the end of a run, answering how many.
using director_selector_actor
  = worker_registry_actor::extend<caf::replies_to<release_atom>::with<uint32_t>>;

/// A selector asking `directors`, in that order, over connections made
/// with `cfg`. It runs on a thread of its own: its director calls block.
director_selector_actor spawn_director_selector(caf::actor_system& sys,
                                                std::vector<socket_address> directors,
                                                rpc_config cfg);

} // namespace rpcnet::cli
