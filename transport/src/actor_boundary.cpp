// Logging and counting what actors' handlers throw (see actor_boundary.hpp).
#include <rpcnet/transport/actor_boundary.hpp>

#include <atomic>

#include <rpcnet/transport/error.hpp>
#include <rpcnet/transport/library_log.hpp>

namespace rpcnet {

namespace {

constexpr std::string_view series = "rpcnet_actor_exceptions_total";
constexpr std::string_view series_help
  = "Exceptions caught at an actor's boundary (or a thread that works for one), by actor: "
    "the message or task that threw failed, and the actor went on.";

/// One event name for every such line: the log's rate limit then holds
/// however many actors throw, and whatever throws.
constexpr std::string_view log_event = "actor_exception";

} // namespace

/// What every copy of a boundary shares.
struct actor_boundary::shared {
  std::string actor;
  /// Keeps `counter` alive.
  std::shared_ptr<metrics_registry> metrics;
  metric_counter* counter = nullptr;
  std::atomic<uint64_t> exceptions{0};

  /// Counts and logs; what the exception said.
  std::string record(const std::exception_ptr& ex, std::string_view outcome) {
    exceptions.fetch_add(1, std::memory_order_relaxed);
    if (counter != nullptr)
      counter->inc();
    auto what = exception_text(ex);
    log_network_line(log_level::error, log_event,
                     actor + ": a handler threw (" + what + "); " + actor + " "
                       + std::string{outcome});
    return what;
  }
};

actor_boundary::actor_boundary(std::string actor, std::shared_ptr<metrics_registry> metrics)
  : shared_(std::make_shared<shared>()) {
  shared_->actor = std::move(actor);
  if (metrics) {
    shared_->counter
      = &metrics->counters(series, series_help, {"actor"}).with({shared_->actor});
    shared_->metrics = std::move(metrics);
  }
}

caf::error actor_boundary::caught() const {
  auto what = shared_->record(std::current_exception(), "goes on");
  return make_error(error::remote, shared_->actor + " failed: " + what);
}

caf::error actor_boundary::escaped(const std::exception_ptr& ex) const {
  auto what = shared_->record(ex, "exits");
  return make_error(error::remote, shared_->actor + " exited: " + what);
}

uint64_t actor_boundary::exceptions() const noexcept {
  return shared_->exceptions.load(std::memory_order_relaxed);
}

const std::string& actor_boundary::actor() const noexcept {
  return shared_->actor;
}

std::string exception_text(const std::exception_ptr& ex) {
  if (!ex)
    return "no exception";
  try {
    std::rethrow_exception(ex);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception that is no std::exception";
  }
}

} // namespace rpcnet
