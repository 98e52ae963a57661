// Interceptors: code that runs around every call, on the server before and
// after the handler, on the client before the call leaves and after its
// outcome arrives -- authentication, tracing, logging, metrics -- without
// touching a handler. They apply to unary and streaming calls alike and
// run in the order they were added (after-hooks in reverse, as layers).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>

#include <rpcnet/actors/call_context.hpp>
#include <rpcnet/actors/call_metadata.hpp>

namespace rpcnet {

/// How a call's frames flow, as interceptors see it.
enum class call_shape : uint8_t {
  unary,
  bidi_streaming,
  server_streaming,
  client_streaming,
};

/// Runs around each call a server serves. Hooks run on the thread that
/// runs the call's handler (a pool thread for blocking handlers), or on
/// the connection's actor for service actors and actor-driven streams:
/// there they must not block.
class server_interceptor {
public:
  virtual ~server_interceptor() = default;

  /// Before the handler. May read the caller's metadata and add to it
  /// (ctx.metadata()) and to the trailers; an error refuses the call with
  /// it, and the handler does not run.
  virtual caf::error before(call_context& /*ctx*/, call_shape /*shape*/) {
    return {};
  }

  /// Once the call ended: no error on success, else the caller's error
  /// (also when an interceptor refused the call). `elapsed` is from
  /// before() to the end.
  virtual void after(const call_context& /*ctx*/, call_shape /*shape*/,
                     const caf::error& /*outcome*/, std::chrono::nanoseconds /*elapsed*/) {
  }
};

/// A call a client is about to make, as client interceptors see it.
struct outgoing_call {
  std::string method;
  call_shape shape = call_shape::unary;
  /// The metadata the call will carry; interceptors may add to it.
  call_metadata metadata;
  /// When the call will fail with `timeout`, if it has a deadline.
  std::optional<call_context::clock::time_point> deadline;
  /// The call being served on whose behalf this one is made (empty for
  /// calls made outside a handler): tracing reads its metadata.
  call_context parent;
  /// Unary calls: the request message's size, and the reply's once it
  /// arrived (for after-hooks; 0 for streaming calls).
  uint64_t request_bytes = 0;
  uint64_t response_bytes = 0;
};

/// Runs around each call a client makes, on the client connection's
/// actor: hooks must be quick and must not block.
class client_interceptor {
public:
  virtual ~client_interceptor() = default;

  /// Before the call leaves; an error fails it with that error without
  /// sending anything.
  virtual caf::error before(outgoing_call& /*call*/) {
    return {};
  }

  /// Once the call ended (reply, error, timeout or cancel).
  virtual void after(const outgoing_call& /*call*/, const caf::error& /*outcome*/,
                     std::chrono::nanoseconds /*elapsed*/) {
  }
};

using server_interceptors = std::vector<std::shared_ptr<server_interceptor>>;
using client_interceptors = std::vector<std::shared_ptr<client_interceptor>>;

} // namespace rpcnet
