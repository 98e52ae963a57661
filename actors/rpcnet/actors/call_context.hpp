// What a handler knows about the call it serves, beyond the request's bytes:
// the method, the caller's metadata, the deadline, the peer, and whether the
// call is still wanted. A handler that passes its context to the calls it
// makes (call_options::child_of) hands on the deadline and the cancellation,
// so a chain of services gives up together when the first caller does.
//
//   server.register_unary("slow", [](rpcnet::call_context& ctx, rpcnet::byte_buffer req)
//                                   -> caf::expected<rpcnet::byte_buffer> {
//     while (!ctx.cancelled() && !done()) step();
//     ...
//   });
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/error.hpp>

#include <rpcnet/actors/call_metadata.hpp>
#include <rpcnet/transport/peer_identity.hpp>
#include <rpcnet/transport/socket_address.hpp>

namespace rpcnet {

class call_context;

/// Keeps a callback registered with call_context::on_cancel; destroying
/// it unregisters the callback. It does not wait for a callback that is
/// already running on another thread.
class cancel_subscription {
public:
  cancel_subscription() = default;
  cancel_subscription(cancel_subscription&& other) noexcept;
  cancel_subscription& operator=(cancel_subscription&& other) noexcept;
  cancel_subscription(const cancel_subscription&) = delete;
  cancel_subscription& operator=(const cancel_subscription&) = delete;
  ~cancel_subscription();

  /// Unregisters now.
  void reset();

private:
  friend class call_context;
  cancel_subscription(std::shared_ptr<void> state, uint64_t id);
  std::weak_ptr<void> state_;
  uint64_t id_ = 0;
};

class call_context {
public:
  using clock = std::chrono::steady_clock;

  /// A context that belongs to no call: no method, no deadline, never
  /// cancelled. Calls made with it as parent inherit nothing.
  call_context() = default;

  /// True when the context belongs to a call.
  explicit operator bool() const noexcept {
    return st_ != nullptr;
  }

  // -- the call ---------------------------------------------------------------

  const std::string& method() const noexcept;

  /// A number naming the call among every call this process serves:
  /// what a service actor's cancellation message names
  /// (context_service_actor). 0 for a context that belongs to no call.
  uint64_t id() const noexcept;

  /// The caller's metadata. Server interceptors may add to it before the
  /// handler runs (a trace id they started, an authenticated user).
  const call_metadata& metadata() const noexcept;
  call_metadata& metadata() noexcept;

  /// When the caller stops waiting, if it said.
  std::optional<clock::time_point> deadline() const noexcept;

  /// Time left until the deadline: clock::duration::max() without one,
  /// zero once it passed.
  clock::duration remaining() const noexcept;

  /// The caller's UDP address.
  const socket_address& peer_address() const noexcept;

  /// Who the caller's certificate says it is -- subject and names -- when
  /// the server verified one (mutual TLS: rpc_config::client_ca_path);
  /// null otherwise.
  const rpcnet::peer_identity* peer_identity() const noexcept;

  /// A unary call's request message size in bytes (0 for streaming calls,
  /// whose messages the transport's byte counters cover).
  uint64_t request_bytes() const noexcept;

  /// A unary call's reply message size, once the handler answered (0
  /// before, on failure, and for streaming calls).
  uint64_t response_bytes() const noexcept;

  // -- cancellation -----------------------------------------------------------

  /// True once the call is no longer wanted: the caller cancelled it or
  /// went away, or its deadline passed. The handler should then return;
  /// whatever it returns is dropped.
  bool cancelled() const noexcept;

  /// Why the call was cancelled (`cancelled`, `timeout` or `connection`);
  /// no error while it runs.
  caf::error cancellation() const;

  /// Runs `fn` once when the call is cancelled -- at once, on this thread,
  /// if it already is; otherwise on the thread that notices (a connection
  /// actor or the deadline watcher), so `fn` must be quick and must not
  /// block. Keep the subscription as long as `fn` may run. What `fn` throws
  /// there is logged and the call's other callbacks still run.
  [[nodiscard]] cancel_subscription on_cancel(std::function<void()> fn) const;

  // -- the reply --------------------------------------------------------------

  /// Trailing metadata the reply's status carries back, whatever the
  /// outcome. Written by the handler and the server's interceptors.
  call_metadata& trailers() noexcept;
  const call_metadata& trailers() const noexcept;

  // -- construction by the runtime ----------------------------------------------

  struct state;
  explicit call_context(std::shared_ptr<state> st) : st_(std::move(st)) {
  }
  const std::shared_ptr<state>& shared_state() const noexcept {
    return st_;
  }

private:
  std::shared_ptr<state> st_;
};

} // namespace rpcnet

// Service actors and actor-driven streams receive the context in messages;
// it is a handle to shared state, never serialized.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rpcnet::call_context)
