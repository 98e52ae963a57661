// Spawning a client connection actor on any call_transport, without the
// public entry's checks: the QUIC path (spawn_client_connection) validates
// the configuration with its TLS rules first, the in-process path without
// them (in_process.cpp).
#pragma once

#include <memory>

#include <rpcnet/actors/client_connection.hpp>
#include <rpcnet/transport/call_transport.hpp>

namespace rpcnet {

/// `cfg` must have been validated; `transport` must not be null.
rpc_client_actor spawn_client_connection_on(caf::actor_system& sys,
                                            std::shared_ptr<call_transport> transport,
                                            socket_address remote, rpc_config cfg);

} // namespace rpcnet
