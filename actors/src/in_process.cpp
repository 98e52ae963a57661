// Connecting clients to a server in the same process (in_process.hpp).
#include <rpcnet/actors/in_process.hpp>

#include <atomic>

#include "client_connection_spawn.hpp"
#include "in_process_transport.hpp"
#include "rpc_config_rules.hpp"
#include <rpcnet/transport/error.hpp>

namespace rpcnet::testing {

struct in_process_access {
  static caf::actor_system& system(rpc_server& server) {
    return server.sys_;
  }

  static caf::expected<std::shared_ptr<in_process_hub>> hub(rpc_server& server) {
    return server.in_process_hub_handle();
  }

  static caf::expected<rpc_client> await_connected(caf::actor_system& sys,
                                                   rpc_client_actor actor, rpc_config cfg,
                                                   std::shared_ptr<in_process_side> side) {
    auto local = side->address();
    auto release = [side] { side->close_all(); };
    return rpc_client::await_connected(sys, std::move(actor), std::move(cfg), std::move(side),
                                       std::move(release), std::move(local));
  }
};

namespace {

/// 127.0.0.1 with a port per connection: distinct peers for per-peer logic.
socket_address next_client_address() {
  static std::atomic<uint32_t> ordinal{0};
  auto port = 1 + ordinal.fetch_add(1, std::memory_order_relaxed) % 65535;
  return *socket_address::parse("127.0.0.1:" + std::to_string(port));
}

struct spawned {
  rpc_client_actor actor;
  std::shared_ptr<in_process_side> side;
};

caf::expected<spawned> spawn_client(caf::actor_system& sys, rpc_server& server,
                                    const rpc_config& cfg, in_process_options& opts) {
  if (auto err = validate_without_tls(cfg))
    return err;
  auto hub = in_process_access::hub(server);
  if (!hub)
    return std::move(hub.error());
  auto address = opts.client_address ? std::move(*opts.client_address) : next_client_address();
  auto side = (*hub)->client_side(cfg.to_transport(false), std::move(address),
                                  std::move(opts.client_identity));
  // The address dialled is never looked at: the side reaches its hub.
  auto actor = spawn_client_connection_on(sys, side, side->address(), cfg);
  return spawned{std::move(actor), std::move(side)};
}

} // namespace

caf::expected<rpc_client> connect_in_process(caf::actor_system& sys, rpc_server& server,
                                             rpc_config cfg, in_process_options opts) {
  auto client = spawn_client(sys, server, cfg, opts);
  if (!client)
    return std::move(client.error());
  return in_process_access::await_connected(sys, std::move(client->actor), std::move(cfg),
                                            std::move(client->side));
}

caf::expected<rpc_client> connect_in_process(rpc_server& server, rpc_config cfg,
                                             in_process_options opts) {
  return connect_in_process(in_process_access::system(server), server, std::move(cfg),
                            std::move(opts));
}

caf::expected<rpc_client_actor> spawn_in_process_client(caf::actor_system& sys,
                                                        rpc_server& server, rpc_config cfg,
                                                        in_process_options opts) {
  auto client = spawn_client(sys, server, cfg, opts);
  if (!client)
    return std::move(client.error());
  return std::move(client->actor);
}

} // namespace rpcnet::testing
