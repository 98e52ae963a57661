#include <rpcnet/actors/client_connection.hpp>

#include <chrono>
#include <optional>
#include <set>
#include <unordered_map>
#include <variant>
#include <vector>

#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "actor_stream.hpp"
#include "call_protocol.hpp"
#include "interceptor_chain.hpp"
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

/// What the client's interceptors saw of a call, for their after-hooks.
struct intercepted_call {
  outgoing_call call;
  /// Interceptors whose before() ran.
  size_t ran = 0;
  deadline_clock::time_point started = deadline_clock::now();
};

/// Callers asking with call_options get the trailers too.
using reply_promise = std::variant<caf::typed_response_promise<byte_buffer>,
                                   caf::typed_response_promise<call_reply>>;

struct pending_call {
  reply_promise promise;
  deadline_clock::time_point deadline;
  std::optional<byte_buffer> body;
  std::optional<wire::status> status;
  /// The caller's name for the call, for cancelling it (0: none).
  call_key key;
  /// Cancels the call when its parent is cancelled.
  cancel_subscription parent_link;
  /// Null when the client has no interceptors.
  std::unique_ptr<intercepted_call> intercepted;
};

/// A streaming call in progress: where its events go and how. The sink is
/// a stream_channel (plain threads) or an actor_stream (actors).
struct client_stream_call {
  std::shared_ptr<stream_sink> sink;
  stream_inbound inbound{true};
  /// Set when actors drive the call.
  actor_stream* by_actor = nullptr;
  cancel_subscription parent_link;
  deadline_clock::time_point deadline = deadline_clock::time_point::max();
  std::unique_ptr<intercepted_call> intercepted;
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
  /// Deadlines of the calls in flight (and of streaming calls made with a
  /// parent), earliest first. One timer message
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

/// Answers a call, runs the interceptors' after-hooks and forgets it.
void complete(self_ptr self, std::unordered_map<uint64_t, pending_call>::iterator it,
              caf::expected<call_reply> result) {
  auto& st = self->state;
  auto call = std::move(it->second);
  st.deadlines.erase({call.deadline, it->first});
  st.calls.erase(it);
  call.parent_link.reset();
  if (auto* bytes = std::get_if<caf::typed_response_promise<byte_buffer>>(&call.promise)) {
    if (result)
      bytes->deliver(std::move(result->body));
    else
      bytes->deliver(result.error());
  } else {
    auto& full = std::get<caf::typed_response_promise<call_reply>>(call.promise);
    if (result)
      full.deliver(std::move(*result));
    else
      full.deliver(result.error());
  }
  if (call.intercepted)
    run_after(st.cfg.interceptors, call.intercepted->ran, call.intercepted->started,
              call.intercepted->call, result ? caf::error{} : result.error());
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
  complete(self, it, std::move(err));
  if (reset_stream)
    self->state.ep->submit(
      reset_stream_command{self->state.conn, -1, id, app_error::cancelled});
}

/// Forgets a streaming call, running its interceptors' after-hooks.
void forget_stream(self_ptr self, std::unordered_map<uint64_t, client_stream_call>::iterator it) {
  auto& st = self->state;
  auto call = std::move(it->second);
  if (call.deadline != deadline_clock::time_point::max())
    st.deadlines.erase({call.deadline, it->first});
  st.streams.erase(it);
  if (call.intercepted)
    run_after(st.cfg.interceptors, call.intercepted->ran, call.intercepted->started,
              call.intercepted->call, call.inbound.outcome());
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
    forget_stream(self, it);
}

/// Fails every call and stream with `err`.
void fail_everything(self_ptr self, const caf::error& err) {
  auto& st = self->state;
  while (!st.calls.empty())
    complete(self, st.calls.begin(), err);
  while (!st.streams.empty()) {
    auto it = st.streams.begin();
    it->second.sink->fail(err);
    forget_stream(self, it);
  }
  st.deadlines.clear();
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
    auto decoded = wire::decode(payload, self->state.cfg.max_metadata_size);
    std::string bad;
    if (!decoded.value)
      bad = decoded.error;
    else if (auto* body = std::get_if<byte_buffer>(&*decoded.value); body && !call.body && !call.status)
      call.body = std::move(*body);
    else if (auto* st = std::get_if<wire::status>(&*decoded.value); st && !call.status)
      call.status = std::move(*st);
    else
      bad = "unexpected frame in a unary reply";
    // A server that could not read the CALL frame cannot name the request:
    // its error status says 0, and its reason is worth more than ours.
    if (bad.empty() && call.status && call.status->request_id != id
        && (call.status->request_id != 0 || call.status->ok()))
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
    complete(self, it, call_reply{std::move(*call.body), std::move(call.status->trailers)});
  }
}

/// What a call is before it leaves: its CALL header (id, deadline,
/// metadata), when it fails with `timeout`, and the interceptors' view.
struct prepared_call {
  wire::call_header header;
  deadline_clock::time_point deadline = deadline_clock::time_point::max();
  std::unique_ptr<intercepted_call> intercepted;
};

/// Milliseconds from now until `deadline`, as the CALL frame carries them:
/// at least 1 (0 would say the deadline passed), at most what fits.
uint32_t wire_deadline(deadline_clock::time_point deadline, deadline_clock::time_point now) {
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
  return static_cast<uint32_t>(std::clamp<int64_t>(ms, 1, UINT32_MAX));
}

/// Checks a call and builds its header: the deadline from `timeout` (none:
/// no deadline) and the parent's, then the interceptors, then the
/// metadata's rules. Takes the method and metadata.
caf::expected<prepared_call> prepare_call(self_ptr self, std::string& method,
                                          wire::call_kind kind, call_options& opts,
                                          std::optional<caf::timespan> timeout) {
  auto& st = self->state;
  if (st.closed)
    return st.closed;
  if (method.empty() || method.size() > wire::max_method_size)
    return make_error(error::config, "method names are 1 to "
                                       + std::to_string(wire::max_method_size) + " bytes");
  prepared_call call;
  auto now = deadline_clock::now();
  // Longer than the wire can say is as good as none.
  constexpr auto longest = std::chrono::milliseconds{UINT32_MAX};
  if (timeout)
    call.deadline = now + std::min<caf::timespan>(std::max(*timeout, caf::timespan{0}), longest);
  if (opts.parent) {
    if (opts.parent.cancelled())
      return opts.parent.cancellation();
    if (auto parent_due = opts.parent.deadline())
      call.deadline = std::min(call.deadline, *parent_due - st.cfg.deadline_margin);
    if (call.deadline <= now)
      return make_error(error::timeout, "too little of the parent call's deadline is left");
  }
  auto& hdr = call.header;
  hdr.kind = kind;
  hdr.method = std::move(method);
  hdr.metadata = std::move(opts.metadata);
  if (!st.cfg.interceptors.empty()) {
    call.intercepted = std::make_unique<intercepted_call>();
    auto& seen = call.intercepted->call;
    seen.method = hdr.method;
    seen.shape = static_cast<call_shape>(static_cast<uint8_t>(kind) - 1);
    seen.metadata = std::move(hdr.metadata);
    if (call.deadline != deadline_clock::time_point::max())
      seen.deadline = call.deadline;
    seen.parent = opts.parent;
    auto refusal = run_before(st.cfg.interceptors, call.intercepted->ran, seen);
    if (refusal) {
      run_after(st.cfg.interceptors, call.intercepted->ran, call.intercepted->started, seen,
                refusal);
      return refusal;
    }
    hdr.metadata = seen.metadata;
  }
  if (!hdr.metadata.empty())
    if (auto why = metadata_problem(hdr.metadata, st.cfg.max_metadata_size); !why.empty()) {
      auto refused = make_error(error::config, why);
      // The interceptors saw the call leave; they see it fail, too.
      if (call.intercepted)
        run_after(st.cfg.interceptors, call.intercepted->ran, call.intercepted->started,
                  call.intercepted->call, refused);
      return refused;
    }
  if (call.deadline != deadline_clock::time_point::max())
    hdr.deadline_ms = wire_deadline(call.deadline, now);
  hdr.request_id = st.next_request_id++;
  return call;
}

/// Cancels call `id` when `parent` is: through a message, since the
/// parent is cancelled on another thread.
cancel_subscription link_to_parent(self_ptr self, const call_context& parent, uint64_t id) {
  if (!parent)
    return {};
  return parent.on_cancel([weak = caf::actor_cast<caf::weak_actor_ptr>(self), id] {
    if (auto strong = caf::actor_cast<caf::actor>(weak))
      caf::anon_send(strong, cancel_atom::value, id);
  });
}

/// Sends the CALL frame of a streaming call and lists it with `sink`;
/// returns its id, which is the state's next_request_id on entry (the
/// caller made the sink for it). Its messages
/// each wait up to the call timeout; the whole call has a deadline only
/// when the options give one or a parent does.
caf::expected<uint64_t> open_streaming_call(self_ptr self, std::string& method, uint8_t kind,
                                            call_options opts,
                                            std::shared_ptr<stream_sink>& sink,
                                            actor_stream* by_actor) {
  auto& st = self->state;
  if (kind < static_cast<uint8_t>(wire::call_kind::bidi_streaming)
      || kind > static_cast<uint8_t>(wire::call_kind::client_streaming))
    return make_error(error::config, "not a streaming call kind");
  auto call = prepare_call(self, method, static_cast<wire::call_kind>(kind), opts,
                           opts.timeout);
  if (!call)
    return std::move(call.error());
  auto& hdr = call->header;
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(st.cfg.call_timeout);
  hdr.wait_ms = static_cast<uint32_t>(std::clamp<int64_t>(wait.count(), 1, UINT32_MAX));
  auto id = hdr.request_id;
  byte_buffer out;
  wire::append_call(out, hdr);
  st.ep->submit(open_stream_command{st.conn, id, std::move(out), false, true});
  client_stream_call entry;
  entry.inbound = stream_inbound{true, st.cfg.max_metadata_size};
  entry.sink = std::move(sink);
  entry.by_actor = by_actor;
  entry.deadline = call->deadline;
  entry.intercepted = std::move(call->intercepted);
  entry.parent_link = link_to_parent(self, opts.parent, id);
  st.streams.emplace(id, std::move(entry));
  if (call->deadline != deadline_clock::time_point::max()) {
    st.deadlines.emplace(call->deadline, id);
    arm_timer(self, call->deadline);
  }
  return id;
}

/// The actor-driven streaming call `id`, or null.
actor_stream* actor_stream_of(self_ptr self, uint64_t id) {
  auto it = self->state.streams.find(id);
  if (it == self->state.streams.end())
    return nullptr;
  auto* s = it->second.by_actor;
  if (s && s->input_closed() && s->output_closed()) {
    forget_stream(self, it);
    return nullptr;
  }
  return s;
}

template <class Reply>
caf::result<Reply> start_call(self_ptr self, std::string& method, byte_buffer& payload,
                              call_options opts) {
  auto& st = self->state;
  if (payload.size() + 1 > st.cfg.max_frame_size)
    return make_error(error::config, "request of " + std::to_string(payload.size())
                                       + " bytes exceeds the maximum frame size");
  auto call = prepare_call(self, method, wire::call_kind::unary, opts,
                           opts.timeout.value_or(caf::timespan{st.cfg.call_timeout}));
  if (!call)
    return std::move(call.error());
  auto& hdr = call->header;
  auto id = hdr.request_id;
  byte_buffer out;
  out.reserve(payload.size() + hdr.method.size() + hdr.metadata.wire_size() + 48);
  wire::append_call(out, hdr);
  wire::append_data(out, payload);
  frame_encoder::append_end(out);
  st.ep->submit(open_stream_command{st.conn, id, std::move(out), true});
  auto promise = self->make_response_promise<Reply>();
  pending_call pending;
  pending.promise = promise;
  pending.deadline = call->deadline;
  pending.key = opts.key;
  pending.intercepted = std::move(call->intercepted);
  st.calls.emplace(id, std::move(pending));
  st.deadlines.emplace(call->deadline, id);
  arm_timer(self, call->deadline);
  // After the call is listed: a parent cancelled already cancels it at once.
  st.calls.find(id)->second.parent_link = link_to_parent(self, opts.parent, id);
  return promise;
}

/// Opens a streaming call read and written through a stream_channel.
caf::result<std::shared_ptr<stream_channel>> open_channel(self_ptr self, std::string& method,
                                                          uint8_t kind, call_options opts) {
  auto& st = self->state;
  auto id = st.next_request_id;
  auto ch = std::make_shared<stream_channel>(stream_channel::address{st.ep, st.conn, -1, id},
                                             st.ep->config().stream_window);
  std::shared_ptr<stream_sink> sink = ch;
  auto opened = open_streaming_call(self, method, kind, std::move(opts), sink, nullptr);
  if (!opened)
    return std::move(opened.error());
  return ch;
}

/// The options of the calls that give only a timeout and a key.
call_options plain_options(caf::timespan timeout, call_key key = {}) {
  call_options opts;
  opts.timeout = timeout;
  opts.key = key;
  return opts;
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
      return start_call<byte_buffer>(self, method, payload, plain_options(timeout));
    },
    [self](call_atom, std::string& method, byte_buffer& payload, caf::timespan timeout) {
      return start_call<byte_buffer>(self, method, payload, plain_options(timeout));
    },
    [self](call_atom, std::string& method, byte_buffer& payload, caf::timespan timeout,
           call_key key) {
      return start_call<byte_buffer>(self, method, payload, plain_options(timeout, key));
    },
    [self](call_atom, std::string& method, byte_buffer& payload, call_options& opts) {
      return start_call<call_reply>(self, method, payload, std::move(opts));
    },
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
      return open_channel(self, method, kind, call_options{});
    },
    [self](stream_atom, std::string& method, uint8_t kind,
           call_options& opts) -> caf::result<std::shared_ptr<stream_channel>> {
      return open_channel(self, method, kind, std::move(opts));
    },
    [self](stream_atom, std::string& method, uint8_t kind,
           caf::actor& consumer) -> caf::result<uint64_t> {
      auto& st = self->state;
      // The sink needs the call's id, which only opening the call assigns:
      // it is the next request id unless opening fails.
      auto id = st.next_request_id;
      auto actor_sink = std::make_shared<actor_stream>(
        self, stream_channel::address{st.ep, st.conn, -1, id}, st.ep->config().stream_window,
        std::move(consumer), id);
      auto* raw = actor_sink.get();
      std::shared_ptr<stream_sink> sink = std::move(actor_sink);
      auto opened = open_streaming_call(self, method, kind, call_options{}, sink, raw);
      if (!opened)
        return std::move(opened.error());
      return *opened;
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
      auto& st = self->state;
      if (auto it = st.streams.find(id); it != st.streams.end()) {
        if (auto* s = it->second.by_actor) {
          s->cancel();
        } else {
          it->second.sink->fail(make_error(error::cancelled, "the parent call was cancelled"));
          st.ep->submit(reset_stream_command{st.conn, -1, id, app_error::cancelled});
          forget_stream(self, it);
        }
        return;
      }
      fail_call(self, id, make_error(error::cancelled, "the parent call was cancelled"), true);
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
        auto expired = make_error(error::timeout, "no reply within the call timeout");
        if (auto it = st.streams.find(id); it != st.streams.end()) {
          it->second.sink->fail(expired);
          st.ep->submit(reset_stream_command{st.conn, -1, id, app_error::cancelled});
          forget_stream(self, it);
          continue;
        }
        fail_call(self, id, std::move(expired), true);
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
