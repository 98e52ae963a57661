// What a connection actor needs of the thing that carries its streams: dial,
// hand in commands, read the settings, and learn whether dialling still makes
// sense. The QUIC endpoint implements it, and so does the in-process pair
// (rpcnet::testing), which is why the actors' call logic holds this interface
// rather than an endpoint.
#pragma once

#include <string>

#include <caf/actor.hpp>

#include <rpcnet/transport/socket_address.hpp>
#include <rpcnet/transport/transport_config.hpp>
#include <rpcnet/transport/transport_messages.hpp>

namespace rpcnet {

/// Thread-safe. Events reach actors only as messages (connection_ready,
/// connection_batch, connection_closed), never by a call back into the
/// submitter, so a submitter may hold its own locks.
class call_transport {
public:
  virtual ~call_transport() = default;

  /// Starts a connection to `remote`; `owner` gets connection_ready or
  /// connection_closed (always as a message, never before this returns),
  /// then the connection's batches.
  virtual connection_id connect(const socket_address& remote, std::string server_name,
                                caf::actor owner)
    = 0;

  /// Hands one command to the transport.
  virtual void submit(transport_command cmd) = 0;

  virtual const transport_config& config() const noexcept = 0;

  /// False once shut down: a command submitted from then on may never be
  /// carried out, so a client does not dial through it.
  virtual bool running() const noexcept = 0;
};

} // namespace rpcnet
