// The atoms of rpcnet's actor interfaces (CAF 0.17: at most 10 characters).
#pragma once

#include <caf/atom.hpp>

namespace rpcnet {

/// A unary call: (call_atom, method, payload[, timeout]) -> payload.
using call_atom = caf::atom_constant<caf::atom("call")>;

/// Open a streaming call: (stream_atom, method, kind) -> stream channel.
using stream_atom = caf::atom_constant<caf::atom("stream")>;

/// Wait until a client's connection is ready: (connect_atom) -> bool.
using connect_atom = caf::atom_constant<caf::atom("connect")>;

/// Close a client's connection: (close_atom).
using close_atom = caf::atom_constant<caf::atom("close")>;

/// A client connection's deadline timer fired: (timeout_atom).
using timeout_atom = caf::atom_constant<caf::atom("timeout")>;

/// A server stops taking new calls on a connection: (drain_atom).
using drain_atom = caf::atom_constant<caf::atom("drain")>;

} // namespace rpcnet
