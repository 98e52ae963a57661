// One call to a running node's admin service (admin.rpc.hpp) over QUIC +
// TLS: `rpcnet members` and `rpcnet stats` ask it for what they print, a
// worker asks its director's whether their cluster keys agree.
#pragma once

#include <chrono>
#include <utility>

#include <caf/actor_system.hpp>

#include <rpcnet/transport/error.hpp>
#include <rpcnet/transport/socket_address.hpp>

#include "admin/admin.hpp"
#include "tls_files.hpp"

namespace rpcnet::cli {

/// What `call` returns for a connection to the admin service at `node`
/// (it returns a caf::expected), or the error of connecting, which names
/// the node.
template <class Call>
auto call_admin(caf::actor_system& sys, const tls_files& tls, const socket_address& node,
                std::chrono::milliseconds timeout, Call call)
  -> decltype(call(std::declval<rpcnet_cli::AdminClient&>())) {
  auto addr = node.to_string();
  auto client = rpcnet_cli::AdminClient::connect(sys, addr, tls.client_config(timeout));
  if (!client)
    return make_error(code_of(client.error()),
                      "cannot reach " + addr + ": " + describe(client.error()));
  auto reply = call(*client);
  client->close();
  return reply;
}

} // namespace rpcnet::cli
