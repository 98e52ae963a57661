// What a server runs for a unary method: a function from the request's
// bytes to the reply's bytes or an error, or a service actor that answers
// (call_atom, method, bytes).
#pragma once

#include <functional>
#include <string>

#include <caf/expected.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <rpcnet/actors/atoms.hpp>
#include <rpcnet/transport/byte_buffer.hpp>

namespace rpcnet {

/// A unary handler. It runs in an actor of its own, off the connection's
/// actor, so a slow handler delays no other call. Return
/// make_error(error::remote, "why") -- or any error, or throw -- and the
/// client sees `remote` with the message.
using unary_handler = std::function<caf::expected<byte_buffer>(byte_buffer request)>;

/// A service actor: answers each call with the reply's bytes or an error.
using service_actor = caf::typed_actor<
  caf::replies_to<call_atom, std::string, byte_buffer>::with<byte_buffer>>;

} // namespace rpcnet
