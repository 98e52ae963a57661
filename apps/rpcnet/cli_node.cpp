// A CLI node: the library cluster_node with the admin service and log lines.
#include "cli_node.hpp"

#include <rpcnet/transport/error.hpp>

#include "admin/admin.hpp"
#include "cluster_key_check.hpp"
#include "log.hpp"
#include "service_manager.hpp"

namespace rpcnet::cli {

namespace {

/// The member table and the gossip counters as this node sees them, and
/// the answer to a key probe.
class admin_service : public rpcnet_cli::AdminHandler {
public:
  admin_service(cluster_membership& cluster, std::shared_ptr<cluster_key_set> keys)
    : cluster_(cluster), keys_(std::move(keys)) {
  }

  rpcnet::result<rpcnet_cli::MemberTable, rpcnet_cli::AdminError>
  members(rpcnet::call_context&, rpcnet_cli::MembersRequest request) override {
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

  rpcnet::result<rpcnet_cli::GossipCounters, rpcnet_cli::AdminError>
  gossip_stats(rpcnet::call_context&, rpcnet_cli::StatsRequest) override {
    auto s = cluster_.stats();
    const auto& p = s.protocol;
    return rpcnet_cli::GossipCounters{
      s.datagrams_received,  s.bytes_received,        s.datagrams_sent,
      s.bytes_sent,          s.rejected_malformed,    s.rejected_unauthenticated,
      s.rejected_forged,     s.dropped_backlog,       s.unsendable,
      p.refused_hearsay,     p.refused_implausible,   p.refused_ping_req,
      p.unexpected_acks,     p.refused_introductions, p.refused_full,
      p.candidates_verified, p.candidates_expired,    p.replies_deferred,
      p.replies_refused};
  }

  rpcnet::result<rpcnet_cli::KeyAnswer, rpcnet_cli::AdminError>
  check_cluster_key(rpcnet::call_context&, rpcnet_cli::KeyProbe probe) override {
    return answer_key_probe(keys_->get(), probe);
  }

private:
  cluster_membership& cluster_;
  std::shared_ptr<cluster_key_set> keys_;
};

/// Says how gossip at `addr` is sealed, or warns that it is not.
void log_gossip_sealing(const gossip_key& key, const socket_address& addr) {
  if (!key.sealed()) {
    log_warn("gossip is not sealed (--insecure-gossip): anyone who can send a datagram to "
             + addr.to_string() + " can join the cluster or forge its members");
    return;
  }
  log_info("gossip sealed with AES-" + std::to_string(key.bytes.size() * 8)
           + "-GCM; cluster key: " + std::string{to_string_view(key.origin)});
}

} // namespace

caf::expected<std::unique_ptr<cli_node>>
cli_node::open(caf::actor_system& sys, const tls_files& tls, cluster_config cfg,
               const node_settings& settings) {
  const auto& key = settings.key;
  if (key.sealed()) {
    cfg = cfg.with_cluster_key(key.bytes);
    for (const auto& other : key.also_open)
      cfg = cfg.with_cluster_key(other);
  }
  const auto& where = settings.where;
  // Advertised as bound unless told otherwise: the bound port may be 0
  // until the server binds.
  if (!(where.advertise == where.bind))
    cfg = cfg.with_advertise_address(where.advertise.to_string());
  cfg = cfg.with_swim(settings.swim)
          .with_max_pending_datagrams(settings.max_pending_datagrams);
  auto keys = std::make_shared<cluster_key_set>(cfg.cluster_keys);
  admin_config admin;
  admin.address = settings.metrics_address;
  auto node = cluster_node::open(sys, tls.server_config(where.bind.to_string()), std::move(cfg),
                                 std::move(admin));
  if (!node)
    return std::move(node.error());
  if (!(where.advertise == where.bind))
    log_info("bound to " + where.bind.to_string() + ", advertised as "
             + where.advertise.to_string());
  log_gossip_sealing(key, where.advertise);
  if (auto http = (*node)->admin_address())
    log_info("admin HTTP at http://" + http->to_string()
             + "/ (dashboard, /metrics, /healthz, /readyz)");
  std::unique_ptr<cli_node> self{new cli_node(std::move(*node), keys)};
  if (settings.signals != nullptr)
    self->reloader_ = std::make_unique<credential_reloader>(
      self->cluster(), self->server(), std::move(keys),
      credential_reloader::sources{key.origin == key_origin::key_file ? key.file : std::nullopt,
                                   tls.files()},
      *settings.signals);
  return self;
}

caf::error cli_node::start() {
  rpcnet_cli::AdminServer::register_handler(
    server(), std::make_shared<admin_service>(cluster(), cluster_keys_));
  return node_->start();
}

void cli_node::shutdown(std::chrono::milliseconds grace) {
  notify_stopping();
  log_info("leaving the cluster");
  log_info("draining calls in flight (up to " + std::to_string(grace.count()) + " ms)");
  if (auto err = node_->shutdown(grace))
    log_warn("leave failed: " + describe(err));
}

} // namespace rpcnet::cli
