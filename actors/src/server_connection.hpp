// The server side of one QUIC connection as an actor: it assembles each
// call's frames (CALL, DATA, end), looks up the method and hands the call
// to its handler -- a one-shot actor per call, or the service actor -- so
// that the connection actor itself never runs user code. What throws there
// anyway is caught at the actor's boundary: it costs the batch of stream
// events that threw, not the connection's other calls.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "deadline_watcher.hpp"
#include "handler_pool.hpp"
#include "handler_registry.hpp"
#include <rpcnet/actors/call_metadata.hpp>
#include <rpcnet/actors/interceptor.hpp>
#include <rpcnet/transport/actor_boundary.hpp>
#include <rpcnet/transport/endpoint.hpp>
#include <rpcnet/transport/metrics_registry.hpp>

namespace rpcnet {

/// What a server shares with its connection actors.
struct server_state {
  /// What throws in the server's actors and threads is counted in
  /// `metrics` (none: only logged).
  explicit server_state(const std::shared_ptr<metrics_registry>& metrics)
    : boundary("server_connection", metrics),
      pool(handler_pool::limits{}, actor_boundary{"handler_pool", metrics}),
      deadlines(actor_boundary{"deadline_watcher", metrics}) {
  }

  handler_registry handlers;

  /// Of the connection actors.
  actor_boundary boundary;

  /// Runs function handlers registered with handler_execution::blocking_pool.
  handler_pool pool;

  /// Set once the endpoint exists; the connection actors take a strong
  /// reference when they are spawned.
  std::weak_ptr<endpoint> ep;

  /// Calls handed to handlers and not yet answered.
  std::atomic<size_t> in_flight{0};

  /// Set when the server stops: new calls are refused with `cancelled`.
  std::atomic<bool> draining{false};

  /// Malformed calls seen (framing is counted by the transport).
  std::atomic<uint64_t> protocol_errors{0};

  /// Calls given up while their handler still ran or waited: the caller
  /// cancelled or went away, or the deadline passed.
  std::atomic<uint64_t> abandoned_calls{0};

  /// Calls whose deadline passed on this server (before or while they ran).
  std::atomic<uint64_t> deadlines_exceeded{0};

  /// Run around every call, in order; set before the server binds.
  server_interceptors interceptors;

  /// The most metadata a call's CALL frame may carry, and its trailers.
  size_t max_metadata_size = call_metadata::default_max_size;

  std::mutex idle_mtx;
  std::condition_variable idle_cv;

  void call_started() {
    in_flight.fetch_add(1, std::memory_order_relaxed);
  }
  void call_finished() {
    if (in_flight.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> guard{idle_mtx};
      idle_cv.notify_all();
    }
  }

  /// Last: destroyed first, so that no deadline fires into a server that
  /// is being torn down.
  deadline_watcher deadlines;
};

/// Spawns the actor for one accepted connection.
caf::actor spawn_server_connection(caf::actor_system& sys,
                                   std::shared_ptr<server_state> state,
                                   std::shared_ptr<call_transport> ep, connection_id conn,
                                   socket_address peer);

} // namespace rpcnet
