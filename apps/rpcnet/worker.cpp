// `rpcnet worker`: serves the Compute service, joins the cluster through the
// director (retrying while it is not up yet, giving up with an error when
// the director refuses its cluster key), tags itself role=worker and
// label=<label>, optionally runs the simulated failure cycle, and on SIGINT
// or SIGTERM leaves and drains.
#include <algorithm>
#include <atomic>
#include <thread>

#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/transport/error.hpp>

#include "admin_call.hpp"
#include "cluster_key_check.hpp"
#include "cli_node.hpp"
#include "commands.hpp"
#include "compute/compute.hpp"
#include "log.hpp"
#include "service_manager.hpp"

namespace rpcnet::cli {

namespace {

using rpcnet_cli::ComputeError;

/// process_task and generate, answering errors while failed or stopping.
class compute_service : public rpcnet_cli::ComputeHandler {
public:
  explicit compute_service(const worker_settings& settings) : settings_(settings) {
  }

  rpcnet::result<rpcnet_cli::TaskResult, ComputeError>
  process_task(rpcnet::call_context&, rpcnet_cli::TaskRequest request) override {
    if (failing_) {
      log_warn("refused task " + std::to_string(request.task_id) + " (simulated failure)");
      return ComputeError{ComputeError::WorkerFailed{settings_.label}};
    }
    log_info("processing task " + std::to_string(request.task_id));
    std::this_thread::sleep_for(settings_.work);
    return rpcnet_cli::TaskResult{request.task_id, std::move(request.data), settings_.label};
  }

  caf::error generate(rpcnet::call_context&, rpcnet_cli::GenerateRequest request,
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

/// The Rust RpcNet's failure cycle, until shutdown.
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

/// What joining through the director needs.
struct join_context {
  cluster_node& node;
  caf::actor_system& sys;
  const tls_files& tls;
  const worker_settings& settings;
};

/// Why the first director that answers its admin service refuses this
/// worker's gossip, if it says their cluster keys differ; nullopt if they
/// agree or none can be asked (none is up yet).
std::optional<std::string> key_refusal(const join_context& ctx) {
  const auto& key = ctx.settings.node.key;
  auto probe = make_key_probe(key.bytes);
  for (const auto& director : ctx.settings.directors) {
    auto answer = call_admin(ctx.sys, ctx.tls, director, ctx.settings.join_timeout,
                             [&](rpcnet_cli::AdminClient& admin) {
                               return admin.check_cluster_key(probe);
                             });
    if (answer && *answer) {
      if (auto why = key_mismatch(key.sealed(), **answer))
        return "cannot join through the director at " + director.to_string() + ": " + *why;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

/// Joins through the directors (any one that answers will do) until one
/// answers (true) or shutdown (false); an error when a director refuses
/// this worker's cluster key, since its datagrams are then dropped
/// unanswered and no retry can succeed.
caf::expected<bool> join_director(const join_context& ctx, const shutdown_signal& shutdown) {
  const auto& directors = ctx.settings.directors;
  auto names = describe_addresses(directors);
  log_info("enabling cluster, connecting to director at " + names);
  // snippet-begin: join
  for (uint64_t attempt = 1; !shutdown.requested(); ++attempt) {
    auto err = ctx.node.join(to_strings(directors));
    if (!err)
      return true;
    if (auto why = key_refusal(ctx))
      return make_error(error::config, *why);
    log_warn("director at " + names + " not reachable (" + describe(err) + "), retry "
             + std::to_string(attempt));
  }
  // snippet-end: join
  return false;
}

/// Whether membership knows a live member at one of the directors'
/// addresses.
bool director_alive(cluster_membership& cluster, const std::vector<socket_address>& directors) {
  auto members = cluster.members();
  return std::any_of(members.begin(), members.end(), [&](const member& m) {
    auto addr = socket_address::parse(m.address);
    return is_live(m.state) && addr
           && std::find(directors.begin(), directors.end(), *addr) != directors.end();
  });
}

} // namespace

int run_worker(const worker_settings& settings, shutdown_signal& shutdown) {
  auto tls = tls_files::find(settings.node.tls);
  if (!tls)
    return fail(message_of(tls.error()));
  auto schedule = failure_schedule::make(settings.phases);
  if (!schedule)
    return fail(message_of(schedule.error()));
  const auto& where = settings.node.where;
  log_info("starting worker '" + settings.label + "' at " + where.bind.to_string());
  runtime rt;
  // snippet-begin: worker-node
  auto cfg = cluster_config{}
               .with_tag("role", "worker")
               .with_tag("label", settings.label)
               .with_join_timeout(settings.join_timeout);
  auto node = cli_node::open(rt.system(), *tls, cfg, settings.node);
  if (!node)
    return fail(message_of(node.error()));
  auto service = std::make_shared<compute_service>(settings);
  rpcnet_cli::ComputeServer::register_handler((*node)->server(), service);
  if (auto err = (*node)->start())
    return fail(describe(err));
  // snippet-end: worker-node
  log_info("server bound to " + where.bind.to_string());
  std::thread failures;
  if (settings.simulate_failures) {
    log_info("failure simulation on: healthy " + std::to_string(settings.phases.healthy.count())
             + " ms, failed " + std::to_string(settings.phases.failed.count()) + " ms");
    failures = std::thread{[&] { simulate_failures(*schedule, *service, shutdown); }};
  }
  auto& cluster = (*node)->cluster();
  join_context ctx{(*node)->node(), rt.system(), *tls, settings};
  auto joined = join_director(ctx, shutdown);
  if (joined && *joined) {
    log_info("worker '" + settings.label + "' joined cluster with role=worker");
    log_info("worker '" + settings.label + "' is running and ready to handle requests");
    // A Type=notify unit is active once the worker is in the cluster: a
    // rolling restart waits for this before it restarts the next one.
    notify_ready("serving at " + settings.node.where.advertise.to_string() + ", joined");
    // A director that failed or left and comes back is a new member that
    // knows nobody: join it again.
    while (joined && !shutdown.wait_for(settings.join_timeout)) {
      if (director_alive(cluster, settings.directors))
        continue;
      log_warn("director at " + describe_addresses(settings.directors) + " is gone, joining again");
      joined = join_director(ctx, shutdown);
      if (joined && *joined)
        log_info("worker '" + settings.label + "' joined cluster with role=worker");
    }
  }
  // A refused key ends the worker without a signal: the failure cycle ends
  // with it.
  shutdown.request();
  log_info("shutting down");
  service->set_stopping();
  (*node)->shutdown(settings.node.grace);
  if (failures.joinable())
    failures.join();
  log_info("stopped");
  return joined ? 0 : fail(message_of(joined.error()));
}

} // namespace rpcnet::cli
