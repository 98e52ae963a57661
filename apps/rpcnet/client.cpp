// `rpcnet client`: sends tasks and consumes a generate token stream through
// the library's cluster client (rpcnet::cluster_client), which chooses each
// call's worker through a selector that asks the directors
// (director_selector.hpp) and fails over by itself when a worker is lost or
// overloaded: retries on another worker after a jittered backoff, a circuit
// breaker per worker, pooled connections. What it does not retry -- a
// worker's WorkerFailed answer (the handler ran and said no), a call that
// timed out after its request went out, a stream that broke once open --
// these loops do: the same task goes to another worker (the one that
// refused it excluded), and the stream resumes on another worker after the
// last token received, so every task completes once and every token
// arrives once, as the client sees them.
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>

#include <caf/scoped_actor.hpp>

#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/cluster/cluster_client.hpp>
#include <rpcnet/transport/error.hpp>
#include <rpcnet/typed/serialization.hpp>
#include <rpcnet/typed/typed_messages.hpp>

#include "commands.hpp"
#include "compute/compute.hpp"
#include "director_selector.hpp"
#include "log.hpp"
#include "task_ledger.hpp"
#include "tls_files.hpp"
#include "token_cursor.hpp"

namespace rpcnet::cli {

namespace {

using rpcnet_cli::ComputeError;
using rpcnet_cli::GenerateRequest;
using rpcnet_cli::TaskRequest;
using rpcnet_cli::TaskResult;
using rpcnet_cli::Token;

/// Compute's methods by the names they have on the wire (those the
/// generated ComputeClient calls).
const std::string process_task_method = "process_task";
const std::string generate_method = "generate";

/// Pause before trying again after no worker was available, or after a
/// call that failed on every worker the cluster client tried.
constexpr milliseconds retry_pause{200};

/// How long a question to the selector may take.
constexpr auto selector_timeout = std::chrono::seconds{2};

/// What the client has seen, read by the summary while the loops may run.
struct progress {
  std::mutex mtx;
  task_ledger tasks;
  token_cursor tokens;
  /// Failures these loops retried themselves (the cluster client counts
  /// its own failovers).
  uint64_t worker_failures = 0;
};

/// What both loops use.
struct client_context {
  caf::actor_system& sys;
  cluster_client& workers;
  const director_selector_actor& selector;
  const client_settings& settings;
  progress& seen;
  const shutdown_signal& shutdown;
};

std::string label_of(const worker& w) {
  auto i = w.tags.find("label");
  return i == w.tags.end() ? w.address : i->second;
}

/// The workers labelled `label` that the directors assigned (a restarted
/// worker is a new node under its old label).
std::vector<node_id> workers_labelled(const client_context& ctx, const std::string& label) {
  caf::scoped_actor self{ctx.sys};
  std::vector<node_id> ids;
  self->request(ctx.selector, selector_timeout, workers_atom::value)
    .receive(
      [&](std::vector<worker>& known) {
        for (const auto& w : known)
          if (label_of(w) == label)
            ids.push_back(w.id);
      },
      [](caf::error&) {});
  return ids;
}

void count_failure(progress& seen) {
  std::lock_guard<std::mutex> guard{seen.mtx};
  ++seen.worker_failures;
}

/// Logs a call that found no worker or failed on every worker tried, and
/// waits before the next; false on shutdown. Workers excluded until now
/// may serve again once none was left.
bool call_failed(const client_context& ctx, const std::string& what, const caf::error& err,
                 std::vector<node_id>& excluded) {
  if (code_of(err) == error::no_workers) {
    log_warn("no worker for " + what + " (" + describe(err) + "), asking again");
    excluded.clear();
  } else {
    log_warn(what + " failed: " + describe(err) + " - trying another worker");
    count_failure(ctx.seen);
  }
  return !ctx.shutdown.wait_for(retry_pause);
}

void run_tasks(const client_context& ctx) {
  auto& seen = ctx.seen;
  // The workers that refused the current task: its next attempt avoids
  // them.
  std::vector<node_id> refused;
  while (!ctx.shutdown.requested()) {
    uint64_t task = 0;
    {
      std::lock_guard<std::mutex> guard{seen.mtx};
      if (seen.tasks.done())
        break;
      task = seen.tasks.current();
    }
    auto text = "data-" + std::to_string(task);
    worker_call_options options;
    options.exclude = refused;
    auto reply = rpcnet::typed::decode_reply<rpcnet::result<TaskResult, ComputeError>>(
      ctx.workers.call_worker(process_task_method,
                              encode(TaskRequest{task, {text.begin(), text.end()}}), options));
    if (!reply) {
      if (!call_failed(ctx, "task " + std::to_string(task), reply.error(), refused))
        break;
      continue;
    }
    if (!*reply) {
      // The handler's own answer, which the cluster client does not retry:
      // the same task goes to another worker.
      const auto* failed = reply->error().get_if<ComputeError::WorkerFailed>();
      auto label = failed ? failed->worker_label : std::string{"(unknown)"};
      log_warn("worker " + label + " failed: answered WorkerFailed - trying another");
      count_failure(seen);
      auto ids = workers_labelled(ctx, label);
      refused.insert(refused.end(), ids.begin(), ids.end());
      continue;
    }
    refused.clear();
    const auto& done = **reply;
    {
      std::lock_guard<std::mutex> guard{seen.mtx};
      if (!seen.tasks.complete(done.task_id, done.worker_label)) {
        log_error("task " + std::to_string(done.task_id) + " completed twice");
        continue;
      }
    }
    log_info("task " + std::to_string(task) + " completed by " + done.worker_label);
    if (ctx.shutdown.wait_for(ctx.settings.task_pause))
      break;
  }
}

/// Reads one stream until it ends, breaks or shutdown; true if it ended
/// cleanly. `served_by` becomes the label of the worker whose tokens came.
bool read_stream(client_stream& stream, progress& seen, const shutdown_signal& shutdown,
                 std::string& served_by) {
  while (!shutdown.requested()) {
    auto token = rpcnet::typed::next_as<Token>(stream);
    if (!token) {
      log_warn("stream from " + (served_by.empty() ? std::string{"its worker"} : served_by)
               + " broke: " + describe(token.error()) + " - trying another worker");
      return false;
    }
    if (!*token)
      return true;
    served_by = (*token)->worker_label;
    std::lock_guard<std::mutex> guard{seen.mtx};
    switch (seen.tokens.accept((*token)->sequence)) {
      case token_cursor::verdict::accepted:
        log_info("received token (sequence=" + std::to_string((*token)->sequence) + ", text=\""
                 + (*token)->text + "\", from " + (*token)->worker_label + ")");
        break;
      case token_cursor::verdict::duplicate:
        log_warn("token " + std::to_string((*token)->sequence) + " received twice, dropped");
        break;
      case token_cursor::verdict::gap:
        log_warn("token " + std::to_string((*token)->sequence) + " skips ahead, reopening");
        stream.cancel();
        return false;
    }
  }
  stream.cancel();
  return true;
}

void run_tokens(const client_context& ctx) {
  auto& seen = ctx.seen;
  // The worker whose stream broke: the stream reopens elsewhere.
  std::vector<node_id> broke;
  while (!ctx.shutdown.requested()) {
    GenerateRequest request;
    {
      std::lock_guard<std::mutex> guard{seen.mtx};
      if (seen.tokens.complete())
        break;
      request = {seen.tokens.resume_after(), seen.tokens.last()};
    }
    worker_call_options options;
    options.exclude = std::exchange(broke, {});
    auto stream = ctx.workers.call_worker_server_streaming(generate_method, encode(request),
                                                           options);
    if (!stream) {
      broke = std::move(options.exclude);
      if (!call_failed(ctx, "the stream", stream.error(), broke))
        break;
      continue;
    }
    log_info("stream opened, resuming after token " + std::to_string(request.start_after));
    std::string served_by;
    if (!read_stream(*stream, seen, ctx.shutdown, served_by)) {
      count_failure(seen);
      if (!served_by.empty())
        broke = workers_labelled(ctx, served_by);
    }
    // The stream ends here: its worker's call with it.
  }
}

/// Tells the director of the calls it still counts for this client.
void release_counted(caf::actor_system& sys, const director_selector_actor& selector) {
  caf::scoped_actor self{sys};
  self->request(selector, selector_timeout, release_atom::value)
    .receive([](uint32_t) {}, [](caf::error&) {});
}

} // namespace

int run_client(const client_settings& settings, shutdown_signal& shutdown) {
  auto tls = tls_files::find(settings.tls);
  if (!tls)
    return fail(message_of(tls.error()));
  auto directors = describe_addresses(settings.directors);
  log_info("starting client - connecting to director at " + directors);
  runtime rt;
  auto family = settings.directors.front().family();
  // Each attempt of a call has the call timeout; retries and circuit
  // breakers are the library's defaults. A worker killed mid-task answers
  // nothing until membership declares it dead, seconds later: the hedge
  // sends the task on after --hedge-after-ms instead.
  auto rpc = tls->client_config(settings.call_timeout, family);
  auto selector = spawn_director_selector(rt.system(), settings.directors, rpc);
  auto cfg
    = cluster_client_config{rpc}.with_on_failover([](const worker& w, const caf::error& why) {
        log_warn("worker " + label_of(w) + " failed: " + describe(why) + " - trying another");
      });
  if (settings.hedge_after.count() > 0)
    cfg = cfg.with_hedge_after(settings.hedge_after);
  auto workers = cluster_client::start(rt.system(), selector, std::move(cfg));
  if (!workers) {
    caf::anon_send_exit(selector, caf::exit_reason::user_shutdown);
    return fail(message_of(workers.error()));
  }
  progress seen{{}, task_ledger{settings.tasks}, token_cursor{settings.tokens}, 0};
  client_context ctx{rt.system(), *workers, selector, settings, seen, shutdown};
  // Each loop counts itself out; the last one out ends the run.
  std::atomic<int> running{0};
  auto finish = [&] {
    if (--running == 0)
      shutdown.request();
  };
  std::vector<std::thread> loops;
  ++running;
  loops.emplace_back([&] {
    run_tasks(ctx);
    finish();
  });
  if (settings.tokens > 0) {
    ++running;
    loops.emplace_back([&] {
      run_tokens(ctx);
      finish();
    });
  }
  if (settings.duration.count() > 0)
    shutdown.wait_for(settings.duration);
  else
    shutdown.wait();
  shutdown.request();
  // A loop blocked in a call returns within the call timeout.
  auto patience = settings.call_timeout + milliseconds{1'000};
  auto deadline = std::chrono::steady_clock::now() + patience;
  while (running > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds{10});
  release_counted(rt.system(), selector);
  auto failovers = workers->stats().failovers;
  std::string summary;
  bool clean = false;
  bool did_work = false;
  {
    std::lock_guard<std::mutex> guard{seen.mtx};
    summary = "done: " + std::to_string(seen.tasks.completed()) + " tasks completed (";
    bool first = true;
    for (const auto& [label, count] : seen.tasks.by_worker()) {
      summary += (first ? "" : ", ") + label + "=" + std::to_string(count);
      first = false;
    }
    summary += "), " + std::to_string(seen.tokens.resume_after()) + " tokens received, "
               + std::to_string(seen.tasks.rejected() + seen.tokens.duplicates())
               + " duplicates, " + std::to_string(seen.worker_failures + failovers)
               + " worker failures";
    clean = seen.tasks.rejected() == 0 && seen.tokens.duplicates() == 0;
    did_work = seen.tasks.completed() > 0 || seen.tokens.resume_after() > 0;
  }
  log_info(summary);
  int status = clean ? 0 : 3;
  // A run that reached nobody is a failure, whatever made it end: a
  // script must not read exit 0 as "the cluster served".
  if (!did_work) {
    log_error("no task completed and no token received: the director at "
              + directors + " or its workers were never reached");
    status = 4;
  }
  if (running > 0) {
    // A call outlived its timeout; the process ends without waiting for it.
    log_warn("a call is still blocked; exiting without it");
    std::fflush(stdout);
    std::_Exit(status);
  }
  for (auto& loop : loops)
    loop.join();
  workers->close();
  caf::anon_send_exit(selector, caf::exit_reason::user_shutdown);
  return status;
}

} // namespace rpcnet::cli
