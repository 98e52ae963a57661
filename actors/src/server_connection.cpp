#include "server_connection.hpp"

#include <chrono>
#include <exception>
#include <optional>
#include <unordered_map>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actor_stream.hpp"
#include "call_protocol.hpp"
#include "reply_writer.hpp"
#include "stream_inbound.hpp"
#include <rpcnet/transport/frame_codec.hpp>
#include <rpcnet/transport/error.hpp>

namespace rpcnet {

namespace {

/// A call whose frames are still arriving.
struct partial_call {
  std::optional<wire::call_header> header;
  std::optional<byte_buffer> body;
};

/// A streaming call being served: where its events go and how. The sink is
/// a stream_channel (a handler on the pool) or an actor_stream (a user's
/// actor).
struct streaming_call {
  std::shared_ptr<stream_sink> sink;
  stream_inbound inbound{false};
  actor_stream* by_actor = nullptr;
  uint64_t request_id = 0;
};

struct server_connection_state {
  std::shared_ptr<server_state> shared;
  std::shared_ptr<endpoint> ep;
  connection_id conn = 0;
  std::unordered_map<int64_t, partial_call> calls;
  std::unordered_map<int64_t, streaming_call> streams;
  static inline const char* name = "rpcnet.server_connection";
};

using self_ptr = caf::stateful_actor<server_connection_state>*;

/// What a call is answered with when the handler pool could start no
/// thread for it.
caf::error no_handler_thread() {
  return make_error(error::overloaded, "the server could not start a handler thread");
}

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

/// Forgets a streaming call once both directions are done. Calls served by
/// a pool handler are accounted by the handler; actor-served ones here.
void forget_if_done(server_connection_state& st,
                    std::unordered_map<int64_t, streaming_call>::iterator it) {
  auto& call = it->second;
  if (!call.sink->input_closed() || !call.sink->output_closed())
    return;
  if (call.by_actor)
    st.shared->call_finished();
  st.streams.erase(it);
}

/// The actor-served streaming call `id`, if it is still going.
streaming_call* actor_call(server_connection_state& st, uint64_t id) {
  auto it = st.streams.find(static_cast<int64_t>(id));
  return it == st.streams.end() || !it->second.by_actor ? nullptr : &it->second;
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

  /// Answers a unary request the transport stopped reading with `err`,
  /// naming the request when its CALL frame made it through.
  void fail_request(int64_t sid, caf::error err) {
    uint64_t rid = 0;
    if (auto it = st_.calls.find(sid); it != st_.calls.end() && it->second.header)
      rid = it->second.header->request_id;
    st_.calls.erase(sid);
    target(sid, rid).send_error(std::move(err));
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
      case stream_event::kind::protocol_error:
        st_.shared->protocol_errors.fetch_add(1, std::memory_order_relaxed);
        fail_request(ev.stream_id, make_error(error::protocol, ev.detail));
        return;
      case stream_event::kind::refused:
        // The transport dropped the request's bytes to keep a limit and
        // stopped reading (and counted it); the peer still hears why.
        fail_request(ev.stream_id, make_error(static_cast<error>(ev.refusal), ev.detail));
        return;
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
    if (auto bad = call.inbound.apply(*call.sink, ev); !bad.empty()) {
      // A refusal was counted by the transport; it broke no protocol.
      if (ev.what != stream_event::kind::refused)
        st_.shared->protocol_errors.fetch_add(1, std::memory_order_relaxed);
      st_.ep->submit(reset_stream_command{st_.conn, ev.stream_id, 0, app_error::protocol});
    }
    forget_if_done(st_, it);
  }

  void start_streaming(int64_t sid, wire::call_header header, stream_event& rest) {
    auto to = target(sid, header.request_id);
    auto refuse = [&](caf::error err) {
      // The caller may still be sending: stop reading, then answer.
      st_.ep->submit(stop_reading_command{st_.conn, sid, app_error::no_error});
      to.send_error(err);
    };
    if (st_.shared->draining.load(std::memory_order_relaxed)) {
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
    auto* factory = std::get_if<streaming_actor_factory>(&it->second);
    if (!handler && !factory) {
      refuse(make_error(error::unknown_method, "'" + header.method + "' is not a streaming method"));
      return;
    }
    st_.ep->submit(manual_credit_command{st_.conn, sid, 0});
    stream_channel::address addr{st_.ep, st_.conn, sid, 0};
    auto window = st_.ep->config().stream_window;
    if (factory) {
      auto id = static_cast<uint64_t>(sid);
      auto consumer = spawn_consumer(*factory, id);
      if (!consumer) {
        refuse(consumer.error());
        return;
      }
      st_.shared->call_started();
      auto sink = std::make_shared<actor_stream>(self_, addr, window, std::move(*consumer), id);
      auto* raw = sink.get();
      auto [pos, added] = st_.streams.emplace(
        sid, streaming_call{std::move(sink), stream_inbound{false}, raw, header.request_id});
      route(pos, rest);
      return;
    }
    auto ch = std::make_shared<stream_channel>(addr, window);
    auto request_id = header.request_id;
    st_.shared->call_started();
    // Posted before the stream is listed: the channel is thread-safe, and a
    // refused post then leaves nothing behind.
    if (!st_.shared->pool.post([fn = *handler, ch, header = std::move(header),
                                shared = st_.shared] {
          run_streaming_handler(fn, *ch, header, *shared);
        })) {
      st_.shared->call_finished();
      refuse(no_handler_thread());
      return;
    }
    auto [pos, added] = st_.streams.emplace(
      sid, streaming_call{ch, stream_inbound{false}, nullptr, request_id});
    route(pos, rest);
  }

  /// The actor a user's factory makes for streaming call `id`; the
  /// factory's exception, if it throws, as a remote error for the caller
  /// (it would otherwise end this actor and every call of the connection).
  caf::expected<caf::actor> spawn_consumer(const streaming_actor_factory& factory, uint64_t id) {
    try {
      return factory(self_->system(), caf::actor_cast<caf::actor>(self_), id);
    } catch (const std::exception& ex) {
      return make_error(error::remote,
                        std::string{"the stream's actor factory threw: "} + ex.what());
    } catch (...) {
      return make_error(error::remote, "the stream's actor factory threw");
    }
  }

  void dispatch(int64_t sid, wire::call_header header, byte_buffer body) {
    auto to = target(sid, header.request_id);
    if (st_.shared->draining.load(std::memory_order_relaxed)) {
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
      } else if (!shared->pool.post([handler = fn->fn, body = std::move(body), to,
                                     shared]() mutable {
                   run_function_handler(handler, std::move(body), to, *shared);
                 })) {
        to.send_error(no_handler_thread());
        shared->call_finished();
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
      for (auto& [sid, call] : self->state.streams) {
        call.sink->fail(make_error(error::connection, msg.reason));
        if (call.by_actor)
          self->state.shared->call_finished();
      }
      self->state.streams.clear();
      self->quit();
    },
    [self](demand_atom, uint64_t id, uint32_t n) {
      if (auto* call = actor_call(self->state, id))
        call->by_actor->demand(n);
    },
    [self](send_atom, uint64_t id, byte_buffer& message) -> caf::result<bool> {
      if (auto* call = actor_call(self->state, id))
        return call->by_actor->send(message);
      return make_error(error::stream, "no streaming call " + std::to_string(id));
    },
    [self](finish_atom, uint64_t id, caf::error& status) {
      auto it = self->state.streams.find(static_cast<int64_t>(id));
      if (it == self->state.streams.end() || !it->second.by_actor)
        return;
      byte_buffer tail;
      auto rid = it->second.request_id;
      wire::append_status(tail, status ? wire::status_from_error(status, rid)
                                       : wire::status{0, rid, {}});
      frame_encoder::append_end(tail);
      it->second.by_actor->finish(std::move(tail));
      forget_if_done(self->state, it);
    },
    [self](cancel_atom, uint64_t id) {
      auto it = self->state.streams.find(static_cast<int64_t>(id));
      if (it == self->state.streams.end() || !it->second.by_actor)
        return;
      it->second.by_actor->cancel();
      forget_if_done(self->state, it);
    },
  };
}

} // namespace

caf::actor spawn_server_connection(caf::actor_system& sys,
                                   std::shared_ptr<server_state> state,
                                   std::shared_ptr<endpoint> ep, connection_id conn) {
  return sys.spawn(server_connection, std::move(state), std::move(ep), conn);
}

} // namespace rpcnet
