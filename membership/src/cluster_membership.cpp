// Blocking requests to the membership actor.
#include <rpcnet/membership/cluster_membership.hpp>

#include "membership_metrics.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include <rpcnet/transport/actor_boundary.hpp>
#include <rpcnet/transport/address_resolver.hpp>
#include <rpcnet/transport/error.hpp>
#include <rpcnet/transport/library_log.hpp>

namespace rpcnet {

namespace {

/// Room beyond the actor's own deadlines: answers never take long.
constexpr auto request_slack = std::chrono::seconds{10};

/// `seeds` as the membership actor takes them: numeric, names resolved
/// here, on the caller's thread. A seed that is not host:port is a config
/// error. A name that does not resolve is skipped with a warning, since the
/// other seeds may do; when none is left, the join fails with connection
/// at once rather than wait out the join timeout.
caf::expected<std::vector<std::string>> resolve_seeds(const std::vector<std::string>& seeds) {
  std::vector<std::string> resolved;
  std::vector<std::string> unresolved;
  for (const auto& seed : seeds) {
    auto parsed = parse_host_port(seed);
    if (!parsed)
      return make_error(error::config, "join: seed " + message_of(parsed.error()));
    if (auto addr = resolve_address(*parsed))
      resolved.push_back(addr->to_string());
    else
      unresolved.push_back(message_of(addr.error()));
  }
  if (resolved.empty() && !unresolved.empty()) {
    std::string why;
    for (const auto& reason : unresolved)
      why += (why.empty() ? "" : "; ") + reason;
    return make_error(error::connection, "join: no seed resolves: " + why);
  }
  for (const auto& reason : unresolved)
    log_line(log_level::warn, "membership: join: skipping a seed: " + reason);
  return resolved;
}

} // namespace

caf::expected<cluster_membership>
cluster_membership::start(caf::actor_system& sys, cluster_config cfg,
                          std::shared_ptr<endpoint> shared) {
  auto actor = spawn_membership(sys, cfg, std::move(shared));
  if (!actor)
    return std::move(actor.error());
  cluster_membership result{sys, std::move(*actor), std::move(cfg)};
  if (result.cfg_.metrics)
    result.metrics_ = result.cfg_.metrics->add_collector(
      membership_metrics_collector(sys, result.actor_));
  return result;
}

cluster_membership::cluster_membership(caf::actor_system& sys, membership_actor actor,
                                       cluster_config cfg)
  : sys_(&sys), actor_(std::move(actor)), cfg_(std::move(cfg)) {
}

cluster_membership::~cluster_membership() {
  stop();
}

template <class Result, class... Ts>
caf::expected<Result> cluster_membership::ask(Ts&&... xs) const {
  if (!actor_)
    return make_error(error::cancelled, "cluster membership was stopped");
  caf::scoped_actor self{*sys_};
  caf::expected<Result> result = make_error(error::timeout, "no answer");
  auto limit = cfg_.join_timeout + cfg_.leave_propagation + request_slack;
  self->request(actor_, caf::timespan{limit}, std::forward<Ts>(xs)...)
    .receive([&](Result& value) { result = std::move(value); },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

template <class... Ts>
caf::error cluster_membership::command(Ts&&... xs) const {
  auto done = ask<caf::ok_atom>(std::forward<Ts>(xs)...);
  return done ? caf::error{} : std::move(done.error());
}

caf::error cluster_membership::join(std::vector<std::string> seeds) {
  auto resolved = resolve_seeds(seeds);
  if (!resolved)
    return std::move(resolved.error());
  auto known = ask<uint64_t>(join_atom::value, std::move(*resolved));
  return known ? caf::error{} : std::move(known.error());
}

caf::error cluster_membership::leave() {
  return command(leave_atom::value);
}

void cluster_membership::stop() {
  metrics_.reset();
  if (!actor_)
    return;
  caf::anon_send_exit(actor_, caf::exit_reason::user_shutdown);
  actor_ = nullptr;
}

caf::error cluster_membership::set_tag(std::string key, std::string value) {
  return command(set_tag_atom::value, std::move(key), std::move(value), false);
}

caf::error cluster_membership::remove_tag(std::string key) {
  return command(set_tag_atom::value, std::move(key), std::string{}, true);
}

caf::error cluster_membership::install_key(std::vector<uint8_t> key) {
  return command(key_atom::value, key_operation::install, std::move(key));
}

caf::error cluster_membership::use_key(std::vector<uint8_t> key) {
  return command(key_atom::value, key_operation::use, std::move(key));
}

caf::error cluster_membership::remove_key(std::vector<uint8_t> key) {
  return command(key_atom::value, key_operation::remove, std::move(key));
}

std::optional<std::string> cluster_membership::get_tag(const std::string& key) const {
  auto self = local_member();
  if (auto it = self.tags.find(key); it != self.tags.end())
    return it->second;
  return std::nullopt;
}

std::vector<member> cluster_membership::members() const {
  auto result = ask<std::vector<member>>(members_atom::value);
  return result ? std::move(*result) : std::vector<member>{};
}

node_id cluster_membership::local_node_id() const {
  return local_member().id;
}

member cluster_membership::local_member() const {
  auto result = ask<member>(local_atom::value);
  return result ? std::move(*result) : member{};
}

double cluster_membership::phi(const node_id& id) const {
  auto result = ask<double>(phi_atom::value, id);
  return result ? *result : 0.0;
}

std::vector<member_phi> cluster_membership::phis() const {
  auto result = ask<std::vector<member_phi>>(phi_atom::value);
  return result ? std::move(*result) : std::vector<member_phi>{};
}

std::vector<duration> cluster_membership::heartbeat_history(const node_id& id) const {
  auto result = ask<std::vector<duration>>(history_atom::value, id);
  return result ? std::move(*result) : std::vector<duration>{};
}

gossip_stats cluster_membership::stats() const {
  auto result = ask<gossip_stats>(stats_atom::value);
  return result ? *result : gossip_stats{};
}

void cluster_membership::subscribe(caf::actor subscriber) {
  if (actor_)
    caf::anon_send(actor_, subscribe_atom::value, std::move(subscriber));
}

void cluster_membership::unsubscribe(const caf::actor& subscriber) {
  if (actor_)
    caf::anon_send(actor_, unsubscribe_atom::value, subscriber);
}

caf::actor cluster_membership::on_event(std::function<void(const membership_event&)> callback) {
  // A callback that throws would end the relay and, unseen, every later
  // event: behind the boundary it is logged and counted, and the next event
  // still comes.
  auto relay = sys_->spawn(
    [](caf::event_based_actor* self, std::function<void(const membership_event&)> cb,
       actor_boundary boundary) -> caf::behavior {
      return boundary.behavior<caf::behavior>(
        self, [cb = std::move(cb)](const membership_event& ev) { cb(ev); });
    },
    std::move(callback), actor_boundary{"membership_events", cfg_.metrics});
  subscribe(relay);
  return relay;
}

} // namespace rpcnet
