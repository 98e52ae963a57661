// A node's server, membership and admin service, and its orderly shutdown.
#include "cluster_node.hpp"

#include <rpcnet/transport/error.hpp>

#include "admin/admin.hpp"
#include "log.hpp"

namespace rpcnet::cli {

namespace {

/// The member table as this node sees it.
class admin_service : public rpcnet_cli::AdminHandler {
public:
  explicit admin_service(cluster_membership& cluster) : cluster_(cluster) {
  }

  rpcnet::result<rpcnet_cli::MemberTable, rpcnet_cli::AdminError>
  members(rpcnet_cli::MembersRequest request) override {
    rpcnet_cli::MemberTable table;
    table.node_id = cluster_.local_node_id().to_string();
    for (const auto& m : cluster_.members()) {
      if (!request.include_tombstones && !is_live(m.state))
        continue;
      table.members.push_back({m.id.to_string(), m.address, std::string{to_string_view(m.state)},
                               m.incarnation, m.tags, cluster_.phi(m.id)});
    }
    return table;
  }

private:
  cluster_membership& cluster_;
};

} // namespace

caf::expected<std::unique_ptr<cluster_node>>
cluster_node::open(caf::actor_system& sys, const tls_files& tls, const socket_address& addr,
                   cluster_config cfg) {
  std::unique_ptr<cluster_node> node{new cluster_node(sys, tls.server_config(addr.to_string()))};
  auto bound = node->server_.bind();
  if (!bound)
    return make_error(error::io,
                      "cannot bind " + addr.to_string() + ": " + describe(bound.error()));
  auto cluster = cluster_membership::start(sys, std::move(cfg), node->server_.endpoint_handle());
  if (!cluster)
    return std::move(cluster.error());
  node->cluster_.emplace(std::move(*cluster));
  return node;
}

caf::error cluster_node::start() {
  rpcnet_cli::AdminServer::register_handler(server_, std::make_shared<admin_service>(*cluster_));
  return server_.start();
}

void cluster_node::shutdown(std::chrono::milliseconds grace) {
  log_info("leaving the cluster");
  if (auto err = cluster_->leave())
    log_warn("leave failed: " + describe(err));
  log_info("draining calls in flight (up to " + std::to_string(grace.count()) + " ms)");
  server_.stop(grace);
  cluster_->stop();
}

} // namespace rpcnet::cli
