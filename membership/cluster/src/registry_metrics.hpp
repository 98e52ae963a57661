// The worker registry as metrics, for a registry made with
// worker_registry_config::metrics: selections by result, counted as they
// happen, and at each scrape the pool as the registry holds it --
// cluster_healthy_workers, suspect workers, and each worker's calls and
// streams in flight (labelled by node id and its "label" tag; current
// workers only, so the series stay bounded by the pool).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include <rpcnet/cluster/worker.hpp>
#include <rpcnet/cluster/worker_registry_actor.hpp>
#include <rpcnet/transport/metrics_registry.hpp>

namespace rpcnet {

/// cluster_selections_total{result}: one counter per result a selection
/// can have, made up front so that counting is one atomic add.
class selection_counters {
public:
  explicit selection_counters(metrics_registry& registry);

  void count(const caf::expected<worker>& result);

private:
  metric_counter& ok_;
  metric_counter& no_workers_;
  metric_counter& overloaded_;
  metric_counter& other_;
};

/// A worker of the pool and its load.
struct loaded_worker {
  worker info;
  worker_load load;
};

/// The registry's pool with each worker's load, asked with a short timeout
/// per question (the dashboard and the scrape both read it); none when the
/// registry does not answer.
std::optional<std::vector<loaded_worker>> read_pool(caf::actor_system& sys,
                                                    const worker_registry_actor& registry);

/// The "label" tag of `w`, or "".
std::string label_of(const worker& w);

/// Holds the registry weakly: the registry's own state keeps the collection.
metrics_collector registry_metrics_collector(caf::actor_system& sys,
                                             caf::weak_actor_ptr registry);

} // namespace rpcnet
