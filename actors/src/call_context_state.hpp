// The shared state behind a call_context: what the server learnt of the
// call when it arrived, and the cancellation flag with its callbacks, which
// the connection actor, the deadline watcher and the handler's thread all
// touch.
#pragma once

#include <atomic>
#include <mutex>
#include <vector>

#include <rpcnet/actors/call_context.hpp>

namespace rpcnet {

struct call_context::state {
  uint64_t id = 0;
  std::string method;
  call_metadata metadata;
  std::optional<clock::time_point> deadline;
  socket_address peer;
  /// Shared by the calls of one connection.
  std::shared_ptr<const rpcnet::peer_identity> identity;
  call_metadata trailers;
  /// Unary calls only: set by the connection as the request arrives and
  /// the reply leaves, read by after-hooks (call metrics).
  uint64_t request_bytes = 0;
  uint64_t response_bytes = 0;

  std::atomic<bool> cancelled{false};
  std::mutex mtx;
  caf::error reason;
  uint64_t next_subscription = 1;
  std::vector<std::pair<uint64_t, std::function<void()>>> callbacks;

  /// Cancels the call with `why` and runs its callbacks; false when it was
  /// cancelled already (the first reason stands).
  bool cancel(caf::error why);

  /// Forgets callback `id`.
  void unsubscribe(uint64_t id);
};

/// A context for a call that arrives now with `timeout_ms` left (when the
/// caller sent a deadline).
call_context make_call_context(std::string method, call_metadata metadata,
                               std::optional<uint32_t> timeout_ms, socket_address peer,
                               std::shared_ptr<const peer_identity> identity);

} // namespace rpcnet
