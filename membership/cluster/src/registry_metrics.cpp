// cluster_* series of the worker registry (see registry_metrics.hpp).
#include "registry_metrics.hpp"

#include <chrono>

#include <caf/scoped_actor.hpp>

#include <rpcnet/transport/error.hpp>

namespace rpcnet {

namespace {

constexpr auto scrape_wait = std::chrono::seconds{1};

metric_counter& selections(metrics_registry& registry, std::string_view result) {
  return registry
    .counters("cluster_selections_total", "Worker selections by the registry, by result.",
              {"result"})
    .with({result});
}

} // namespace

selection_counters::selection_counters(metrics_registry& registry)
  : ok_(selections(registry, "ok")), no_workers_(selections(registry, "no_workers")),
    overloaded_(selections(registry, "overloaded")), other_(selections(registry, "error")) {
}

void selection_counters::count(const caf::expected<worker>& result) {
  if (result)
    ok_.inc();
  else if (code_of(result.error()) == error::no_workers)
    no_workers_.inc();
  else if (code_of(result.error()) == error::overloaded)
    overloaded_.inc();
  else
    other_.inc();
}

std::string label_of(const worker& w) {
  auto it = w.tags.find("label");
  return it != w.tags.end() ? it->second : std::string{};
}

std::optional<std::vector<loaded_worker>> read_pool(caf::actor_system& sys,
                                                    const worker_registry_actor& registry) {
  caf::scoped_actor self{sys};
  std::optional<std::vector<loaded_worker>> out;
  self->request(registry, caf::timespan{scrape_wait}, workers_atom::value)
    .receive(
      [&](std::vector<worker>& pool) {
        out.emplace();
        for (auto& w : pool)
          out->push_back({std::move(w), {}});
      },
      [](caf::error&) {});
  if (!out)
    return out;
  for (auto& w : *out)
    self->request(registry, caf::timespan{scrape_wait}, load_atom::value, w.info.id)
      .receive([&](worker_load& load) { w.load = load; }, [](caf::error&) {});
  return out;
}

metrics_collector registry_metrics_collector(caf::actor_system& sys,
                                             caf::weak_actor_ptr weak) {
  return [sys = &sys, weak = std::move(weak)](metrics_writer& out) {
    auto registry = caf::actor_cast<worker_registry_actor>(weak.lock());
    if (!registry)
      return;
    auto pool = read_pool(*sys, registry);
    if (!pool)
      return;
    double healthy = 0;
    double suspect = 0;
    for (const auto& w : *pool)
      (w.info.suspect ? suspect : healthy) += 1;
    out.gauge("cluster_healthy_workers", "Workers in the pool that membership does not suspect.",
              healthy);
    out.gauge("cluster_suspect_workers", "Workers in the pool that membership suspects.",
              suspect);
    for (const auto& w : *pool) {
      auto id = w.info.id.to_string();
      auto label = label_of(w.info);
      metric_labels labels{{"worker", id}, {"label", label}};
      out.gauge("cluster_worker_in_flight",
                "Calls and streams in flight on each worker, as the cluster clients report them.",
                static_cast<double>(w.load.in_flight), labels);
      out.counter("cluster_worker_calls_total",
                  "Calls and streams ended on each worker, as the cluster clients report them.",
                  static_cast<double>(w.load.calls_ended), labels);
    }
  };
}

} // namespace rpcnet
