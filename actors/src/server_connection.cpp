#include <rpcnet/actors/server_connection.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <unordered_map>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include <rpcnet/actors/call_protocol.hpp>
#include <rpcnet/actors/reply_writer.hpp>
#include <rpcnet/transport/error.hpp>

namespace rpcnet {

namespace {

/// A call whose frames are still arriving.
struct partial_call {
  std::optional<wire::call_header> header;
  std::optional<byte_buffer> body;
};

struct server_connection_state {
  std::shared_ptr<server_state> shared;
  std::shared_ptr<endpoint> ep;
  connection_id conn = 0;
  std::unordered_map<int64_t, partial_call> calls;
  bool draining = false;
  static inline const char* name = "rpcnet.server_connection";
};

using self_ptr = caf::stateful_actor<server_connection_state>*;

/// Runs a function handler and answers the call; on a pool thread or in a
/// one-shot actor (see handler_execution).
void run_function_handler(const unary_handler& handler, byte_buffer body,
                          const reply_target& target, server_state& shared) {
  caf::expected<byte_buffer> result{byte_buffer{}};
  try {
    result = handler(std::move(body));
  } catch (const std::exception& ex) {
    result = make_error(error::remote, ex.what());
  } catch (...) {
    result = make_error(error::remote, "handler threw a non-standard exception");
  }
  if (!result && !is_rpcnet_error(result.error()))
    result = make_error(error::remote, describe(result.error()));
  target.send(std::move(result));
  shared.call_finished();
}

/// The body of a one-shot handler actor (handler_execution::actor).
void run_handler_actor(caf::event_based_actor*, const unary_handler& handler, byte_buffer body,
                       const reply_target& target, const std::shared_ptr<server_state>& shared) {
  run_function_handler(handler, std::move(body), target, *shared);
}

/// Service actors report their own failures as rpcnet errors; anything CAF
/// says instead (the actor is gone, the request timed out) is the handler's
/// failure, not the connection's.
caf::error service_failure(caf::error err) {
  if (is_rpcnet_error(err))
    return err;
  auto code = code_of(err) == error::timeout ? error::timeout : error::remote;
  return make_error(code, "service actor failed: " + describe(err));
}

class connection_logic {
public:
  explicit connection_logic(self_ptr self) : self_(self), st_(self->state) {
  }

  void on_batch(connection_batch& batch) {
    for (auto& ev : batch.events)
      on_event(ev);
  }

private:
  reply_target target(int64_t sid, uint64_t request_id) {
    return reply_target{st_.ep, st_.conn, sid, request_id};
  }

  void reject(int64_t sid, uint64_t request_id, const std::string& why) {
    st_.shared->protocol_errors.fetch_add(1, std::memory_order_relaxed);
    st_.calls.erase(sid);
    st_.ep->submit(stop_reading_command{st_.conn, sid, app_error::protocol});
    target(sid, request_id).send_error(make_error(error::protocol, why));
  }

  void on_event(stream_event& ev) {
    switch (ev.what) {
      case stream_event::kind::reset:
        st_.calls.erase(ev.stream_id);
        return;
      case stream_event::kind::protocol_error: {
        // Name the request when its CALL frame made it through.
        uint64_t rid = 0;
        if (auto it = st_.calls.find(ev.stream_id); it != st_.calls.end() && it->second.header)
          rid = it->second.header->request_id;
        st_.shared->protocol_errors.fetch_add(1, std::memory_order_relaxed);
        st_.calls.erase(ev.stream_id);
        target(ev.stream_id, rid).send_error(make_error(error::protocol, ev.detail));
        return;
      }
      case stream_event::kind::progress:
        return; // unary calls are not paced
      case stream_event::kind::frames:
        break;
    }
    auto& call = st_.calls[ev.stream_id];
    for (auto& payload : ev.frames) {
      auto decoded = wire::decode(payload);
      auto rid = call.header ? call.header->request_id : 0;
      if (!decoded.value) {
        reject(ev.stream_id, rid, decoded.error);
        return;
      }
      if (auto* hdr = std::get_if<wire::call_header>(&*decoded.value); hdr && !call.header) {
        call.header = std::move(*hdr);
      } else if (auto* body = std::get_if<byte_buffer>(&*decoded.value);
                 body && call.header && !call.body) {
        call.body = std::move(*body);
      } else {
        reject(ev.stream_id, rid, "unexpected frame in a unary request");
        return;
      }
    }
    if (!ev.finished)
      return;
    if (!call.header || !call.body) {
      reject(ev.stream_id, call.header ? call.header->request_id : 0,
             "unary request ended before its CALL and DATA frames");
      return;
    }
    auto header = std::move(*call.header);
    auto body = std::move(*call.body);
    st_.calls.erase(ev.stream_id);
    dispatch(ev.stream_id, std::move(header), std::move(body));
  }

  void dispatch(int64_t sid, wire::call_header header, byte_buffer body) {
    auto to = target(sid, header.request_id);
    if (st_.draining || st_.shared->draining.load(std::memory_order_relaxed)) {
      to.send_error(make_error(error::cancelled, "server is shutting down"));
      return;
    }
    if (header.kind != wire::call_kind::unary) {
      to.send_error(make_error(error::unknown_method,
                               "no streaming handler for '" + header.method + "'"));
      return;
    }
    auto table = st_.shared->handlers.snapshot();
    auto it = table->find(header.method);
    if (it == table->end()) {
      to.send_error(make_error(error::unknown_method, "unknown method '" + header.method + "'"));
      return;
    }
    st_.shared->call_started();
    if (auto* fn = std::get_if<handler_registry::function_entry>(&it->second)) {
      auto shared = st_.shared;
      if (fn->execution == handler_execution::actor) {
        // Arguments rather than captures: CAF 0.17 binds a reference to a
        // null pointer (UBSan) when a function actor gets no arguments.
        self_->spawn(run_handler_actor, fn->fn, std::move(body), std::move(to), shared);
      } else {
        shared->pool.post([handler = fn->fn, body = std::move(body), to = std::move(to),
                           shared]() mutable {
          run_function_handler(handler, std::move(body), to, *shared);
        });
      }
      return;
    }
    auto service = std::get<service_actor>(it->second);
    auto timeout = header.timeout_ms > 0
                     ? caf::duration{std::chrono::milliseconds{header.timeout_ms}}
                     : caf::duration{caf::infinite};
    auto shared = st_.shared;
    self_->request(service, timeout, call_atom::value, header.method, std::move(body))
      .then(
        [to, shared](byte_buffer& reply) {
          to.send(std::move(reply));
          shared->call_finished();
        },
        [to, shared](caf::error& err) {
          to.send(service_failure(std::move(err)));
          shared->call_finished();
        });
  }

  self_ptr self_;
  server_connection_state& st_;
};

caf::behavior server_connection(self_ptr self, std::shared_ptr<server_state> shared,
                                std::shared_ptr<endpoint> ep, connection_id conn) {
  self->state.shared = std::move(shared);
  self->state.ep = std::move(ep);
  self->state.conn = conn;
  return {
    [self](connection_ready&) {},
    [self](connection_batch& batch) { connection_logic{self}.on_batch(batch); },
    [self](connection_closed&) {
      self->state.calls.clear();
      self->quit();
    },
    [self](drain_atom) { self->state.draining = true; },
  };
}

} // namespace

caf::actor spawn_server_connection(caf::actor_system& sys,
                                   std::shared_ptr<server_state> state,
                                   std::shared_ptr<endpoint> ep, connection_id conn) {
  return sys.spawn(server_connection, std::move(state), std::move(ep), conn);
}

} // namespace rpcnet
