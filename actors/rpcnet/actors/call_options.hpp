// How a client makes one call: its timeout, the metadata it carries, the
// caller's key for cancelling it, and the call it is made on behalf of
// (whose deadline and cancellation it inherits); and what a reply brings
// back besides its bytes.
//
//   auto opts = rpcnet::call_options::child_of(ctx)            // in a handler
//                 .with_metadata("tenant", "blue");
//   auto reply = client.call("lookup", request, opts);
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/meta/type_name.hpp>

#include <rpcnet/actors/call_context.hpp>
#include <rpcnet/actors/call_metadata.hpp>
#include <rpcnet/transport/byte_buffer.hpp>

namespace rpcnet {

/// A caller's name for one of its unary calls, so that it can cancel the
/// call before the reply comes: not 0 (calls without a key have 0), and
/// unique among the connection's calls in flight.
struct call_key {
  uint64_t value = 0;

  friend bool operator==(const call_key&, const call_key&) = default;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, call_key& x) {
    return f(caf::meta::type_name("call_key"), x.value);
  }
};

struct call_options {
  /// Fails the call with `timeout` after this; none: the client's
  /// call_timeout. With a parent, the parent's deadline less the client's
  /// deadline_margin wins when it comes sooner.
  std::optional<std::chrono::nanoseconds> timeout;
  /// Sent with the call (call_metadata's rules; the client's
  /// max_metadata_size bounds it).
  call_metadata metadata;
  /// For cancelling the call (rpc_client::cancel); 0: none.
  call_key key;
  /// The call being served on whose behalf this one is made: the call
  /// fails with `timeout` when too little of the parent's time is left, and
  /// is cancelled when the parent is. Empty: none.
  call_context parent;
  /// While the client is not connected and backing off after a failed
  /// dial, wait for the server (up to the call's deadline) instead of
  /// failing at once with `connection` -- gRPC's wait-for-ready.
  bool wait_for_ready = false;

  /// Options for a call made while serving `parent`.
  static call_options child_of(call_context parent);

  [[nodiscard]] call_options with_timeout(std::chrono::nanoseconds t) const;
  [[nodiscard]] call_options with_metadata(std::string key, std::string value) const;
  [[nodiscard]] call_options with_key(call_key k) const;
  [[nodiscard]] call_options with_parent(call_context p) const;
  [[nodiscard]] call_options with_wait_for_ready(bool wait = true) const;
};

/// A successful unary reply: its bytes and the server's trailing metadata.
struct call_reply {
  byte_buffer body;
  call_metadata trailers;
};

} // namespace rpcnet

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rpcnet::call_options)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rpcnet::call_reply)
