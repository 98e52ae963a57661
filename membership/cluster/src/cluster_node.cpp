// Opening, starting and shutting down a cluster node (see cluster_node.hpp).
#include <rpcnet/cluster/cluster_node.hpp>

#include <rpcnet/transport/configuration.hpp>
#include <rpcnet/transport/error.hpp>

namespace rpcnet {

caf::expected<std::unique_ptr<cluster_node>>
cluster_node::open(caf::actor_system& sys, rpc_config server_cfg, cluster_config cluster_cfg) {
  // Both configurations' problems in one error, before anything is bound.
  config_errors errors{"cluster_node"};
  errors.nest("server", server_cfg.validate());
  errors.nest("cluster", cluster_cfg.validate());
  if (auto err = errors.result())
    return err;
  auto where = server_cfg.bind_address;
  std::unique_ptr<cluster_node> node{new cluster_node(sys, std::move(server_cfg))};
  auto bound = node->server_.bind();
  if (!bound)
    return make_error(code_of(bound.error()),
                      "cannot bind " + where + ": " + message_of(bound.error()));
  node->local_address_ = *bound;
  auto cluster = cluster_membership::start(sys, std::move(cluster_cfg),
                                           node->server_.endpoint_handle());
  if (!cluster) {
    node->server_.stop(std::chrono::milliseconds{0});
    return make_error(code_of(cluster.error()), "cannot start membership on "
                                                  + bound->to_string() + ": "
                                                  + message_of(cluster.error()));
  }
  node->cluster_.emplace(std::move(*cluster));
  return node;
}

cluster_node::~cluster_node() {
  if (stopped_)
    return;
  // Membership first: it gossips through the server's endpoint.
  if (cluster_)
    cluster_->stop();
  server_.stop(std::chrono::milliseconds{0});
}

caf::error cluster_node::start() {
  return server_.start();
}

caf::error cluster_node::shutdown(std::chrono::milliseconds grace) {
  auto err = cluster_->leave();
  server_.stop(grace);
  cluster_->stop();
  stopped_ = true;
  return err;
}

} // namespace rpcnet
