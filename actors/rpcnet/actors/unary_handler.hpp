// What a server runs for a unary method: a function from the request's
// bytes (and, if it wants them, the call's context) to the reply's bytes or
// an error, or a service actor that answers (call_atom, method, bytes) --
// or, to read the context, (call_atom, method, bytes, context), and hears
// by message when a call is given up.
#pragma once

#include <functional>
#include <string>

#include <caf/expected.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <rpcnet/actors/atoms.hpp>
#include <rpcnet/actors/call_context.hpp>
#include <rpcnet/transport/byte_buffer.hpp>

namespace rpcnet {

/// A unary handler. It runs off the connection's actor, so a slow handler
/// delays no other call. Return make_error(error::remote, "why") -- or any
/// error, or throw -- and the client sees `remote` with the message.
using unary_handler = std::function<caf::expected<byte_buffer>(byte_buffer request)>;

/// A unary handler that reads the call's context: metadata, deadline,
/// peer, cancellation (call_context.hpp), and sets trailing metadata.
using context_unary_handler
  = std::function<caf::expected<byte_buffer>(call_context& ctx, byte_buffer request)>;

/// Where a function handler runs.
enum class handler_execution {
  /// A thread of the server's handler pool (the default): the handler may
  /// block -- sleep, wait for a database -- without holding up anything else.
  blocking_pool,
  /// A one-shot actor on CAF's scheduler: one thread hop less per call, for
  /// handlers that only compute. Such a handler must never block: it would
  /// hold a scheduler thread that every actor of the process shares.
  actor,
};

/// A service actor: answers each call with the reply's bytes or an error.
using service_actor = caf::typed_actor<
  caf::replies_to<call_atom, std::string, byte_buffer>::with<byte_buffer>>;

/// A service actor that reads each call's context: metadata, deadline, peer
/// (call_context.hpp), and sets the reply's trailers before it answers.
/// When the server gives a call up before the answer -- the caller
/// cancelled it or went away, or its deadline passed -- the actor receives
/// (cancel_atom, ctx.id()), after the call itself; ctx.cancellation() says
/// why. An answer that still comes is dropped, so the actor may answer
/// with an error or not at all.
using context_service_actor = caf::typed_actor<
  caf::replies_to<call_atom, std::string, byte_buffer, call_context>::with<byte_buffer>,
  caf::reacts_to<cancel_atom, uint64_t>>;

} // namespace rpcnet
