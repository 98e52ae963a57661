// `rpcnet client`: asks the director for a worker, connects to it directly,
// sends tasks and consumes a generate token stream. When a worker fails
// (an error reply, a lost connection, a timeout) it goes back to the
// director, which is told to avoid that worker for a while, and carries on
// with another: the failed task is sent again and the stream resumes after
// the last token received, so every task completes once and every token
// arrives once, as the client sees them.
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>

#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/transport/error.hpp>

#include "commands.hpp"
#include "compute/compute.hpp"
#include "director/director.hpp"
#include "log.hpp"
#include "recent_failures.hpp"
#include "task_ledger.hpp"
#include "tls_files.hpp"
#include "token_cursor.hpp"

namespace rpcnet::cli {

namespace {

using rpcnet_cli::ComputeClient;
using rpcnet_cli::WorkerAssignment;

/// How long a worker that failed this client is not asked for again: the
/// time membership takes to declare a crashed worker dead, and the failed
/// phase of a simulated failure.
constexpr auto failure_memory = std::chrono::seconds{6};

/// Pause before asking the director again after it had no worker or could
/// not be reached.
constexpr milliseconds retry_pause{200};

/// The director, shared by the task and stream loops.
class director_link {
public:
  director_link(caf::actor_system& sys, const client_settings& settings, rpc_config cfg,
                const shutdown_signal& shutdown)
    : sys_(sys), settings_(settings), cfg_(std::move(cfg)), shutdown_(shutdown),
      failures_(failure_memory) {
  }

  /// A worker assigned by the director, releasing `released` (a node id or
  /// ""); nullopt only on shutdown.
  std::optional<WorkerAssignment> assign(const std::string& released) {
    for (; !shutdown_.requested(); shutdown_.wait_for(retry_pause)) {
      auto director = connection();
      if (!director)
        continue;
      rpcnet_cli::WorkerRequest request{released, excluded()};
      auto reply = director->get_worker(request);
      if (!reply) {
        log_warn("director call failed: " + describe(reply.error()));
        drop_connection();
        continue;
      }
      if (!*reply) {
        log_warn("director has no worker available, asking again");
        continue;
      }
      return **reply;
    }
    return std::nullopt;
  }

  /// Tells the director this client is done with `worker_id`.
  void release(const std::string& worker_id) {
    if (auto director = connection(); director && !director->release_worker({worker_id}))
      log_warn("could not release " + worker_id + " at the director");
  }

  void report_failure(const std::string& worker_id) {
    std::lock_guard<std::mutex> guard{mtx_};
    failures_.add(worker_id, recent_failures::clock::now());
  }

  const rpc_config& config() const noexcept {
    return cfg_;
  }

private:
  /// The director in use, connecting to the next one of the list when
  /// there is none: a client keeps working while any director is alive.
  std::optional<rpcnet_cli::DirectorClient> connection() {
    std::lock_guard<std::mutex> guard{mtx_};
    const auto& directors = settings_.directors;
    for (size_t tried = 0; !director_ && tried < directors.size(); ++tried) {
      auto addr = directors[next_ % directors.size()].to_string();
      auto client = rpcnet_cli::DirectorClient::connect(sys_, addr, cfg_);
      if (!client) {
        log_warn("cannot reach director at " + addr + ": " + describe(client.error()));
        ++next_;
        continue;
      }
      log_info("connected to director at " + addr);
      director_.emplace(std::move(*client));
    }
    return director_;
  }

  /// Closes the director in use after a failed call: the next call tries
  /// the next director.
  void drop_connection() {
    std::lock_guard<std::mutex> guard{mtx_};
    if (director_)
      director_->close();
    director_.reset();
    ++next_;
  }

  std::vector<std::string> excluded() {
    std::lock_guard<std::mutex> guard{mtx_};
    return failures_.current(recent_failures::clock::now());
  }

  caf::actor_system& sys_;
  const client_settings& settings_;
  rpc_config cfg_;
  const shutdown_signal& shutdown_;
  std::mutex mtx_;
  std::optional<rpcnet_cli::DirectorClient> director_;
  /// Which director of the list to try next.
  size_t next_ = 0;
  recent_failures failures_;
};

/// A direct connection to the worker the director assigned.
struct worker_link {
  WorkerAssignment assignment;
  ComputeClient client;
};

/// Asks the director (releasing the worker used until now) and connects;
/// nullopt only on shutdown.
std::optional<worker_link> next_worker(caf::actor_system& sys, director_link& director,
                                       std::optional<worker_link>& current) {
  std::string released;
  if (current) {
    released = current->assignment.id;
    current->client.close();
    current.reset();
  }
  while (auto assignment = director.assign(released)) {
    released.clear();
    log_info("director assigned worker " + assignment->label + " at " + assignment->address);
    auto client = ComputeClient::connect(sys, assignment->address, director.config());
    if (client) {
      log_info("direct connection established to " + assignment->label);
      return worker_link{std::move(*assignment), std::move(*client)};
    }
    log_warn("cannot connect to " + assignment->label + ": " + describe(client.error()));
    director.report_failure(assignment->id);
  }
  return std::nullopt;
}

/// What the client has seen, read by the summary while the loops may run.
struct progress {
  std::mutex mtx;
  task_ledger tasks;
  token_cursor tokens;
  uint64_t worker_failures = 0;
};

void worker_failed(director_link& director, std::optional<worker_link>& current,
                   const std::string& why, progress& seen) {
  log_warn("worker " + current->assignment.label + " failed: " + why
           + " - returning to director");
  director.report_failure(current->assignment.id);
  std::lock_guard<std::mutex> guard{seen.mtx};
  ++seen.worker_failures;
}

void run_tasks(caf::actor_system& sys, const client_settings& settings, director_link& director,
               progress& seen, const shutdown_signal& shutdown) {
  std::optional<worker_link> current;
  uint64_t sent_here = 0;
  for (;;) {
    uint64_t task = 0;
    {
      std::lock_guard<std::mutex> guard{seen.mtx};
      if (seen.tasks.done())
        break;
      task = seen.tasks.current();
    }
    if (!current || sent_here >= settings.reassign_every) {
      current = next_worker(sys, director, current);
      if (!current)
        return;
      sent_here = 0;
    }
    auto text = "data-" + std::to_string(task);
    auto reply = current->client.process_task({task, {text.begin(), text.end()}});
    if (!reply || !*reply) {
      worker_failed(director, current,
                    !reply ? describe(reply.error()) : std::string{"answered WorkerFailed"}, seen);
      sent_here = settings.reassign_every; // the same task goes to the next worker
      continue;
    }
    ++sent_here;
    {
      std::lock_guard<std::mutex> guard{seen.mtx};
      if (!seen.tasks.complete((*reply)->task_id, (*reply)->worker_label)) {
        log_error("task " + std::to_string((*reply)->task_id) + " completed twice");
        continue;
      }
    }
    log_info("task " + std::to_string(task) + " completed by " + (*reply)->worker_label);
    if (shutdown.wait_for(settings.task_pause))
      break;
  }
  if (current) {
    current->client.close();
    director.release(current->assignment.id);
  }
}

/// Reads one stream until it ends, fails or shutdown; true if it ended
/// cleanly.
bool read_stream(worker_link& worker, progress& seen,
                 const shutdown_signal& shutdown) {
  uint64_t after = 0;
  uint64_t last = 0;
  {
    std::lock_guard<std::mutex> guard{seen.mtx};
    after = seen.tokens.resume_after();
    last = seen.tokens.last();
  }
  auto stream = worker.client.generate({after, last});
  if (!stream) {
    log_warn("cannot open stream: " + describe(stream.error()));
    return false;
  }
  log_info("stream opened on " + worker.assignment.label + ", resuming after token "
           + std::to_string(after));
  while (!shutdown.requested()) {
    auto token = stream->next();
    if (!token) {
      log_warn("stream from " + worker.assignment.label + " broke: " + describe(token.error()));
      return false;
    }
    if (!*token)
      return true;
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
        stream->cancel();
        return false;
    }
  }
  stream->cancel();
  return true;
}

void run_tokens(caf::actor_system& sys, director_link& director, progress& seen,
                const shutdown_signal& shutdown) {
  std::optional<worker_link> current;
  for (;;) {
    {
      std::lock_guard<std::mutex> guard{seen.mtx};
      if (seen.tokens.complete())
        break;
    }
    current = next_worker(sys, director, current);
    if (!current)
      return;
    if (!read_stream(*current, seen, shutdown))
      worker_failed(director, current, "stream failed", seen);
    if (shutdown.requested())
      break;
  }
  if (current) {
    current->client.close();
    director.release(current->assignment.id);
  }
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
  director_link director{rt.system(), settings,
                         tls->client_config(settings.call_timeout, family), shutdown};
  progress seen{{}, task_ledger{settings.tasks}, token_cursor{settings.tokens}, 0};
  // Each loop counts itself out; the last one out ends the run.
  std::atomic<int> running{0};
  auto finish = [&] {
    if (--running == 0)
      shutdown.request();
  };
  std::vector<std::thread> loops;
  ++running;
  loops.emplace_back([&] {
    run_tasks(rt.system(), settings, director, seen, shutdown);
    finish();
  });
  if (settings.tokens > 0) {
    ++running;
    loops.emplace_back([&] {
      run_tokens(rt.system(), director, seen, shutdown);
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
               + " duplicates, " + std::to_string(seen.worker_failures) + " worker failures";
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
  return status;
}

} // namespace rpcnet::cli
