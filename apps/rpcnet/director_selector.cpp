// The cluster client's selector that asks the directors (see
// director_selector.hpp).
#include "director_selector.hpp"

#include <map>
#include <optional>

#include <caf/stateful_actor.hpp>

#include <rpcnet/transport/actor_boundary.hpp>
#include <rpcnet/transport/error.hpp>

#include "assigned_calls.hpp"
#include "director/director.hpp"
#include "log.hpp"
#include "node_addresses.hpp"

namespace rpcnet::cli {

namespace {

using rpcnet_cli::CallsEnded;
using rpcnet_cli::DirectorClient;

/// How long the final release may take: the run is over, and a director
/// that does not answer soon is not waited for.
constexpr auto final_release_timeout = std::chrono::seconds{1};

struct selector_state {
  // -- member variables -------------------------------------------------------

  /// The directors, in the order they are tried.
  std::vector<socket_address> directors;
  /// How director connections are made.
  rpc_config cfg;
  /// The director in use; none after a failed call, until the next call.
  std::optional<DirectorClient> director;
  /// Which director of the list to try next.
  size_t next = 0;
  /// Which director of the list `counted` belongs to.
  size_t counted_by = 0;
  /// The calls the director in use counts for this client.
  assigned_calls counted;
  /// Every worker a director assigned, by node id.
  std::map<node_id, worker> known;
  /// Calls ended per worker, as the cluster client reported them.
  std::map<node_id, uint64_t> ended;

  static inline const char* name = "director_selector";
};

using self_ptr = director_selector_actor::stateful_pointer<selector_state>;

/// The director in use, connecting to the next one of the list when there
/// is none: a client keeps working while any director is alive.
DirectorClient* connection(self_ptr self) {
  auto& st = self->state;
  for (size_t tried = 0; !st.director && tried < st.directors.size(); ++tried) {
    auto index = st.next % st.directors.size();
    auto addr = st.directors[index].to_string();
    auto client = DirectorClient::connect(self->system(), addr, st.cfg);
    if (!client) {
      log_warn("cannot reach director at " + addr + ": " + describe(client.error()));
      ++st.next;
      continue;
    }
    log_info("connected to director at " + addr);
    st.director.emplace(std::move(*client));
    // Another director counts none of the calls the last one assigned.
    if (index != st.counted_by) {
      st.counted.forget();
      st.counted_by = index;
    }
  }
  return st.director ? &*st.director : nullptr;
}

/// Closes the director in use after a failed call: the next call tries the
/// next director.
void drop_connection(selector_state& st) {
  if (st.director)
    st.director->close();
  st.director.reset();
  ++st.next;
}

/// Asks the directors for a worker, avoiding `sel.exclude`.
caf::result<worker> select(self_ptr self, const worker_selection& sel) {
  auto& st = self->state;
  if (!sel.filter.empty())
    return make_error(error::config, "the director chooses from its own pool: no filter ('"
                                       + sel.filter + "') is passed on");
  rpcnet_cli::WorkerRequest request;
  for (const auto& id : sel.exclude)
    request.excluded.push_back(id.to_string());
  for (size_t asked = 0; asked < st.directors.size(); ++asked) {
    auto* director = connection(self);
    if (!director)
      break;
    auto reply = director->get_worker(request);
    if (!reply) {
      log_warn("director call failed: " + describe(reply.error()));
      drop_connection(st);
      continue;
    }
    if (!*reply)
      return make_error(error::no_workers, "the director has no worker available");
    const auto& assigned = **reply;
    auto id = node_id::parse(assigned.id);
    if (!id)
      return make_error(error::protocol,
                        "the director assigned a worker without a node id: '" + assigned.id + "'");
    st.counted.assigned(assigned.id);
    worker chosen;
    chosen.id = *id;
    chosen.address = assigned.address;
    chosen.tags = {{"role", "worker"}, {"label", assigned.label}};
    st.known[*id] = chosen;
    // One line per call: below the default level.
    log(log_level::debug, "director assigned worker " + assigned.label + " at " + assigned.address);
    return chosen;
  }
  return make_error(error::no_workers,
                    "no director of " + describe_addresses(st.directors) + " answered");
}

/// Tells the director in use, without waiting, of the calls it counted
/// among `calls` ended per worker. While no director is connected nothing
/// is taken: the calls stay counted until the end of the run.
void release(selector_state& st, const std::map<node_id, uint32_t>& calls) {
  for (const auto& [id, n] : calls)
    st.ended[id] += n;
  if (!st.director)
    return;
  CallsEnded report;
  for (const auto& [id, n] : calls) {
    auto hex = id.to_string();
    if (auto released = st.counted.ended(hex, n); released > 0)
      report.workers.push_back({hex, released});
  }
  if (!report.workers.empty())
    static_cast<void>(st.director->release_calls_async(report));
}

caf::error director_decides(std::string_view what) {
  return make_error(error::config, std::string{what} + " is the director's (rpcnet director)");
}

director_selector_actor::behavior_type
selector_behavior(self_ptr self, std::vector<socket_address> directors, rpc_config cfg) {
  self->state.directors = std::move(directors);
  self->state.cfg = std::move(cfg);
  actor_boundary boundary{"director_selector", self->state.cfg.metrics};
  return boundary.behavior<director_selector_actor::behavior_type>(
    self,
    [self](select_atom, const worker_selection& sel) { return select(self, sel); },
    [self](workers_atom) {
      std::vector<worker> out;
      for (const auto& [id, w] : self->state.known)
        out.push_back(w);
      return out;
    },
    [self](workers_atom, const std::string& filter) -> caf::result<std::vector<worker>> {
      if (!filter.empty())
        return director_decides("filtering the pool");
      std::vector<worker> out;
      for (const auto& [id, w] : self->state.known)
        out.push_back(w);
      return out;
    },
    [](nodes_atom) { return std::vector<member>{}; },
    [](nodes_atom, const std::string&, const std::string&) { return std::vector<member>{}; },
    [](strategy_atom) -> caf::result<load_balancing_strategy> {
      return director_decides("the strategy");
    },
    [](strategy_atom, load_balancing_strategy) -> caf::result<caf::ok_atom> {
      return director_decides("the strategy");
    },
    [](router_atom, const caf::actor&, caf::timespan) -> caf::result<caf::ok_atom> {
      return director_decides("routing");
    },
    // The director counted the call when it assigned the worker.
    [](call_begin_atom, const node_id&) {},
    [self](call_end_atom, const node_id& id) { release(self->state, {{id, 1}}); },
    [self](in_flight_atom, const node_id& id) {
      return self->state.counted.counted(id.to_string());
    },
    [self](load_atom, const node_id& id) {
      auto& st = self->state;
      auto it = st.ended.find(id);
      return worker_load{st.counted.counted(id.to_string()), it == st.ended.end() ? 0 : it->second};
    },
    [self](in_flight_atom, const std::vector<in_flight_delta>& deltas) {
      std::map<node_id, uint32_t> calls;
      for (const auto& d : deltas)
        if (d.ended > 0)
          calls[d.worker] += d.ended;
      if (!calls.empty())
        release(self->state, calls);
    },
    [](config_atom) { return worker_registry_config{}.with_pool_filter(""); },
    // The replica selects nothing itself: every selection comes here.
    [](subscribe_atom, const caf::actor& replica) {
      caf::anon_send(replica, router_atom::value, true);
      return caf::ok_atom::value;
    },
    [self](release_atom) -> uint32_t {
      auto& st = self->state;
      auto counted = st.counted.take_all();
      if (!st.director || counted.empty())
        return 0;
      CallsEnded report;
      uint32_t total = 0;
      for (const auto& [id, n] : counted) {
        report.workers.push_back({id, n});
        total += n;
      }
      auto reply = st.director->release_calls(
        report, call_options{}.with_timeout(final_release_timeout));
      if (!reply || !*reply) {
        log_warn("could not release " + std::to_string(total) + " calls at the director"
                 + (reply ? std::string{} : ": " + describe(reply.error())));
        return 0;
      }
      return (*reply)->calls;
    });
}

} // namespace

director_selector_actor spawn_director_selector(caf::actor_system& sys,
                                                std::vector<socket_address> directors,
                                                rpc_config cfg) {
  return sys.spawn<caf::detached>(selector_behavior, std::move(directors), std::move(cfg));
}

} // namespace rpcnet::cli
