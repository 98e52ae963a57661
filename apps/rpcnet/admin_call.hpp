// One call to a running node's admin service (admin.rpc.hpp) over QUIC +
// TLS: `rpcnet members` and `rpcnet stats` ask it for what they print, a
// worker asks its director's whether their cluster keys agree.
#pragma once

#include <chrono>
#include <utility>

#include <caf/actor_system.hpp>

#include <rpcnet/transport/socket_address.hpp>

#include "admin/admin.hpp"
#include "tls_files.hpp"

namespace rpcnet::cli {

/// What `call` returns for a connection to the admin service at `node`
/// (it returns a caf::expected), or the error of connecting.
template <class Call>
auto call_admin(caf::actor_system& sys, const tls_files& tls, const socket_address& node,
                std::chrono::milliseconds timeout, Call call)
  -> decltype(call(std::declval<rpcnet_cli::AdminClient&>())) {
  auto client = rpcnet_cli::AdminClient::connect(sys, node.to_string(),
                                                 tls.client_config(timeout, node.family()));
  if (!client)
    return std::move(client.error());
  auto reply = call(*client);
  client->close();
  return reply;
}

} // namespace rpcnet::cli
