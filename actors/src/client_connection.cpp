#include <rpcnet/actors/client_connection.hpp>

#include <optional>
#include <unordered_map>
#include <vector>

#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <rpcnet/actors/call_protocol.hpp>
#include <rpcnet/transport/error.hpp>
#include <rpcnet/transport/frame_codec.hpp>

namespace rpcnet {

namespace {

struct pending_call {
  caf::typed_response_promise<byte_buffer> promise;
  std::optional<byte_buffer> body;
  std::optional<wire::status> status;
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
  std::vector<caf::typed_response_promise<bool>> ready_waiters;
  static inline const char* name = "rpcnet.client_connection";
};

using self_ptr = rpc_client_actor::stateful_pointer<client_state>;

void fail_call(self_ptr self, uint64_t id, caf::error err, bool reset_stream) {
  auto it = self->state.calls.find(id);
  if (it == self->state.calls.end())
    return;
  it->second.promise.deliver(std::move(err));
  self->state.calls.erase(it);
  if (reset_stream)
    self->state.ep->submit(
      reset_stream_command{self->state.conn, -1, id, app_error::cancelled});
}

/// Applies one stream event to its call; finishes the call when complete.
void on_event(self_ptr self, stream_event& ev) {
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
    self->state.calls.erase(it);
  }
}

caf::result<byte_buffer> start_call(self_ptr self, std::string& method, byte_buffer& payload,
                                    caf::timespan timeout) {
  auto& st = self->state;
  if (st.closed)
    return st.closed;
  if (method.empty() || method.size() > wire::max_method_size)
    return make_error(error::config, "method names are 1 to "
                                       + std::to_string(wire::max_method_size) + " bytes");
  if (payload.size() + 1 > st.cfg.max_frame_size())
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
  st.calls.emplace(id, pending_call{promise, {}, {}});
  self->delayed_send(self, timeout, timeout_atom::value, id);
  return promise;
}

rpc_client_actor::behavior_type client_connection(self_ptr self, std::shared_ptr<endpoint> ep,
                                                  socket_address remote, rpc_config cfg) {
  auto& st = self->state;
  st.ep = std::move(ep);
  st.cfg = std::move(cfg);
  st.conn = st.ep->connect(remote, st.cfg.server_name(), caf::actor_cast<caf::actor>(self));
  return {
    [self](call_atom, std::string& method, byte_buffer& payload) {
      auto timeout = caf::timespan{self->state.cfg.call_timeout()};
      return start_call(self, method, payload, timeout);
    },
    [self](call_atom, std::string& method, byte_buffer& payload, caf::timespan timeout) {
      return start_call(self, method, payload, timeout);
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
      st.ep->submit(close_command{st.conn, app_error::no_error, "client closed"});
    },
    [self](timeout_atom, uint64_t id) {
      fail_call(self, id, make_error(error::timeout, "no reply within the call timeout"), true);
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
      for (auto& [id, call] : st.calls)
        call.promise.deliver(st.closed);
      st.calls.clear();
      for (auto& p : st.ready_waiters)
        p.deliver(st.closed);
      st.ready_waiters.clear();
      // The endpoint is the only strong reference back to us; dropping ours
      // to it lets both go once the owner lets go.
      st.ep.reset();
      self->quit();
    },
  };
}

} // namespace

rpc_client_actor spawn_client_connection(caf::actor_system& sys, std::shared_ptr<endpoint> ep,
                                         socket_address remote, rpc_config cfg) {
  return sys.spawn(client_connection, std::move(ep), std::move(remote), std::move(cfg));
}

} // namespace rpcnet
