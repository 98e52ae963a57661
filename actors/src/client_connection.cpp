#include <rpcnet/actors/client_connection.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <random>
#include <set>
#include <unordered_map>
#include <variant>
#include <vector>

#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <rpcnet/actors/interceptors/call_metrics.hpp>

#include "actor_stream.hpp"
#include "client_connection_spawn.hpp"
#include "call_protocol.hpp"
#include "connection_lifecycle.hpp"
#include "interceptor_chain.hpp"
#include "stream_inbound.hpp"
#include <rpcnet/transport/actor_boundary.hpp>
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

/// Deadlines are read from the actor's clock (steady_clock in a running
/// system; CAF's test_coordinator steps it), so tests can drive timeouts
/// deterministically. Its time points are steady_clock's, like
/// call_context's.
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

/// Held calls' ids: far above any request id a connection reaches.
constexpr uint64_t first_hold_id = uint64_t{1} << 62;

/// A call waiting for the connection: for a dial under way, or (asked
/// with wait_for_ready) for the backoff after a failed one to end.
struct held_call {
  /// Names it for its parent's cancellation (from first_hold_id up, apart
  /// from the request ids).
  uint64_t id = 0;
  /// When it stops waiting and fails with `timeout`.
  deadline_clock::time_point deadline;
  bool wait_for_ready = false;
  /// Fails it with `cancelled` when the call it is made for is cancelled.
  cancel_subscription parent_link;
  /// Called once: with no error when the connection is ready, else with
  /// the error the call fails with.
  std::function<void(caf::error)> resume;
};

struct client_state {
  /// The transport (a QUIC endpoint, or the in-process pair) while the
  /// connection is up or being dialled. Dropped when it closes: the
  /// transport holds this actor while a connection of ours is open, and no
  /// cycle may outlive that.
  std::shared_ptr<call_transport> ep;
  /// The transport to dial again through, while someone else keeps it.
  std::weak_ptr<call_transport> home;
  socket_address remote;
  rpc_config cfg{"", ""};
  connection_id conn = 0;
  connection_lifecycle link{reconnect_policy{}, 0};
  std::vector<held_call> held;
  uint64_t next_hold_id = first_hold_id;
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
  uint64_t response_size = result ? result->body.size() : 0;
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
  if (call.intercepted) {
    call.intercepted->call.response_bytes = response_size;
    run_after(st.cfg.interceptors, call.intercepted->ran, call.intercepted->started,
              call.intercepted->call, result ? caf::error{} : result.error());
  }
}

/// Makes sure a timer message arrives by `due`.
void arm_timer(self_ptr self, deadline_clock::time_point due) {
  auto& st = self->state;
  if (due >= st.timer_due)
    return;
  st.timer_due = due;
  auto delay = due - self->clock().now();
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

/// `timeout` made non-negative and no longer than the wire can say, which
/// is as good as none.
caf::timespan wire_bounded(caf::timespan timeout) {
  constexpr auto longest = std::chrono::milliseconds{UINT32_MAX};
  return std::clamp<caf::timespan>(timeout, caf::timespan{0}, longest);
}

/// Milliseconds from now until `deadline`, as the CALL frame carries them:
/// at least 1 (0 would say the deadline passed), at most what fits.
uint32_t wire_deadline(deadline_clock::time_point deadline, deadline_clock::time_point now) {
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
  return static_cast<uint32_t>(std::clamp<int64_t>(ms, 1, UINT32_MAX));
}

/// Checks a call and builds its header: the deadline from `timeout` (none:
/// no deadline) and the parent's, then the interceptors, then the
/// metadata's rules. Takes the method and metadata. `request_bytes` is a
/// unary request's size, for the interceptors.
caf::expected<prepared_call> prepare_call(self_ptr self, std::string& method,
                                          wire::call_kind kind, call_options& opts,
                                          std::optional<caf::timespan> timeout,
                                          uint64_t request_bytes = 0) {
  auto& st = self->state;
  if (method.empty() || method.size() > wire::max_method_size)
    return make_error(error::config, "method names are 1 to "
                                       + std::to_string(wire::max_method_size) + " bytes");
  prepared_call call;
  auto now = self->clock().now();
  if (timeout)
    call.deadline = now + wire_bounded(*timeout);
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
    seen.request_bytes = request_bytes;
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

/// Sends unary call `payload` and lists it; `promise` gets the reply.
template <class Reply>
void start_call(self_ptr self, std::string& method, byte_buffer& payload, call_options opts,
                caf::typed_response_promise<Reply> promise) {
  auto& st = self->state;
  if (payload.size() + 1 > st.cfg.max_frame_size) {
    promise.deliver(make_error(error::config, "request of " + std::to_string(payload.size())
                                                + " bytes exceeds the maximum frame size"));
    return;
  }
  auto call = prepare_call(self, method, wire::call_kind::unary, opts,
                           opts.timeout.value_or(caf::timespan{st.cfg.call_timeout}),
                           payload.size());
  if (!call) {
    promise.deliver(std::move(call.error()));
    return;
  }
  auto& hdr = call->header;
  auto id = hdr.request_id;
  byte_buffer out;
  out.reserve(payload.size() + hdr.method.size() + hdr.metadata.wire_size() + 48);
  wire::append_call(out, hdr);
  wire::append_data(out, payload);
  frame_encoder::append_end(out);
  st.ep->submit(open_stream_command{st.conn, id, std::move(out), true});
  pending_call pending;
  pending.promise = std::move(promise);
  pending.deadline = call->deadline;
  pending.key = opts.key;
  pending.intercepted = std::move(call->intercepted);
  st.calls.emplace(id, std::move(pending));
  st.deadlines.emplace(call->deadline, id);
  arm_timer(self, call->deadline);
  // After the call is listed: a parent cancelled already cancels it at once.
  st.calls.find(id)->second.parent_link = link_to_parent(self, opts.parent, id);
}

/// Opens a streaming call read and written through a stream_channel.
caf::expected<std::shared_ptr<stream_channel>>
open_channel(self_ptr self, std::string& method, uint8_t kind, call_options opts) {
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

/// Opens a streaming call whose messages go to `consumer` (actor_stream).
caf::expected<uint64_t> open_actor_stream(self_ptr self, std::string& method, uint8_t kind,
                                          caf::actor consumer) {
  auto& st = self->state;
  // The sink needs the call's id, which only opening the call assigns:
  // it is the next request id unless opening fails.
  auto id = st.next_request_id;
  auto actor_sink = std::make_shared<actor_stream>(
    self, stream_channel::address{st.ep, st.conn, -1, id}, st.ep->config().stream_window,
    std::move(consumer), id);
  auto* raw = actor_sink.get();
  std::shared_ptr<stream_sink> sink = std::move(actor_sink);
  return open_streaming_call(self, method, kind, call_options{}, sink, raw);
}

/// The options of the calls that give only a timeout and a key.
call_options plain_options(caf::timespan timeout, call_key key = {}) {
  call_options opts;
  opts.timeout = timeout;
  opts.key = key;
  return opts;
}

// -- the connection's lifecycle -----------------------------------------------

/// Makes sure a timer message arrives for the earliest held call's
/// deadline and, while calls wait out a backoff, for its end.
void arm_for_held(self_ptr self) {
  auto& st = self->state;
  if (st.held.empty())
    return;
  auto due = std::min_element(st.held.begin(), st.held.end(), [](auto& x, auto& y) {
               return x.deadline < y.deadline;
             })->deadline;
  if (st.link.current() == connection_lifecycle::phase::backing_off)
    due = std::min(due, st.link.next_dial());
  arm_timer(self, due);
}

/// Resumes the held calls that `which` picks with `outcome` (no error:
/// the connection is ready).
template <class Predicate>
void settle_held(self_ptr self, const caf::error& outcome, Predicate which) {
  auto& held = self->state.held;
  auto first = std::stable_partition(held.begin(), held.end(),
                                     [&](const held_call& h) { return !which(h); });
  std::vector<held_call> settled{std::make_move_iterator(first),
                                 std::make_move_iterator(held.end())};
  held.erase(first, held.end());
  // Resuming may start calls, and failing them may run interceptors: only
  // once the list is consistent again.
  for (auto& h : settled)
    h.resume(outcome);
}

void settle_all_held(self_ptr self, const caf::error& outcome) {
  settle_held(self, outcome, [](const held_call&) { return true; });
}

/// Dials the server again (the lifecycle has begun the dial), or closes
/// for good when the endpoint is gone.
void dial(self_ptr self) {
  auto& st = self->state;
  st.ep = st.home.lock();
  if (!st.ep || !st.ep->running()) {
    st.ep.reset();
    st.link.close(make_error(error::connection, "the client's endpoint is shut down"));
    settle_all_held(self, st.link.refusal(self->clock().now()));
    return;
  }
  st.conn = st.ep->connect(st.remote, st.cfg.server_name, caf::actor_cast<caf::actor>(self));
}

/// Runs `start` with `opts` once the connection is ready: now, or after
/// the dial it waits for, with its timeout shortened by the wait. Else
/// `fail` gets why the call cannot be made. A call without a timeout of
/// its own waits for the connection up to `wait_bound`.
template <class Start, class Fail>
void when_connected(self_ptr self, call_options opts, caf::timespan wait_bound, Start start,
                    Fail fail) {
  auto& st = self->state;
  auto now = self->clock().now();
  auto verdict = st.link.admit(now, opts.wait_for_ready);
  using connection_verdict = connection_lifecycle::verdict;
  if (verdict == connection_verdict::send) {
    start(std::move(opts));
    return;
  }
  if (verdict == connection_verdict::refuse) {
    fail(st.link.refusal(now));
    return;
  }
  std::optional<deadline_clock::time_point> timeout_due;
  if (opts.timeout)
    timeout_due = now + wire_bounded(*opts.timeout);
  auto deadline = timeout_due.value_or(now + wire_bounded(wait_bound));
  if (opts.parent)
    if (auto parent_due = opts.parent.deadline())
      deadline = std::min(deadline, *parent_due - st.cfg.deadline_margin);
  auto wait_for_ready = opts.wait_for_ready;
  auto parent = opts.parent;
  auto id = st.next_hold_id++;
  st.held.push_back(
    {id, deadline, wait_for_ready, {},
     [self, start = std::move(start), fail = std::move(fail), opts = std::move(opts),
      timeout_due](caf::error why) mutable {
       if (why) {
         fail(std::move(why));
         return;
       }
       if (timeout_due)
         opts.timeout = std::max<caf::timespan>(*timeout_due - self->clock().now(),
                                                caf::timespan{0});
       start(std::move(opts));
     }});
  // After the call is listed: a parent cancelled already cancels it at once.
  st.held.back().parent_link = link_to_parent(self, parent, id);
  arm_timer(self, deadline);
  if (verdict == connection_verdict::dial_and_hold)
    dial(self);
}

/// Answers the request being handled with what `open` (call_options&& ->
/// caf::expected<T>) returns once the connection is ready.
template <class T, class Open>
caf::result<T> answer_when_connected(self_ptr self, call_options opts, Open open) {
  auto promise = self->make_response_promise<T>();
  auto wait_bound = caf::timespan{self->state.cfg.call_timeout};
  when_connected(
    self, std::move(opts), wait_bound,
    [promise, open = std::move(open)](call_options&& ready) mutable {
      auto result = open(std::move(ready));
      if (result)
        promise.deliver(std::move(*result));
      else
        promise.deliver(std::move(result.error()));
    },
    [promise](caf::error why) mutable { promise.deliver(std::move(why)); });
  return promise;
}

/// A unary call once the connection is ready.
template <class Reply>
caf::result<Reply> call_when_connected(self_ptr self, std::string& method, byte_buffer& payload,
                                       call_options opts) {
  auto promise = self->make_response_promise<Reply>();
  if (!opts.timeout)
    opts.timeout = caf::timespan{self->state.cfg.call_timeout};
  auto wait_bound = *opts.timeout;
  when_connected(
    self, std::move(opts), wait_bound,
    [self, promise, method = std::move(method),
     payload = std::move(payload)](call_options&& ready) mutable {
      start_call(self, method, payload, std::move(ready), promise);
    },
    [promise](caf::error why) mutable { promise.deliver(std::move(why)); });
  return promise;
}

/// The transport's word on the connection we dialled last.
void on_closed(self_ptr self, connection_closed& msg) {
  auto& st = self->state;
  if (msg.conn != st.conn)
    return;
  error code{};
  if (!from_wire(msg.code, code))
    code = error::connection;
  auto why = make_error(code, msg.reason);
  auto was_ready = st.link.on_closed(why, self->clock().now());
  fail_everything(self, why);
  st.ep.reset();
  if (was_ready)
    return;
  // A failed dial: the calls that waited for it fail with its error,
  // unless they wait for the server and another dial will come.
  auto redials = st.link.current() == connection_lifecycle::phase::backing_off;
  settle_held(self, why, [redials](const held_call& h) { return !(redials && h.wait_for_ready); });
  arm_for_held(self);
}

/// The timer: expires calls in flight and held calls, and dials again
/// when a backoff ended and calls wait.
void on_timer(self_ptr self) {
  auto& st = self->state;
  st.timer_due = deadline_clock::time_point::max();
  auto now = self->clock().now();
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
  settle_held(self,
              make_error(error::timeout, "not connected to the server within the call's deadline"),
              [now](const held_call& h) { return h.deadline <= now; });
  if (!st.held.empty() && st.link.dial_due(now)) {
    st.link.begin_dial();
    dial(self);
  }
  if (!st.deadlines.empty())
    arm_timer(self, st.deadlines.begin()->first);
  arm_for_held(self);
}

client_connection_actor::behavior_type client_connection(self_ptr self,
                                                         std::shared_ptr<call_transport> ep,
                                                         socket_address remote, rpc_config cfg) {
  auto& st = self->state;
  st.home = ep;
  st.remote = std::move(remote);
  st.cfg = std::move(cfg);
  // First in line, so it counts what the others do (a refusal included).
  if (st.cfg.metrics)
    st.cfg.interceptors.insert(st.cfg.interceptors.begin(),
                               std::make_shared<client_call_metrics>(*st.cfg.metrics));
  st.link = connection_lifecycle{st.cfg.reconnect, std::random_device{}()};
  st.ep = std::move(ep);
  st.conn = st.ep->connect(st.remote, st.cfg.server_name, caf::actor_cast<caf::actor>(self));
  actor_boundary boundary{"client_connection", st.cfg.metrics};
  return boundary.behavior<client_connection_actor::behavior_type>(
    self,
    [self](call_atom, std::string& method, byte_buffer& payload) {
      auto timeout = caf::timespan{self->state.cfg.call_timeout};
      return call_when_connected<byte_buffer>(self, method, payload, plain_options(timeout));
    },
    [self](call_atom, std::string& method, byte_buffer& payload, caf::timespan timeout) {
      return call_when_connected<byte_buffer>(self, method, payload, plain_options(timeout));
    },
    [self](call_atom, std::string& method, byte_buffer& payload, caf::timespan timeout,
           call_key key) {
      return call_when_connected<byte_buffer>(self, method, payload,
                                              plain_options(timeout, key));
    },
    [self](call_atom, std::string& method, byte_buffer& payload, call_options& opts) {
      return call_when_connected<call_reply>(self, method, payload, std::move(opts));
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
      return answer_when_connected<std::shared_ptr<stream_channel>>(
        self, call_options{}, [self, method, kind](call_options&& opts) mutable {
          return open_channel(self, method, kind, std::move(opts));
        });
    },
    [self](stream_atom, std::string& method, uint8_t kind,
           call_options& opts) -> caf::result<std::shared_ptr<stream_channel>> {
      return answer_when_connected<std::shared_ptr<stream_channel>>(
        self, std::move(opts), [self, method, kind](call_options&& ready) mutable {
          return open_channel(self, method, kind, std::move(ready));
        });
    },
    [self](stream_atom, std::string& method, uint8_t kind,
           caf::actor& consumer) -> caf::result<uint64_t> {
      return answer_when_connected<uint64_t>(
        self, call_options{}, [self, method, kind, consumer](call_options&&) mutable {
          return open_actor_stream(self, method, kind, std::move(consumer));
        });
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
      if (id >= first_hold_id) {
        settle_held(self, make_error(error::cancelled, "the parent call was cancelled"),
                    [id](const held_call& h) { return h.id == id; });
        arm_for_held(self);
        return;
      }
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
      return answer_when_connected<bool>(
        self, call_options{}, [](call_options&&) -> caf::expected<bool> { return true; });
    },
    [self](close_atom) {
      auto& st = self->state;
      if (st.link.current() == connection_lifecycle::phase::closed)
        return;
      auto cancelled = make_error(error::cancelled, "the client closed the connection");
      fail_everything(self, cancelled);
      st.link.close(make_error(error::connection, "the client closed the connection"));
      settle_all_held(self, cancelled);
      if (st.ep)
        st.ep->submit(close_command{st.conn, app_error::no_error, "client closed"});
    },
    [self](timeout_atom) {
      try {
        on_timer(self);
      } catch (...) {
        // Each call is forgotten before it is answered, so what is left is
        // consistent -- and waits for this timer, which must come again
        // before the boundary logs and counts what was thrown.
        if (!self->state.deadlines.empty())
          arm_timer(self, self->state.deadlines.begin()->first);
        arm_for_held(self);
        throw;
      }
    },
    [self](connection_ready& msg) {
      auto& st = self->state;
      if (msg.conn != st.conn)
        return;
      st.link.on_ready();
      settle_all_held(self, caf::error{});
    },
    [self](connection_batch& batch) {
      // A deadline that passed before this batch is looked at wins over
      // what the batch says: the server gives a stream up at the same
      // instant (resetting it as cancelled), and its reset may arrive before
      // our own timer message does -- at once, in process.
      auto& st = self->state;
      if (!st.deadlines.empty() && st.deadlines.begin()->first <= self->clock().now())
        on_timer(self);
      for (auto& ev : batch.events)
        on_event(self, ev);
    },
    [self](connection_closed& msg) { on_closed(self, msg); });
}


} // namespace

rpc_client_actor spawn_client_connection_on(caf::actor_system& sys,
                                            std::shared_ptr<call_transport> transport,
                                            socket_address remote, rpc_config cfg) {
  return rpc_client_actor{
    sys.spawn(client_connection, std::move(transport), std::move(remote), std::move(cfg))};
}

caf::expected<rpc_client_actor> spawn_client_connection(caf::actor_system& sys,
                                                        std::shared_ptr<endpoint> ep,
                                                        socket_address remote,
                                                        rpc_config cfg) {
  if (!ep)
    return make_error(error::config, "no endpoint to connect from");
  if (auto err = cfg.validate())
    return err;
  return spawn_client_connection_on(sys, std::move(ep), std::move(remote), std::move(cfg));
}

} // namespace rpcnet
