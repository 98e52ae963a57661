// The atoms of rpcnet's actor interfaces (CAF 0.17: at most 10 characters).
#pragma once

#include <caf/atom.hpp>

namespace rpcnet {

/// A unary call: (call_atom, method, payload[, timeout]) -> payload.
using call_atom = caf::atom_constant<caf::atom("call")>;

/// Open a streaming call: (stream_atom, method, kind) -> stream channel.
using stream_atom = caf::atom_constant<caf::atom("stream")>;

// -- streaming calls driven by actors (actor_stream.hpp) --

/// To the consumer: (message_atom, call id, message).
using message_atom = caf::atom_constant<caf::atom("message")>;

/// To the consumer: (end_atom, call id, error) -- no error: a clean end.
using end_atom = caf::atom_constant<caf::atom("end")>;

/// From the consumer: (demand_atom, call id, n) -- send n more messages.
using demand_atom = caf::atom_constant<caf::atom("demand")>;

/// From the producer: (send_atom, call id, message) -> bool, answered once
/// the message is under way; wait for it before sending the next.
using send_atom = caf::atom_constant<caf::atom("send")>;

/// From the producer: (finish_atom, call id[, error]) ends its direction;
/// a server's error becomes the call's outcome.
using finish_atom = caf::atom_constant<caf::atom("finish")>;

/// The caller gives up on a call: (cancel_atom, call id) from either side
/// of a streaming call, (cancel_atom, call_key) from a unary call's caller,
/// (cancel_atom, call_context::id()) from a server to its service actor.
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;

/// Wait until a client's connection is ready: (connect_atom) -> bool.
using connect_atom = caf::atom_constant<caf::atom("connect")>;

/// Close a client's connection: (close_atom).
using close_atom = caf::atom_constant<caf::atom("close")>;

} // namespace rpcnet
