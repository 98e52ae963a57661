// Opening, starting and shutting down a cluster node (see cluster_node.hpp).
#include <rpcnet/cluster/cluster_node.hpp>

#include <caf/send.hpp>

#include <rpcnet/transport/configuration.hpp>
#include <rpcnet/transport/error.hpp>
#include <rpcnet/transport/library_log.hpp>

#include "cluster_snapshot.hpp"

namespace rpcnet {

caf::expected<std::unique_ptr<cluster_node>>
cluster_node::open(caf::actor_system& sys, rpc_config server_cfg, cluster_config cluster_cfg) {
  return open(sys, std::move(server_cfg), std::move(cluster_cfg), admin_config{});
}

caf::expected<std::unique_ptr<cluster_node>>
cluster_node::open(caf::actor_system& sys, rpc_config server_cfg, cluster_config cluster_cfg,
                   admin_config admin) {
  bool serves_admin = !admin.address.empty();
  if (serves_admin && !server_cfg.metrics)
    server_cfg.metrics = std::make_shared<metrics_registry>();
  if (!cluster_cfg.metrics)
    cluster_cfg.metrics = server_cfg.metrics;
  // Every configuration's problems in one error, before anything is bound.
  config_errors errors{"cluster_node"};
  errors.nest("server", server_cfg.validate());
  errors.nest("cluster", cluster_cfg.validate());
  if (serves_admin)
    errors.nest("admin", admin.validate());
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
  node->event_listener_ = node->cluster_->on_event(
    [events = node->events_](const membership_event& ev) { events->add(ev); });
  if (serves_admin) {
    auto* raw = node.get();
    admin_routes routes;
    routes.metrics = node->metrics_;
    routes.ready = [raw] { return raw->ready(); };
    routes.cluster_json = [raw] { return raw->snapshot_json(); };
    auto http = admin_server::start(std::move(admin), std::move(routes));
    if (!http)
      return std::move(http.error()); // the destructor stops what started
    node->admin_ = std::move(*http);
  }
  return node;
}

cluster_node::cluster_node(caf::actor_system& sys, rpc_config cfg)
  : sys_(sys), metrics_(cfg.metrics), server_(sys, std::move(cfg)),
    health_(health_service::attach(server_)), events_(std::make_shared<recent_events>()) {
}

cluster_node::~cluster_node() {
  // The admin server reads the rest: it goes first.
  admin_.reset();
  if (event_listener_) {
    if (cluster_)
      cluster_->unsubscribe(event_listener_);
    caf::anon_send_exit(event_listener_, caf::exit_reason::user_shutdown);
  }
  if (stopped_)
    return;
  // Membership first: it gossips through the server's endpoint.
  if (cluster_)
    cluster_->stop();
  server_.stop(std::chrono::milliseconds{0});
}

caf::error cluster_node::start() {
  auto err = server_.start();
  if (!err) {
    phase_ = phase::serving;
    health_->set("", health_status::serving);
  }
  return err;
}

caf::error cluster_node::join(std::vector<std::string> seeds) {
  join_wanted_ = true;
  auto err = cluster_->join(std::move(seeds));
  if (!err)
    joined_ = true;
  return err;
}

caf::error cluster_node::shutdown(std::chrono::milliseconds grace) {
  // Not ready from here on: a load balancer stops sending before we leave.
  phase_ = phase::draining;
  // Watches end too, or they would hold the server's stop for all its grace.
  health_->shutdown();
  log_line(log_level::info, "node: shutting down at " + local_address_.to_string()
                              + ": not ready, leaving the cluster, then draining calls");
  auto err = cluster_->leave();
  if (err)
    log_line(log_level::warn, "node: leaving the cluster failed: " + describe(err));
  server_.stop(grace);
  cluster_->stop();
  stopped_ = true;
  return err;
}

std::optional<socket_address> cluster_node::admin_address() const {
  if (!admin_)
    return std::nullopt;
  return admin_->local_address();
}

void cluster_node::show_workers(worker_registry_actor registry) {
  std::lock_guard<std::mutex> guard{registry_mtx_};
  registry_ = std::move(registry);
}

readiness cluster_node::ready() const {
  switch (phase_.load()) {
    case phase::opened: return {false, "not serving calls yet"};
    case phase::draining: return {false, "draining before shutdown"};
    case phase::serving: break;
  }
  if (join_wanted_ && !joined_)
    return {false, "not joined to its cluster"};
  return {};
}

std::string cluster_node::snapshot_json() const {
  std::optional<worker_registry_actor> registry;
  {
    std::lock_guard<std::mutex> guard{registry_mtx_};
    registry = registry_;
  }
  return cluster_snapshot_json(sys_, *cluster_, registry, *events_);
}

} // namespace rpcnet
