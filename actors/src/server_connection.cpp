#include <rpcnet/actors/server_connection.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <unordered_map>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include <rpcnet/actors/call_protocol.hpp>
#include <rpcnet/actors/reply_writer.hpp>
#include <rpcnet/actors/stream_inbound.hpp>
#include <rpcnet/transport/frame_codec.hpp>
#include <rpcnet/transport/error.hpp>

namespace rpcnet {

namespace {

/// A call whose frames are still arriving.
struct partial_call {
  std::optional<wire::call_header> header;
  std::optional<byte_buffer> body;
};

/// A streaming call being served: its channel and how events reach it.
struct streaming_call {
  std::shared_ptr<stream_channel> channel;
  stream_inbound inbound{false};
};

struct server_connection_state {
  std::shared_ptr<server_state> shared;
  std::shared_ptr<endpoint> ep;
  connection_id conn = 0;
  std::unordered_map<int64_t, partial_call> calls;
  std::unordered_map<int64_t, streaming_call> streams;
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

/// Runs a streaming handler on a pool thread and ends the reply with its
/// outcome -- unless the call failed first (the caller cancelled or went
/// away), when there is nobody to tell.
void run_streaming_handler(const streaming_handler& handler, stream_channel& ch,
                           const wire::call_header& header, server_state& shared) {
  auto wait = header.timeout_ms > 0 ? stream_wait{std::chrono::milliseconds{header.timeout_ms}}
                                    : stream_wait::max();
  stream_reader requests{ch, wait};
  stream_writer responses{ch, wait};
  caf::error outcome;
  try {
    outcome = handler(requests, responses);
  } catch (const std::exception& ex) {
    outcome = make_error(error::remote, ex.what());
  } catch (...) {
    outcome = make_error(error::remote, "handler threw a non-standard exception");
  }
  if (!ch.failure()) {
    byte_buffer tail;
    wire::append_status(tail, outcome ? wire::status_from_error(outcome, header.request_id)
                                      : wire::status{0, header.request_id, {}});
    frame_encoder::append_end(tail);
    ch.finish(std::move(tail));
  }
  shared.call_finished();
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
    if (auto it = st_.streams.find(ev.stream_id); it != st_.streams.end()) {
      route(it, ev);
      return;
    }
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
    for (size_t i = 0; i < ev.frames.size(); ++i) {
      auto decoded = wire::decode(ev.frames[i]);
      auto rid = call.header ? call.header->request_id : 0;
      if (!decoded.value) {
        reject(ev.stream_id, rid, decoded.error);
        return;
      }
      if (auto* hdr = std::get_if<wire::call_header>(&*decoded.value); hdr && !call.header) {
        if (hdr->kind != wire::call_kind::unary) {
          // A streaming call starts at its CALL frame; the rest of the
          // event already belongs to it.
          auto header = std::move(*hdr);
          st_.calls.erase(ev.stream_id);
          ev.frames.erase(ev.frames.begin(), ev.frames.begin() + static_cast<ptrdiff_t>(i) + 1);
          start_streaming(ev.stream_id, std::move(header), ev);
          return;
        }
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

  /// Hands a streaming call's event to its channel and forgets the call
  /// once both directions are done.
  void route(std::unordered_map<int64_t, streaming_call>::iterator it, stream_event& ev) {
    auto& call = it->second;
    if (auto bad = call.inbound.apply(*call.channel, ev); !bad.empty()) {
      st_.shared->protocol_errors.fetch_add(1, std::memory_order_relaxed);
      st_.ep->submit(reset_stream_command{st_.conn, ev.stream_id, 0, app_error::protocol});
    }
    if (call.channel->input_closed() && call.channel->output_closed())
      st_.streams.erase(it);
  }

  void start_streaming(int64_t sid, wire::call_header header, stream_event& rest) {
    auto to = target(sid, header.request_id);
    auto refuse = [&](caf::error err) {
      // The caller may still be sending: stop reading, then answer.
      st_.ep->submit(stop_reading_command{st_.conn, sid, app_error::no_error});
      to.send_error(err);
    };
    if (st_.draining || st_.shared->draining.load(std::memory_order_relaxed)) {
      refuse(make_error(error::cancelled, "server is shutting down"));
      return;
    }
    auto table = st_.shared->handlers.snapshot();
    auto it = table->find(header.method);
    if (it == table->end()) {
      refuse(make_error(error::unknown_method, "unknown method '" + header.method + "'"));
      return;
    }
    auto* handler = std::get_if<streaming_handler>(&it->second);
    if (!handler) {
      refuse(make_error(error::unknown_method, "'" + header.method + "' is not a streaming method"));
      return;
    }
    st_.ep->submit(manual_credit_command{st_.conn, sid, 0});
    auto ch = std::make_shared<stream_channel>(stream_channel::address{st_.ep, st_.conn, sid, 0},
                                               st_.ep->config().stream_window);
    auto [pos, added] = st_.streams.emplace(sid, streaming_call{ch});
    st_.shared->call_started();
    st_.shared->pool.post([fn = *handler, ch, header = std::move(header), shared = st_.shared] {
      run_streaming_handler(fn, *ch, header, *shared);
    });
    route(pos, rest);
  }

  void dispatch(int64_t sid, wire::call_header header, byte_buffer body) {
    auto to = target(sid, header.request_id);
    if (st_.draining || st_.shared->draining.load(std::memory_order_relaxed)) {
      to.send_error(make_error(error::cancelled, "server is shutting down"));
      return;
    }
    auto table = st_.shared->handlers.snapshot();
    auto it = table->find(header.method);
    if (it == table->end()) {
      to.send_error(make_error(error::unknown_method, "unknown method '" + header.method + "'"));
      return;
    }
    if (std::holds_alternative<streaming_handler>(it->second)) {
      to.send_error(make_error(error::unknown_method,
                               "'" + header.method + "' is a streaming method"));
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
    [self](connection_closed& msg) {
      self->state.calls.clear();
      for (auto& [sid, call] : self->state.streams)
        call.channel->fail(make_error(error::connection, msg.reason));
      self->state.streams.clear();
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
