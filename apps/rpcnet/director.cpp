// `rpcnet director`: forms the cluster, keeps a worker registry fed by
// membership, answers "which worker should I use" (Director.get_worker,
// counting each assignment as a call in flight until the client reports it
// ended with Director.release_calls), prints the pool periodically and logs
// cluster events; on SIGINT or SIGTERM leaves and drains.
#include <algorithm>
#include <thread>

#include <caf/scoped_actor.hpp>

#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/cluster/worker_registry_actor.hpp>
#include <rpcnet/transport/error.hpp>

#include "cli_node.hpp"
#include "commands.hpp"
#include "director/director.hpp"
#include "join_token.hpp"
#include "log.hpp"
#include "service_manager.hpp"

namespace rpcnet::cli {

namespace {

using rpcnet_cli::DirectorError;
using rpcnet_cli::WorkerAssignment;

/// How long the director waits for its registry.
constexpr auto registry_timeout = std::chrono::seconds{2};

/// At most this many exclusions are read from one request.
constexpr size_t max_excluded = 64;

/// At most this many workers, and calls per worker, are read from one
/// release: a client reports every 50 ms, so more is not a real client's.
constexpr size_t max_released_workers = 256;
constexpr uint32_t max_released_calls = 10'000;

std::string label_of(const tag_map& tags) {
  auto i = tags.find("label");
  return i == tags.end() ? "(no label)" : i->second;
}

/// Picks workers through the registry. A worker assigned to a client counts
/// as one call in flight there from the assignment until the client reports
/// that call ended (release_calls), which is what least connections
/// balances; nothing else tells the registry of a client's calls.
class director_service : public rpcnet_cli::DirectorHandler {
public:
  director_service(caf::actor_system& sys, worker_registry_actor registry)
    : sys_(sys), registry_(std::move(registry)) {
  }

  rpcnet::result<WorkerAssignment, DirectorError>
  get_worker(rpcnet::call_context&, rpcnet_cli::WorkerRequest request) override {
    caf::scoped_actor self{sys_};
    worker_selection selection;
    for (size_t i = 0; i < request.excluded.size() && i < max_excluded; ++i)
      if (auto id = node_id::parse(request.excluded[i]))
        selection.exclude.push_back(*id);
    rpcnet::result<WorkerAssignment, DirectorError> answer
      = DirectorError{DirectorError::NoWorkers{}};
    self->request(registry_, registry_timeout, select_atom::value, std::move(selection))
      .receive(
        [&](worker& chosen) {
          self->send(registry_, call_begin_atom::value, chosen.id);
          // One line per call: below the default level.
          log(log_level::debug,
              "assigned worker " + label_of(chosen.tags) + " at " + chosen.address);
          answer = WorkerAssignment{chosen.id.to_string(), chosen.address, label_of(chosen.tags)};
        },
        [&](caf::error& err) { log_warn("no worker to assign: " + describe(err)); });
    return answer;
  }

  rpcnet::result<rpcnet_cli::Released, DirectorError>
  release_calls(rpcnet::call_context&, rpcnet_cli::CallsEnded ended) override {
    // One message for the batch, as a cluster client's replica reports:
    // each ended call leaves the worker's in-flight count and adds to its
    // calls ended.
    std::vector<in_flight_delta> deltas;
    uint32_t released = 0;
    for (size_t i = 0; i < ended.workers.size() && i < max_released_workers; ++i) {
      const auto& entry = ended.workers[i];
      auto id = node_id::parse(entry.id);
      auto calls = std::min(entry.calls, max_released_calls);
      if (!id || calls == 0)
        continue;
      deltas.push_back({*id, -static_cast<int32_t>(calls), calls});
      released += calls;
    }
    if (!deltas.empty())
      caf::anon_send(registry_, in_flight_atom::value, std::move(deltas));
    return rpcnet_cli::Released{released};
  }

private:
  caf::actor_system& sys_;
  worker_registry_actor registry_;
};

void print_pool(caf::actor_system& sys, const worker_registry_actor& registry) {
  caf::scoped_actor self{sys};
  std::vector<worker> workers;
  self->request(registry, registry_timeout, workers_atom::value)
    .receive([&](std::vector<worker>& found) { workers = std::move(found); },
             [&](caf::error& err) { log_warn("worker pool unavailable: " + describe(err)); });
  // A suspect worker is chosen only when no alive one matches: it is not
  // counted as available.
  auto suspects = static_cast<size_t>(
    std::count_if(workers.begin(), workers.end(), [](const worker& w) { return w.suspect; }));
  auto suspect_note = suspects > 0 ? ", " + std::to_string(suspects) + " suspect" : "";
  log_info("worker pool status: " + std::to_string(workers.size() - suspects)
           + " workers available" + suspect_note);
  for (const auto& w : workers) {
    uint32_t connections = 0;
    self->request(registry, registry_timeout, in_flight_atom::value, w.id)
      .receive([&](uint32_t n) { connections = n; }, [](caf::error&) {});
    log_info("  - " + label_of(w.tags) + " at " + w.address + " ("
             + std::to_string(connections) + " connections)" + (w.suspect ? " suspect" : ""));
  }
}

void log_event(const membership_event& ev) {
  auto what = std::string{to_string_view(ev.what)};
  if (ev.what == membership_event::kind::partition_detected
      || ev.what == membership_event::kind::partition_healed) {
    log_warn("cluster event " + what + ": " + std::to_string(ev.unreachable.size())
             + " unreachable, " + std::to_string(ev.reachable.size()) + " reachable");
    return;
  }
  auto level = ev.what == membership_event::kind::failed ? log_level::warn : log_level::info;
  log(level, "cluster event " + what + ": " + label_of(ev.subject.tags) + " "
               + ev.subject.id.to_string() + " at " + ev.subject.address);
}

/// Joins the cluster through the other directors `seeds` until one
/// answers or shutdown.
void join_peers(cluster_node& node, const std::vector<socket_address>& seeds,
                const shutdown_signal& shutdown) {
  auto addresses = to_strings(seeds);
  auto names = describe_addresses(seeds);
  for (uint64_t attempt = 1; !shutdown.requested(); ++attempt) {
    auto err = node.join(addresses);
    if (!err) {
      log_info("joined the cluster through " + names);
      return;
    }
    log_warn("no director of " + names + " reachable (" + describe(err) + "), retry "
             + std::to_string(attempt));
    shutdown.wait_for(std::chrono::milliseconds{500});
  }
}

} // namespace

int run_director(const director_settings& settings, shutdown_signal& shutdown) {
  auto tls = tls_files::find(settings.node.tls);
  if (!tls)
    return fail(message_of(tls.error()));
  const auto& where = settings.node.where;
  log_info("starting director at " + where.bind.to_string());
  log_info("loading certificates from " + tls->describe());
  runtime rt;
  auto node = cli_node::open(rt.system(), *tls, cluster_config{}.with_tag("role", "director"),
                             settings.node);
  if (!node)
    return fail(message_of(node.error()));
  auto& cluster = (*node)->cluster();
  cluster.on_event(log_event);
  log_info("director registered itself in cluster as " + cluster.local_node_id().to_string());
  auto registry = spawn_worker_registry(rt.system(), cluster.actor(),
                                        {.pool_filter = "role=worker",
                                         .strategy = settings.strategy,
                                         .metrics = (*node)->node().metrics()});
  if (!registry)
    return fail(message_of(registry.error()));
  (*node)->node().show_workers(*registry);
  log_info("load balancing strategy: " + std::string{to_string_view(settings.strategy)});
  rpcnet_cli::DirectorServer::register_handler(
    (*node)->server(), std::make_shared<director_service>(rt.system(), *registry));
  if (auto err = (*node)->start())
    return fail(describe(err));
  // A key given in a file or the environment stays out of the log; a key
  // made here exists nowhere else, so the token is the only way to it.
  if (settings.node.key.origin == key_origin::generated) {
    log_info("workers join with rpcnet worker --join TOKEN; the key is new, so workers of an "
             "earlier run need the new token (--cluster-key-file keeps one key)");
    log_info("join token: " + format_join_token({where.advertise, settings.node.key.bytes}));
  }
  log_info("director ready - listening on " + where.advertise.to_string());
  // A Type=notify unit (packaging/systemd/) is active from here on.
  notify_ready("serving at " + where.advertise.to_string());
  // Directors are peers: one started with --join others joins their
  // cluster, retrying while none of them is up, beside its own work.
  std::thread peers;
  if (!settings.node.key.seeds.empty())
    peers = std::thread{[&] { join_peers((*node)->node(), settings.node.key.seeds, shutdown); }};
  while (!shutdown.wait_for(settings.pool_interval))
    print_pool(rt.system(), *registry);
  log_info("shutting down");
  if (peers.joinable())
    peers.join();
  (*node)->shutdown(settings.node.grace);
  caf::anon_send_exit(*registry, caf::exit_reason::user_shutdown);
  log_info("stopped");
  return 0;
}

} // namespace rpcnet::cli
