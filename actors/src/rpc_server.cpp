#include <rpcnet/actors/rpc_server.hpp>

#include <caf/send.hpp>

#include <rpcnet/actors/interceptors/call_metrics.hpp>
#include <rpcnet/transport/error.hpp>
#include <rpcnet/transport/library_log.hpp>

#include "in_process_transport.hpp"
#include "rpc_config_rules.hpp"
#include "server_connection.hpp"

namespace rpcnet {

rpc_server::rpc_server(caf::actor_system& sys, rpc_config cfg)
  : sys_(sys), cfg_(std::move(cfg)), state_(std::make_shared<server_state>(cfg_.metrics)) {
  // Read by connections only, which exist once bind() or the first
  // in-process client checked the settings.
  state_->max_metadata_size = cfg_.max_metadata_size;
  // Made here, on the thread that makes the server, because the hub spawns
  // its acceptor into the server's system (in_process_transport.hpp). It
  // holds the state weakly: handlers may hold in-process clients, which hold
  // the hub.
  hub_ = in_process_hub::make(
    sys_, cfg_.to_transport(true), *socket_address::parse("127.0.0.1:0"),
    [sys = &sys_, weak = std::weak_ptr<server_state>{state_}](
      std::shared_ptr<call_transport> side, connection_id id, const socket_address& peer) {
      auto state = weak.lock();
      if (!state)
        return caf::actor{};
      return spawn_server_connection(*sys, std::move(state), std::move(side), id, peer);
    });
  if (cfg_.metrics) {
    // First in line, so it counts what the others do (a refusal included).
    state_->interceptors.push_back(std::make_shared<server_call_metrics>(*cfg_.metrics));
    metrics_ = cfg_.metrics->add_collector(
      [weak = std::weak_ptr<server_state>{state_}](metrics_writer& out) {
        auto state = weak.lock();
        if (!state)
          return;
        auto read = [](const std::atomic<uint64_t>& cell) {
          return static_cast<double>(cell.load(std::memory_order_relaxed));
        };
        out.counter("rpc_server_protocol_errors_total",
                    "Malformed calls answered with a protocol error.",
                    read(state->protocol_errors));
        out.counter("rpc_server_abandoned_calls_total",
                    "Calls given up while their handler ran: the caller cancelled or left, or "
                    "the deadline passed.",
                    read(state->abandoned_calls));
        out.counter("rpc_server_deadlines_exceeded_total",
                    "Calls whose deadline passed here, before or while they ran.",
                    read(state->deadlines_exceeded));
        out.gauge("rpc_server_draining", "1 while the server drains before it stops.",
                  state->draining.load(std::memory_order_relaxed) ? 1 : 0);
      });
  }
}

rpc_server::~rpc_server() {
  stop(std::chrono::milliseconds{0});
}

void rpc_server::register_unary(std::string method, unary_handler handler,
                                handler_execution execution) {
  register_unary(
    std::move(method),
    context_unary_handler{[fn = std::move(handler)](call_context&, byte_buffer request) {
      return fn(std::move(request));
    }},
    execution);
}

void rpc_server::register_unary(std::string method, context_unary_handler handler,
                                handler_execution execution) {
  state_->handlers.set(std::move(method),
                       handler_registry::function_entry{std::move(handler), execution});
}

void rpc_server::register_actor(std::string method, service_actor service) {
  state_->handlers.set(std::move(method), std::move(service));
}

void rpc_server::register_actor(std::string method, context_service_actor service) {
  state_->handlers.set(std::move(method), std::move(service));
}

void rpc_server::register_streaming(std::string method, streaming_handler handler) {
  register_streaming(std::move(method),
                     context_streaming_handler{
                       [fn = std::move(handler)](call_context&, stream_reader& requests,
                                                 stream_writer& responses) {
                         return fn(requests, responses);
                       }});
}

void rpc_server::register_streaming(std::string method, context_streaming_handler handler) {
  state_->handlers.set(std::move(method), std::move(handler));
}

void rpc_server::add_interceptor(std::shared_ptr<server_interceptor> interceptor) {
  if (interceptor)
    state_->interceptors.push_back(std::move(interceptor));
}

void rpc_server::register_streaming_actor(std::string method, streaming_actor_factory factory) {
  register_streaming_actor(
    std::move(method),
    context_streaming_actor_factory{[fn = std::move(factory)](caf::actor_system& sys,
                                                               caf::actor connection, uint64_t id,
                                                               call_context) {
      return fn(sys, std::move(connection), id);
    }});
}

void rpc_server::register_streaming_actor(std::string method,
                                          context_streaming_actor_factory factory) {
  state_->handlers.set(std::move(method), std::move(factory));
}

caf::expected<socket_address> rpc_server::bind() {
  if (ep_)
    return ep_->local_address();
  if (auto err = cfg_.validate())
    return err;
  endpoint::options opts;
  opts.on_accept = [sys = &sys_, state = state_](connection_id id, const socket_address& peer) {
    auto ep = state->ep.lock();
    if (!ep)
      return caf::actor{};
    return spawn_server_connection(*sys, state, std::move(ep), id, peer);
  };
  auto ep = endpoint::start(sys_, cfg_.to_transport(true), std::move(opts));
  if (!ep)
    return std::move(ep.error());
  ep_ = std::move(*ep);
  state_->ep = ep_;
  return ep_->local_address();
}

caf::error rpc_server::start() {
  if (!ep_)
    if (auto addr = bind(); !addr)
      return std::move(addr.error());
  ep_->start_accepting();
  return {};
}

caf::expected<std::shared_ptr<in_process_hub>> rpc_server::in_process_hub_handle() {
  if (state_->draining)
    return make_error(error::connection, "the server was stopped");
  // Over QUIC bind() checks the settings; without TLS, its file rules do
  // not apply.
  if (!ep_ && !serves_in_process_)
    if (auto err = validate_without_tls(cfg_))
      return err;
  serves_in_process_ = true;
  return hub_;
}

void rpc_server::stop(std::chrono::milliseconds grace) {
  if (!ep_ && !serves_in_process_) {
    hub_->shutdown(); // ends its acceptor before the system goes
    return;
  }
  serves_in_process_ = false;
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + grace;
  state_->draining = true;
  // A stop with nothing in flight is routine (every server's destructor
  // stops it): only a drain that has calls to wait for is worth a line.
  auto waiting_for = state_->in_flight.load();
  std::string where = ep_ ? ep_->local_address().to_string() : "in process";
  if (waiting_for > 0)
    log_line(log_level::info, "server: draining at " + where + ": "
                                + std::to_string(waiting_for) + " calls in flight, grace "
                                + std::to_string(grace.count()) + " ms");
  if (ep_)
    ep_->stop_accepting();
  hub_->stop_accepting();
  bool drained = false;
  {
    std::unique_lock<std::mutex> guard{state_->idle_mtx};
    drained = state_->idle_cv.wait_until(guard, deadline,
                                         [this] { return state_->in_flight.load() == 0; });
  }
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
    std::chrono::steady_clock::now() - start);
  if (!drained)
    log_line(log_level::warn, "server: grace over at " + where + " with "
                                + std::to_string(state_->in_flight.load())
                                + " calls still in flight; closing their connections");
  else if (waiting_for > 0)
    log_line(log_level::info, "server: drained at " + where + " in "
                                + std::to_string(took.count()) + " ms");
  // Lingers for what is left of the grace until the replies are
  // acknowledged, then closes every connection; their actors see
  // connection_closed and quit.
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
    deadline - std::chrono::steady_clock::now());
  if (ep_)
    ep_->shutdown(std::max(left, std::chrono::milliseconds{0}));
  ep_.reset();
  // In-process bytes are delivered as they are written: nothing to linger for.
  hub_->shutdown();
}

caf::error rpc_server::reload_credentials(std::chrono::milliseconds timeout) {
  auto ep = ep_;
  if (!ep)
    return make_error(error::config, "the server has no QUIC endpoint (not bound, or "
                                     "stopped): no TLS credentials to reload");
  return ep->reload_credentials(timeout);
}

std::optional<socket_address> rpc_server::local_address() const {
  if (!ep_)
    return std::nullopt;
  return ep_->local_address();
}

size_t rpc_server::in_flight() const {
  return state_->in_flight.load();
}

uint64_t rpc_server::protocol_errors() const {
  return state_->protocol_errors.load();
}

uint64_t rpc_server::abandoned_calls() const {
  return state_->abandoned_calls.load();
}

uint64_t rpc_server::deadlines_exceeded() const {
  return state_->deadlines_exceeded.load();
}

transport_stats rpc_server::transport() const {
  auto stats = ep_ ? ep_->stats() : transport_stats{};
  auto local = hub_->stats();
  stats.connections_accepted += local.connections_accepted;
  stats.connections_refused += local.connections_refused;
  stats.connections_open += local.connections_open;
  stats.stream_protocol_errors += local.stream_protocol_errors;
  return stats;
}

} // namespace rpcnet
