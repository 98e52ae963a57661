// `rpcnet worker`: serves the Compute service, joins the cluster through the
// director (retrying while it is not up yet), tags itself role=worker and
// label=<label>, optionally runs the simulated failure cycle, and on SIGINT
// or SIGTERM leaves and drains.
#include <algorithm>
#include <atomic>
#include <thread>

#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/transport/error.hpp>

#include "cluster_node.hpp"
#include "commands.hpp"
#include "compute/compute.hpp"
#include "log.hpp"

namespace rpcnet::cli {

namespace {

using rpcnet_cli::ComputeError;

/// process_task and generate, answering errors while failed or stopping.
class compute_service : public rpcnet_cli::ComputeHandler {
public:
  explicit compute_service(const worker_settings& settings) : settings_(settings) {
  }

  rpcnet::result<rpcnet_cli::TaskResult, ComputeError>
  process_task(rpcnet_cli::TaskRequest request) override {
    if (failing_) {
      log_warn("refused task " + std::to_string(request.task_id) + " (simulated failure)");
      return ComputeError{ComputeError::WorkerFailed{settings_.label}};
    }
    log_info("processing task " + std::to_string(request.task_id));
    std::this_thread::sleep_for(settings_.work);
    return rpcnet_cli::TaskResult{request.task_id, std::move(request.data), settings_.label};
  }

  caf::error generate(rpcnet_cli::GenerateRequest request,
                      rpcnet::typed::writer<rpcnet_cli::Token>& out) override {
    constexpr uint64_t max_tokens = 1'000'000;
    if (request.last < request.start_after || request.last - request.start_after > max_tokens)
      return make_error(error::remote, "generate: at most 1000000 tokens, in order");
    log_info("streaming tokens " + std::to_string(request.start_after + 1) + " to "
             + std::to_string(request.last));
    for (auto seq = request.start_after + 1; seq <= request.last; ++seq) {
      std::this_thread::sleep_for(settings_.token_interval);
      if (failing_ || stopping_) {
        log_warn("stream ended at token " + std::to_string(seq - 1)
                 + (stopping_ ? " (shutting down)" : " (simulated failure)"));
        return make_error(error::remote, settings_.label + " failed");
      }
      if (auto err = out.write({seq, "token-" + std::to_string(seq), settings_.label}))
        return err;
    }
    log_info("stream complete at token " + std::to_string(request.last));
    return {};
  }

  void set_failing(bool failing) {
    failing_ = failing;
  }

  void set_stopping() {
    stopping_ = true;
  }

private:
  const worker_settings& settings_;
  std::atomic<bool> failing_{false};
  std::atomic<bool> stopping_{false};
};

/// The reference's failure cycle, until shutdown.
void simulate_failures(const failure_schedule& schedule, compute_service& service,
                       const shutdown_signal& shutdown) {
  auto start = std::chrono::steady_clock::now();
  for (uint64_t n = 0;; ++n) {
    auto next = schedule.transition(n);
    auto due = start + next.at;
    auto wait = std::chrono::duration_cast<milliseconds>(due - std::chrono::steady_clock::now());
    if (shutdown.wait_for(std::max(wait, milliseconds{0})))
      return;
    switch (next.what) {
      case failure_transition::warn:
        log_warn("simulating worker failure in "
                 + std::to_string(schedule.phases().warning.count()) + " ms");
        break;
      case failure_transition::fail:
        service.set_failing(true);
        log_warn("worker failed (simulated, cycle " + std::to_string(next.cycle) + ")");
        break;
      case failure_transition::recover:
        log_info("worker recovering");
        service.set_failing(false);
        log_info("worker recovered and ready to serve");
        break;
    }
  }
}

/// Joins through the director until it answers or shutdown; false on
/// shutdown.
bool join_director(cluster_membership& cluster, const worker_settings& settings,
                   const shutdown_signal& shutdown) {
  auto director = settings.director.to_string();
  log_info("enabling cluster, connecting to director at " + director);
  // snippet-begin: join
  for (uint64_t attempt = 1; !shutdown.requested(); ++attempt) {
    auto err = cluster.join({director});
    if (!err)
      return true;
    log_warn("director at " + director + " not reachable (" + describe(err) + "), retry "
             + std::to_string(attempt));
  }
  // snippet-end: join
  return false;
}

/// Whether membership knows a live member at the director's address.
bool director_alive(cluster_membership& cluster, const std::string& director) {
  auto members = cluster.members();
  return std::any_of(members.begin(), members.end(), [&](const member& m) {
    return m.address == director && is_live(m.state);
  });
}

} // namespace

int run_worker(const worker_settings& settings, shutdown_signal& shutdown) {
  auto tls = tls_files::find(settings.node.certs);
  if (!tls)
    return fail(message_of(tls.error()));
  auto schedule = failure_schedule::make(settings.phases);
  if (!schedule)
    return fail(message_of(schedule.error()));
  log_info("starting worker '" + settings.label + "' at " + settings.addr.to_string());
  runtime rt;
  // snippet-begin: worker-node
  auto cfg = cluster_config{}
               .with_tag("role", "worker")
               .with_tag("label", settings.label)
               .with_join_timeout(settings.join_timeout);
  auto node = cluster_node::open(rt.system(), *tls, settings.addr, cfg);
  if (!node)
    return fail(message_of(node.error()));
  auto service = std::make_shared<compute_service>(settings);
  rpcnet_cli::ComputeServer::register_handler((*node)->server(), service);
  if (auto err = (*node)->start())
    return fail(describe(err));
  // snippet-end: worker-node
  log_info("server bound to " + settings.addr.to_string());
  std::thread failures;
  if (settings.simulate_failures) {
    log_info("failure simulation on: healthy " + std::to_string(settings.phases.healthy.count())
             + " ms, failed " + std::to_string(settings.phases.failed.count()) + " ms");
    failures = std::thread{[&] { simulate_failures(*schedule, *service, shutdown); }};
  }
  auto& cluster = (*node)->cluster();
  auto director = settings.director.to_string();
  if (join_director(cluster, settings, shutdown)) {
    log_info("worker '" + settings.label + "' joined cluster with role=worker");
    log_info("worker '" + settings.label + "' is running and ready to handle requests");
    // A director that failed or left and comes back is a new member that
    // knows nobody: join it again.
    while (!shutdown.wait_for(settings.join_timeout)) {
      if (director_alive(cluster, director))
        continue;
      log_warn("director at " + director + " is gone, joining again");
      if (join_director(cluster, settings, shutdown))
        log_info("worker '" + settings.label + "' joined cluster with role=worker");
    }
  }
  log_info("shutting down");
  service->set_stopping();
  (*node)->shutdown(settings.node.grace);
  if (failures.joinable())
    failures.join();
  log_info("stopped");
  return 0;
}

} // namespace rpcnet::cli
