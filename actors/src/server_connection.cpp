#include "server_connection.hpp"

#include <chrono>
#include <exception>
#include <optional>
#include <unordered_map>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actor_stream.hpp"
#include "call_context_state.hpp"
#include "call_protocol.hpp"
#include "interceptor_chain.hpp"
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

using clock = call_context::clock;

/// A stream's deadline passed on the server: (stream_deadline_atom, stream).
using stream_deadline_atom = caf::atom_constant<caf::atom("sdeadline")>;

/// A unary call handed to its handler. Whoever answers it first -- the
/// handler, or the server giving up on it (the caller cancelled or left,
/// the deadline passed) -- claims it; the other's answer is dropped.
struct running_call {
  running_call(call_context c, reply_target t) : ctx(std::move(c)), target(std::move(t)) {
  }

  call_context ctx;
  reply_target target;
  clock::time_point started = clock::now();
  /// Interceptors whose before() ran: their after() runs at the end.
  size_t intercepted = 0;
  /// The deadline's entry in the server's watcher (0: none). Set before
  /// the handler is posted, so its thread sees it.
  deadline_watcher::ticket ticket = 0;
  /// Tells a context service actor when the call is given up; dropped
  /// once it answered. Set and dropped on the connection actor (function
  /// handlers' calls leave it empty).
  cancel_subscription service_link;
  std::atomic<bool> answered{false};

  bool claim() {
    return !answered.exchange(true, std::memory_order_acq_rel);
  }
};

/// A streaming call being served: where its events go and how. The sink is
/// a stream_channel (a handler on the pool) or an actor_stream (a user's
/// actor).
struct streaming_call {
  std::shared_ptr<stream_sink> sink;
  stream_inbound inbound{false};
  actor_stream* by_actor = nullptr;
  uint64_t request_id = 0;
  call_context ctx;
  deadline_watcher::ticket ticket = 0;
  /// Actor-served calls: interceptors whose before() ran, the start, and
  /// the outcome the actor finished with.
  size_t intercepted = 0;
  clock::time_point started = clock::now();
  call_shape shape = call_shape::bidi_streaming;
  caf::error outcome;
  /// Actor-served calls: the actor finished or cancelled the call.
  bool ended_by_actor = false;
};

struct server_connection_state {
  std::shared_ptr<server_state> shared;
  std::shared_ptr<call_transport> ep;
  connection_id conn = 0;
  socket_address peer;
  /// The client's verified certificate (mutual TLS), from connection_ready.
  std::shared_ptr<const peer_identity> identity;
  std::unordered_map<int64_t, partial_call> calls;
  std::unordered_map<int64_t, streaming_call> streams;
  /// Unary calls handed to handlers, for cancelling them when their
  /// caller resets the stream or the connection closes. Answered calls
  /// are swept out once the map has doubled since the last sweep.
  std::unordered_map<int64_t, std::shared_ptr<running_call>> running;
  size_t sweep_at = 64;
  static inline const char* name = "rpcnet.server_connection";
};

using self_ptr = caf::stateful_actor<server_connection_state>*;

call_shape shape_of(wire::call_kind kind) {
  switch (kind) {
    case wire::call_kind::unary: return call_shape::unary;
    case wire::call_kind::bidi_streaming: return call_shape::bidi_streaming;
    case wire::call_kind::server_streaming: return call_shape::server_streaming;
    case wire::call_kind::client_streaming: return call_shape::client_streaming;
  }
  return call_shape::unary;
}

/// Ends a unary call with the handler's `result`, unless the server gave
/// up on it first; runs the after-hooks either way.
void finish_unary(running_call& call, caf::expected<byte_buffer> result, server_state& shared) {
  // First: a service that answered hears of no cancellation after.
  call.service_link.reset();
  if (call.ticket != 0)
    shared.deadlines.forget(call.ticket);
  if (!result && !is_rpcnet_error(result.error()))
    result = make_error(error::remote, describe(result.error()));
  bool mine = call.claim();
  caf::error outcome;
  if (!mine)
    // Given up on: the context may be a moment from being cancelled.
    outcome = call.ctx.cancelled() ? call.ctx.cancellation()
                                   : make_error(error::cancelled, "the server gave up the call");
  else if (!result)
    outcome = result.error();
  if (mine && result)
    call.ctx.shared_state()->response_bytes = result->size();
  if (mine)
    call.target.send(std::move(result), call.ctx.trailers(), shared.max_metadata_size);
  run_after(shared.interceptors, call.intercepted, call.started, call.ctx, call_shape::unary,
            outcome);
  if (mine)
    shared.call_finished();
}

/// Why the server gives a call up at its deadline.
caf::error deadline_passed() {
  return make_error(error::timeout, "the call's deadline passed on the server");
}

/// Gives up on a unary call: cancels its context and, unless it was
/// answered already, counts it and stops counting it as in flight. A call
/// whose deadline passed (`why` is `timeout`) is answered with `why` and
/// counted in deadlines_exceeded too; nobody listens on a stream whose
/// caller reset it or went away.
void abandon(running_call& call, caf::error why, server_state& shared) {
  // Claimed and counted before the context is cancelled: cancelling runs
  // the handler's callbacks, and a handler that returns at once must find
  // the call given up and counted already.
  bool mine = call.claim();
  bool expired = code_of(why) == error::timeout;
  if (mine) {
    if (expired)
      shared.deadlines_exceeded.fetch_add(1, std::memory_order_relaxed);
    shared.abandoned_calls.fetch_add(1, std::memory_order_relaxed);
  }
  call.ctx.shared_state()->cancel(why);
  if (!mine)
    return;
  if (expired)
    call.target.send_error(why);
  shared.call_finished();
}

/// What a call is answered with when the handler pool could start no
/// thread for it.
caf::error no_handler_thread() {
  return make_error(error::overloaded, "the server could not start a handler thread");
}

/// Runs a function handler, after the interceptors, and answers the call;
/// on a pool thread or in a one-shot actor (see handler_execution). A call
/// given up before its turn came does not run.
void run_function_handler(const context_unary_handler& handler, byte_buffer body,
                          running_call& call, server_state& shared) {
  caf::expected<byte_buffer> result{byte_buffer{}};
  if (auto refusal = run_before(shared.interceptors, call.intercepted, call.ctx,
                                call_shape::unary)) {
    result = std::move(refusal);
  } else if (call.ctx.cancelled()) {
    result = call.ctx.cancellation();
  } else {
    try {
      result = handler(call.ctx, std::move(body));
    } catch (const std::exception& ex) {
      result = make_error(error::remote, ex.what());
    } catch (...) {
      result = make_error(error::remote, "handler threw a non-standard exception");
    }
  }
  finish_unary(call, std::move(result), shared);
}

/// The body of a one-shot handler actor (handler_execution::actor).
void run_handler_actor(caf::event_based_actor*, const context_unary_handler& handler,
                       byte_buffer body, const std::shared_ptr<running_call>& call,
                       const std::shared_ptr<server_state>& shared) {
  run_function_handler(handler, std::move(body), *call, *shared);
}

/// Runs a streaming handler on a pool thread, after the interceptors, and
/// ends the reply with its outcome -- unless the call failed first (the
/// caller cancelled or went away), when there is nobody to tell.
void run_streaming_handler(const context_streaming_handler& handler, stream_channel& ch,
                           uint32_t wait_ms, uint64_t request_id, call_context& ctx,
                           call_shape shape, server_state& shared) {
  auto started = clock::now();
  auto wait = wait_ms > 0 ? stream_wait{std::chrono::milliseconds{wait_ms}} : stream_wait::max();
  stream_reader requests{ch, wait};
  stream_writer responses{ch, wait};
  size_t intercepted = 0;
  caf::error outcome = run_before(shared.interceptors, intercepted, ctx, shape);
  if (!outcome) {
    try {
      outcome = handler(ctx, requests, responses);
    } catch (const std::exception& ex) {
      outcome = make_error(error::remote, ex.what());
    } catch (...) {
      outcome = make_error(error::remote, "handler threw a non-standard exception");
    }
  }
  if (auto failure = ch.failure())
    outcome = failure;
  else
    ch.finish(encode_reply_end(outcome, request_id, ctx.trailers(), shared.max_metadata_size));
  run_after(shared.interceptors, intercepted, started, ctx, shape, outcome);
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

/// True while a streaming call's handler has not ended its reply and the
/// call has not failed: a pool handler's channel is finished when its
/// function returns; an actor ends the call with finish or cancel (whose
/// last bytes may still wait for the window).
bool handler_running(const streaming_call& call) {
  return !call.ended_by_actor && !call.sink->output_closed();
}

/// The server gives a streaming call up with `why` (its caller reset it or
/// went away, its deadline passed): cancels its context, and counts it as
/// abandoned when its handler had not ended the reply. Failing the sink is
/// the caller's.
void give_up_stream(streaming_call& call, caf::error why, server_state& shared) {
  if (handler_running(call))
    shared.abandoned_calls.fetch_add(1, std::memory_order_relaxed);
  call.ctx.shared_state()->cancel(std::move(why));
}

/// Forgets a streaming call once both directions are done. Calls served by
/// a pool handler are accounted by the handler; actor-served ones here.
void forget_if_done(server_connection_state& st,
                    std::unordered_map<int64_t, streaming_call>::iterator it) {
  auto& call = it->second;
  if (!call.sink->input_closed() || !call.sink->output_closed())
    return;
  if (call.ticket != 0)
    st.shared->deadlines.forget(call.ticket);
  if (call.by_actor) {
    run_after(st.shared->interceptors, call.intercepted, call.started, call.ctx, call.shape,
              call.outcome);
    st.shared->call_finished();
  }
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
        if (auto it = st_.running.find(ev.stream_id); it != st_.running.end()) {
          abandon(*it->second, make_error(error::cancelled, "the caller cancelled the call"),
                  *st_.shared);
          st_.running.erase(it);
        }
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
      auto decoded = wire::decode(ev.frames[i], st_.shared->max_metadata_size);
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
    if (ev.what == stream_event::kind::reset)
      give_up_stream(call, make_error(error::cancelled, "the caller cancelled the call"),
                     *st_.shared);
    if (auto bad = call.inbound.apply(*call.sink, ev); !bad.empty()) {
      call.ctx.shared_state()->cancel(make_error(error::protocol, bad));
      // A refusal was counted by the transport; it broke no protocol.
      if (ev.what != stream_event::kind::refused)
        st_.shared->protocol_errors.fetch_add(1, std::memory_order_relaxed);
      st_.ep->submit(reset_stream_command{st_.conn, ev.stream_id, 0, app_error::protocol});
    }
    forget_if_done(st_, it);
  }

  /// The context of a call that arrives now.
  call_context context_for(wire::call_header& header) {
    return make_call_context(std::move(header.method), std::move(header.metadata),
                             header.deadline_ms, st_.peer, st_.identity);
  }

  /// A call whose caller's deadline had already passed when it arrived.
  static bool arrived_late(const wire::call_header& header) {
    return header.deadline_ms && *header.deadline_ms == 0;
  }

  caf::error late_arrival() {
    st_.shared->deadlines_exceeded.fetch_add(1, std::memory_order_relaxed);
    return make_error(error::timeout, "the caller's deadline had passed when the call arrived");
  }

  void start_streaming(int64_t sid, wire::call_header header, stream_event& rest) {
    auto to = target(sid, header.request_id);
    // Refusals after the interceptors ran carry the trailers they set.
    auto refuse = [&](caf::error err, const call_metadata& trailers = {}) {
      // The caller may still be sending: stop reading, then answer.
      st_.ep->submit(stop_reading_command{st_.conn, sid, app_error::no_error});
      to.send(std::move(err), trailers, st_.shared->max_metadata_size);
    };
    if (st_.shared->draining.load(std::memory_order_relaxed)) {
      refuse(make_error(error::cancelled, "server is shutting down"));
      return;
    }
    if (arrived_late(header)) {
      refuse(late_arrival());
      return;
    }
    auto table = st_.shared->handlers.snapshot();
    auto it = table->find(header.method);
    if (it == table->end()) {
      refuse(make_error(error::unknown_method, "unknown method '" + header.method + "'"));
      return;
    }
    auto* handler = std::get_if<context_streaming_handler>(&it->second);
    auto* factory = std::get_if<context_streaming_actor_factory>(&it->second);
    if (!handler && !factory) {
      refuse(make_error(error::unknown_method, "'" + header.method + "' is not a streaming method"));
      return;
    }
    auto shape = shape_of(header.kind);
    auto request_id = header.request_id;
    auto wait_ms = header.wait_ms;
    auto ctx = context_for(header);
    st_.ep->submit(manual_credit_command{st_.conn, sid, 0});
    stream_channel::address addr{st_.ep, st_.conn, sid, 0};
    auto window = st_.ep->config().stream_window;
    streaming_call call;
    call.request_id = request_id;
    call.ctx = ctx;
    call.shape = shape;
    if (factory) {
      // An actor serves the call: the hooks run here, on this actor.
      if (auto refusal = run_before(st_.shared->interceptors, call.intercepted, call.ctx,
                                    shape)) {
        run_after(st_.shared->interceptors, call.intercepted, call.started, call.ctx, shape,
                  refusal);
        refuse(refusal, call.ctx.trailers());
        return;
      }
      auto id = static_cast<uint64_t>(sid);
      auto consumer = spawn_consumer(*factory, id, call.ctx);
      if (!consumer) {
        refuse(consumer.error(), call.ctx.trailers());
        return;
      }
      st_.shared->call_started();
      auto sink = std::make_shared<actor_stream>(self_, addr, window, std::move(*consumer), id);
      call.by_actor = sink.get();
      call.sink = std::move(sink);
    } else {
      auto ch = std::make_shared<stream_channel>(addr, window);
      st_.shared->call_started();
      // Posted before the stream is listed: the channel is thread-safe, and a
      // refused post then leaves nothing behind.
      if (!st_.shared->pool.post([fn = *handler, ch, wait_ms, request_id, ctx, shape,
                                  shared = st_.shared]() mutable {
            run_streaming_handler(fn, *ch, wait_ms, request_id, ctx, shape, *shared);
          })) {
        st_.shared->call_finished();
        refuse(no_handler_thread());
        return;
      }
      call.sink = std::move(ch);
    }
    // A weak handle, so that a stream's deadline keeps no actor alive.
    if (auto due = ctx.deadline())
      call.ticket = st_.shared->deadlines.watch(
        *due, [weak = caf::actor_cast<caf::weak_actor_ptr>(self_), sid] {
          if (auto self = caf::actor_cast<caf::actor>(weak))
            caf::anon_send(self, stream_deadline_atom::value, sid);
        });
    auto [pos, added] = st_.streams.emplace(sid, std::move(call));
    route(pos, rest);
  }

  /// The actor a user's factory makes for streaming call `id`; the
  /// factory's exception, if it throws, as a remote error for the caller
  /// (it would otherwise end this actor and every call of the connection).
  caf::expected<caf::actor> spawn_consumer(const context_streaming_actor_factory& factory,
                                           uint64_t id, const call_context& ctx) {
    try {
      return factory(self_->system(), caf::actor_cast<caf::actor>(self_), id, ctx);
    } catch (const std::exception& ex) {
      return make_error(error::remote,
                        std::string{"the stream's actor factory threw: "} + ex.what());
    } catch (...) {
      return make_error(error::remote, "the stream's actor factory threw");
    }
  }

  /// Lists a unary call handed to its handler, sweeping out answered ones
  /// once the list has doubled.
  void track(int64_t sid, std::shared_ptr<running_call> call) {
    if (st_.running.size() >= st_.sweep_at) {
      std::erase_if(st_.running, [](const auto& entry) {
        return entry.second->answered.load(std::memory_order_acquire);
      });
      st_.sweep_at = std::max<size_t>(64, 2 * st_.running.size());
    }
    st_.running[sid] = std::move(call);
  }

  void dispatch(int64_t sid, wire::call_header header, byte_buffer body) {
    auto to = target(sid, header.request_id);
    if (st_.shared->draining.load(std::memory_order_relaxed)) {
      to.send_error(make_error(error::cancelled, "server is shutting down"));
      return;
    }
    if (arrived_late(header)) {
      to.send_error(late_arrival());
      return;
    }
    auto table = st_.shared->handlers.snapshot();
    auto it = table->find(header.method);
    if (it == table->end()) {
      to.send_error(make_error(error::unknown_method, "unknown method '" + header.method + "'"));
      return;
    }
    if (std::holds_alternative<context_streaming_handler>(it->second)
        || std::holds_alternative<context_streaming_actor_factory>(it->second)) {
      to.send_error(make_error(error::unknown_method,
                               "'" + header.method + "' is a streaming method"));
      return;
    }
    auto shared = st_.shared;
    auto call = std::make_shared<running_call>(context_for(header), std::move(to));
    call->ctx.shared_state()->request_bytes = body.size();
    shared->call_started();
    if (auto due = call->ctx.deadline())
      call->ticket = shared->deadlines.watch(
        *due, [call, raw = shared.get()] { abandon(*call, deadline_passed(), *raw); });
    track(sid, call);
    if (auto* fn = std::get_if<handler_registry::function_entry>(&it->second)) {
      if (fn->execution == handler_execution::actor) {
        // Arguments rather than captures: CAF 0.17 binds a reference to a
        // null pointer (UBSan) when a function actor gets no arguments.
        self_->spawn(run_handler_actor, fn->fn, std::move(body), call, shared);
      } else if (!shared->pool.post([handler = fn->fn, body = std::move(body), call,
                                     shared]() mutable {
                   run_function_handler(handler, std::move(body), *call, *shared);
                 })) {
        finish_unary(*call, no_handler_thread(), *shared);
      }
      return;
    }
    // A service actor: the hooks run here, on this actor.
    if (auto refusal = run_before(shared->interceptors, call->intercepted, call->ctx,
                                  call_shape::unary)) {
      finish_unary(*call, std::move(refusal), *shared);
      return;
    }
    if (auto* plain = std::get_if<service_actor>(&it->second)) {
      ask_service(*plain, call, std::move(body));
      return;
    }
    auto service = std::get<context_service_actor>(it->second);
    ask_service(service, call, std::move(body), call->ctx);
    // After the call, so that the cancellation arrives behind it; at once
    // if the call was given up already. The callback lives in the context,
    // which the service may keep (or pass on to an actor it asks), so it
    // holds the service weakly: a strong handle there would keep an actor
    // that keeps the context alive forever.
    call->service_link = call->ctx.on_cancel(
      [weak = caf::actor_cast<caf::weak_actor_ptr>(service), id = call->ctx.id()] {
        if (auto strong = caf::actor_cast<caf::actor>(weak))
          caf::anon_send(strong, cancel_atom::value, id);
      });
  }

  /// Asks a service actor for the answer to `call`: (call_atom, method,
  /// request, extra...). The request is bounded by the call's deadline, and
  /// CAF's timeout then gives the call up as the deadline watcher does --
  /// whichever comes first, the call ends the same way.
  template <class Service, class... Extra>
  void ask_service(const Service& service, const std::shared_ptr<running_call>& call,
                   byte_buffer body, const Extra&... extra) {
    auto shared = st_.shared;
    auto left = call->ctx.remaining();
    auto timeout = left == clock::duration::max() ? caf::duration{caf::infinite}
                                                  : caf::duration{left};
    const auto& boundary = shared->boundary;
    self_->request(service, timeout, call_atom::value, call->ctx.method(), std::move(body),
                   extra...)
      .then(boundary.guard(self_,
                           [call, shared](byte_buffer& reply) {
                             finish_unary(*call, std::move(reply), *shared);
                           }),
            boundary.guard(self_, [call, shared](caf::error& err) {
              if (code_of(err) == error::timeout
                  && call->ctx.remaining() == clock::duration::zero())
                abandon(*call, deadline_passed(), *shared);
              finish_unary(*call, service_failure(std::move(err)), *shared);
            }));
  }

  self_ptr self_;
  server_connection_state& st_;
};

caf::behavior server_connection(self_ptr self, std::shared_ptr<server_state> shared,
                                std::shared_ptr<call_transport> ep, connection_id conn,
                                socket_address peer) {
  self->state.shared = std::move(shared);
  self->state.ep = std::move(ep);
  self->state.conn = conn;
  self->state.peer = std::move(peer);
  return self->state.shared->boundary.behavior<caf::behavior>(
    self,
    [self](connection_ready& ready) {
      if (ready.identity)
        self->state.identity = std::make_shared<const peer_identity>(std::move(*ready.identity));
    },
    [self](connection_batch& batch) { connection_logic{self}.on_batch(batch); },
    [self](connection_closed& msg) {
      auto& st = self->state;
      auto gone = make_error(error::connection, msg.reason);
      st.calls.clear();
      for (auto& [sid, call] : st.running)
        abandon(*call, gone, *st.shared);
      st.running.clear();
      for (auto& [sid, call] : st.streams) {
        give_up_stream(call, gone, *st.shared);
        call.sink->fail(gone);
        if (call.ticket != 0)
          st.shared->deadlines.forget(call.ticket);
        if (call.by_actor)
          st.shared->call_finished();
      }
      st.streams.clear();
      self->quit();
    },
    [self](stream_deadline_atom, int64_t sid) {
      auto& st = self->state;
      auto it = st.streams.find(sid);
      if (it == st.streams.end())
        return;
      auto expired = deadline_passed();
      st.shared->deadlines_exceeded.fetch_add(1, std::memory_order_relaxed);
      it->second.ticket = 0;
      give_up_stream(it->second, expired, *st.shared);
      it->second.outcome = expired;
      it->second.sink->fail(expired);
      st.ep->submit(reset_stream_command{st.conn, sid, 0, app_error::cancelled});
      forget_if_done(st, it);
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
      auto& call = it->second;
      call.outcome = status;
      call.ended_by_actor = true;
      call.by_actor->finish(encode_reply_end(status, call.request_id, call.ctx.trailers(),
                                             self->state.shared->max_metadata_size));
      forget_if_done(self->state, it);
    },
    [self](cancel_atom, uint64_t id) {
      auto it = self->state.streams.find(static_cast<int64_t>(id));
      if (it == self->state.streams.end() || !it->second.by_actor)
        return;
      it->second.outcome = make_error(error::cancelled, "the server's actor cancelled the call");
      it->second.ended_by_actor = true;
      it->second.by_actor->cancel();
      forget_if_done(self->state, it);
    });
}

} // namespace

caf::actor spawn_server_connection(caf::actor_system& sys,
                                   std::shared_ptr<server_state> state,
                                   std::shared_ptr<call_transport> ep, connection_id conn,
                                   socket_address peer) {
  return sys.spawn(server_connection, std::move(state), std::move(ep), conn, std::move(peer));
}

} // namespace rpcnet
