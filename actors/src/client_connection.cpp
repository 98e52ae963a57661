#include <rpcnet/actors/client_connection.hpp>

#include <chrono>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "actor_stream.hpp"
#include "call_protocol.hpp"
#include "stream_inbound.hpp"
#include <rpcnet/transport/error.hpp>
#include <rpcnet/transport/frame_codec.hpp>

namespace rpcnet {

namespace {

/// The earliest deadline of the calls in flight came: (timeout_atom).
using timeout_atom = caf::atom_constant<caf::atom("timeout")>;

/// The actor as it is spawned: the public interface, the transport's
/// events and the deadline timer. Callers get the rpc_client_actor view,
/// which cannot send the last two.
using client_connection_actor
  = rpc_client_actor::extend<caf::reacts_to<timeout_atom>, caf::reacts_to<connection_ready>,
                             caf::reacts_to<connection_batch>, caf::reacts_to<connection_closed>>;

using deadline_clock = std::chrono::steady_clock;

struct pending_call {
  caf::typed_response_promise<byte_buffer> promise;
  deadline_clock::time_point deadline;
  std::optional<byte_buffer> body;
  std::optional<wire::status> status;
  /// The caller's name for the call, for cancelling it (0: none).
  call_key key;
};

/// A streaming call in progress: where its events go and how. The sink is
/// a stream_channel (plain threads) or an actor_stream (actors).
struct client_stream_call {
  std::shared_ptr<stream_sink> sink;
  stream_inbound inbound{true};
  /// Set when actors drive the call.
  actor_stream* by_actor = nullptr;
};

struct client_state {
  std::shared_ptr<endpoint> ep;
  rpc_config cfg{"", ""};
  connection_id conn = 0;
  bool ready = false;
  /// Set once the connection is gone; every later call fails with it.
  caf::error closed;
  uint64_t next_request_id = 1;
  std::unordered_map<uint64_t, pending_call> calls;
  std::unordered_map<uint64_t, client_stream_call> streams;
  /// Deadlines of the calls in flight, earliest first. One timer message
  /// serves them all: a delayed message per call would keep every call's
  /// timer alive in CAF's clock for the whole timeout, millions of entries
  /// at full load.
  std::set<std::pair<deadline_clock::time_point, uint64_t>> deadlines;
  /// When the pending timer message fires; max() when none is pending.
  deadline_clock::time_point timer_due = deadline_clock::time_point::max();
  std::vector<caf::typed_response_promise<bool>> ready_waiters;
  static inline const char* name = "rpcnet.client_connection";
};

using self_ptr = client_connection_actor::stateful_pointer<client_state>;

/// Forgets a call that has been answered.
void finish_call(self_ptr self, std::unordered_map<uint64_t, pending_call>::iterator it) {
  self->state.deadlines.erase({it->second.deadline, it->first});
  self->state.calls.erase(it);
}

/// Makes sure a timer message arrives by `due`.
void arm_timer(self_ptr self, deadline_clock::time_point due) {
  auto& st = self->state;
  if (due >= st.timer_due)
    return;
  st.timer_due = due;
  auto delay = due - deadline_clock::now();
  self->delayed_send(self, std::max(delay, deadline_clock::duration::zero()),
                     timeout_atom::value);
}

void fail_call(self_ptr self, uint64_t id, caf::error err, bool reset_stream) {
  auto it = self->state.calls.find(id);
  if (it == self->state.calls.end())
    return;
  it->second.promise.deliver(std::move(err));
  finish_call(self, it);
  if (reset_stream)
    self->state.ep->submit(
      reset_stream_command{self->state.conn, -1, id, app_error::cancelled});
}

/// Hands a streaming call's event to its channel; forgets the call once
/// both directions are done.
void route_stream(self_ptr self, std::unordered_map<uint64_t, client_stream_call>::iterator it,
                  stream_event& ev) {
  auto& call = it->second;
  if (auto bad = call.inbound.apply(*call.sink, ev); !bad.empty())
    self->state.ep->submit(
      reset_stream_command{self->state.conn, -1, it->first, app_error::protocol});
  if (call.sink->input_closed() && call.sink->output_closed())
    self->state.streams.erase(it);
}

/// Fails every call and stream with `err`.
void fail_everything(self_ptr self, const caf::error& err) {
  auto& st = self->state;
  for (auto& [id, call] : st.calls)
    call.promise.deliver(err);
  st.calls.clear();
  st.deadlines.clear();
  for (auto& [id, call] : st.streams)
    call.sink->fail(err);
  st.streams.clear();
}

/// Applies one stream event to its call; finishes the call when complete.
void on_event(self_ptr self, stream_event& ev) {
  if (auto s = self->state.streams.find(ev.token); s != self->state.streams.end()) {
    route_stream(self, s, ev);
    return;
  }
  auto it = self->state.calls.find(ev.token);
  if (it == self->state.calls.end())
    return; // timed out or cancelled already
  auto id = ev.token;
  switch (ev.what) {
    case stream_event::kind::reset:
      fail_call(self, id,
                make_error(error::stream, ev.detail + " (code " + std::to_string(ev.app_code)
                                            + ")"),
                false);
      return;
    case stream_event::kind::protocol_error:
      fail_call(self, id, make_error(error::protocol, ev.detail), true);
      return;
    case stream_event::kind::refused:
      // This side's transport gave up the reply to keep a limit.
      fail_call(self, id, make_error(static_cast<error>(ev.refusal), ev.detail), true);
      return;
    case stream_event::kind::progress:
      return; // unary calls are not paced
    case stream_event::kind::frames:
      break;
  }
  auto& call = it->second;
  for (auto& payload : ev.frames) {
    auto decoded = wire::decode(payload);
    std::string bad;
    if (!decoded.value)
      bad = decoded.error;
    else if (auto* body = std::get_if<byte_buffer>(&*decoded.value); body && !call.body && !call.status)
      call.body = std::move(*body);
    else if (auto* st = std::get_if<wire::status>(&*decoded.value); st && !call.status)
      call.status = std::move(*st);
    else
      bad = "unexpected frame in a unary reply";
    if (bad.empty() && call.status && call.status->request_id != id)
      bad = "reply names request " + std::to_string(call.status->request_id);
    if (!bad.empty()) {
      fail_call(self, id, make_error(error::protocol, bad), true);
      return;
    }
  }
  if (!ev.finished)
    return;
  if (!call.status) {
    fail_call(self, id, make_error(error::protocol, "reply ended without a STATUS frame"), false);
  } else if (!call.status->ok()) {
    fail_call(self, id, wire::error_from_status(*call.status), false);
  } else if (!call.body) {
    fail_call(self, id, make_error(error::protocol, "ok reply without a DATA frame"), false);
  } else {
    call.promise.deliver(std::move(*call.body));
    finish_call(self, it);
  }
}

/// Sends the CALL frame of a streaming call; returns its id.
caf::expected<uint64_t> open_streaming_call(self_ptr self, std::string& method, uint8_t kind) {
  auto& st = self->state;
  if (st.closed)
    return st.closed;
  if (method.empty() || method.size() > wire::max_method_size)
    return make_error(error::config, "method names are 1 to "
                                       + std::to_string(wire::max_method_size) + " bytes");
  if (kind < static_cast<uint8_t>(wire::call_kind::bidi_streaming)
      || kind > static_cast<uint8_t>(wire::call_kind::client_streaming))
    return make_error(error::config, "not a streaming call kind");
  auto id = st.next_request_id++;
  wire::call_header hdr;
  hdr.kind = static_cast<wire::call_kind>(kind);
  hdr.request_id = id;
  hdr.method = std::move(method);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(st.cfg.call_timeout);
  hdr.timeout_ms = static_cast<uint32_t>(std::clamp<int64_t>(ms.count(), 1, UINT32_MAX));
  byte_buffer out;
  wire::append_call(out, hdr);
  st.ep->submit(open_stream_command{st.conn, id, std::move(out), false, true});
  return id;
}

/// The actor-driven streaming call `id`, or null.
actor_stream* actor_stream_of(self_ptr self, uint64_t id) {
  auto it = self->state.streams.find(id);
  if (it == self->state.streams.end())
    return nullptr;
  auto* s = it->second.by_actor;
  if (s && s->input_closed() && s->output_closed()) {
    self->state.streams.erase(it);
    return nullptr;
  }
  return s;
}

caf::result<byte_buffer> start_call(self_ptr self, std::string& method, byte_buffer& payload,
                                    caf::timespan timeout, call_key key = {}) {
  auto& st = self->state;
  if (st.closed)
    return st.closed;
  if (method.empty() || method.size() > wire::max_method_size)
    return make_error(error::config, "method names are 1 to "
                                       + std::to_string(wire::max_method_size) + " bytes");
  if (payload.size() + 1 > st.cfg.max_frame_size)
    return make_error(error::config, "request of " + std::to_string(payload.size())
                                       + " bytes exceeds the maximum frame size");
  auto id = st.next_request_id++;
  wire::call_header hdr;
  hdr.request_id = id;
  hdr.method = std::move(method);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count();
  hdr.timeout_ms = static_cast<uint32_t>(std::clamp<int64_t>(ms, 1, UINT32_MAX));
  byte_buffer out;
  out.reserve(payload.size() + hdr.method.size() + 40);
  wire::append_call(out, hdr);
  wire::append_data(out, payload);
  frame_encoder::append_end(out);
  st.ep->submit(open_stream_command{st.conn, id, std::move(out), true});
  auto promise = self->make_response_promise<byte_buffer>();
  auto deadline = deadline_clock::now() + timeout;
  st.calls.emplace(id, pending_call{promise, deadline, {}, {}, key});
  st.deadlines.emplace(deadline, id);
  arm_timer(self, deadline);
  return promise;
}

client_connection_actor::behavior_type client_connection(self_ptr self,
                                                         std::shared_ptr<endpoint> ep,
                                                         socket_address remote, rpc_config cfg) {
  auto& st = self->state;
  st.ep = std::move(ep);
  st.cfg = std::move(cfg);
  st.conn = st.ep->connect(remote, st.cfg.server_name, caf::actor_cast<caf::actor>(self));
  return {
    [self](call_atom, std::string& method, byte_buffer& payload) {
      auto timeout = caf::timespan{self->state.cfg.call_timeout};
      return start_call(self, method, payload, timeout);
    },
    [self](call_atom, std::string& method, byte_buffer& payload, caf::timespan timeout) {
      return start_call(self, method, payload, timeout);
    },
    [self](call_atom, std::string& method, byte_buffer& payload, caf::timespan timeout,
           call_key key) { return start_call(self, method, payload, timeout, key); },
    [self](cancel_atom, call_key key) {
      if (key.value == 0)
        return;
      // Few calls are in flight per connection, and cancels are rare.
      for (auto& [id, call] : self->state.calls)
        if (call.key == key) {
          fail_call(self, id, make_error(error::cancelled, "the caller cancelled the call"),
                    true);
          return;
        }
    },
    [self](stream_atom, std::string& method,
           uint8_t kind) -> caf::result<std::shared_ptr<stream_channel>> {
      auto id = open_streaming_call(self, method, kind);
      if (!id)
        return std::move(id.error());
      auto& st = self->state;
      auto ch = std::make_shared<stream_channel>(stream_channel::address{st.ep, st.conn, -1, *id},
                                                 st.ep->config().stream_window);
      st.streams.emplace(*id, client_stream_call{ch});
      return ch;
    },
    [self](stream_atom, std::string& method, uint8_t kind,
           caf::actor& consumer) -> caf::result<uint64_t> {
      auto id = open_streaming_call(self, method, kind);
      if (!id)
        return std::move(id.error());
      auto& st = self->state;
      auto sink = std::make_shared<actor_stream>(
        self, stream_channel::address{st.ep, st.conn, -1, *id}, st.ep->config().stream_window,
        std::move(consumer), *id);
      auto* raw = sink.get();
      st.streams.emplace(*id, client_stream_call{std::move(sink), stream_inbound{true}, raw});
      return *id;
    },
    [self](demand_atom, uint64_t id, uint32_t n) {
      if (auto* s = actor_stream_of(self, id))
        s->demand(n);
    },
    [self](send_atom, uint64_t id, byte_buffer& message) -> caf::result<bool> {
      if (auto* s = actor_stream_of(self, id))
        return s->send(message);
      return make_error(error::stream, "no streaming call " + std::to_string(id));
    },
    [self](finish_atom, uint64_t id) {
      if (auto* s = actor_stream_of(self, id)) {
        byte_buffer end;
        frame_encoder::append_end(end);
        s->finish(std::move(end));
      }
    },
    [self](cancel_atom, uint64_t id) {
      if (auto* s = actor_stream_of(self, id))
        s->cancel();
    },
    [self](connect_atom) -> caf::result<bool> {
      auto& st = self->state;
      if (st.closed)
        return st.closed;
      if (st.ready)
        return true;
      auto promise = self->make_response_promise<bool>();
      st.ready_waiters.push_back(promise);
      return promise;
    },
    [self](close_atom) {
      auto& st = self->state;
      if (st.closed)
        return;
      fail_everything(self, make_error(error::cancelled, "the client closed the connection"));
      st.closed = make_error(error::connection, "the client closed the connection");
      st.ep->submit(close_command{st.conn, app_error::no_error, "client closed"});
    },
    [self](timeout_atom) {
      auto& st = self->state;
      st.timer_due = deadline_clock::time_point::max();
      auto now = deadline_clock::now();
      while (!st.deadlines.empty() && st.deadlines.begin()->first <= now) {
        auto id = st.deadlines.begin()->second;
        fail_call(self, id, make_error(error::timeout, "no reply within the call timeout"),
                  true);
      }
      if (!st.deadlines.empty())
        arm_timer(self, st.deadlines.begin()->first);
    },
    [self](connection_ready&) {
      auto& st = self->state;
      st.ready = true;
      for (auto& p : st.ready_waiters)
        p.deliver(true);
      st.ready_waiters.clear();
    },
    [self](connection_batch& batch) {
      for (auto& ev : batch.events)
        on_event(self, ev);
    },
    [self](connection_closed& msg) {
      auto& st = self->state;
      error code{};
      if (!from_wire(msg.code, code))
        code = error::connection;
      st.closed = make_error(code, msg.reason);
      fail_everything(self, st.closed);
      for (auto& p : st.ready_waiters)
        p.deliver(st.closed);
      st.ready_waiters.clear();
      // The endpoint is the only strong reference back to us; dropping ours
      // to it lets both go once the owner lets go. The actor stays, so that
      // later calls learn why the connection is gone; rpc_client ends it.
      st.ep.reset();
    },
  };
}

} // namespace

caf::expected<rpc_client_actor> spawn_client_connection(caf::actor_system& sys,
                                                        std::shared_ptr<endpoint> ep,
                                                        socket_address remote,
                                                        rpc_config cfg) {
  if (!ep)
    return make_error(error::config, "no endpoint to connect from");
  if (auto err = cfg.validate())
    return err;
  return rpc_client_actor{
    sys.spawn(client_connection, std::move(ep), std::move(remote), std::move(cfg))};
}

} // namespace rpcnet
