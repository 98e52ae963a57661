// Families, collectors and the scrape (see metrics_registry.hpp).
#include <rpcnet/transport/metrics_registry.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "prometheus_text.hpp"

namespace rpcnet {

namespace {

bool name_char(char c, bool first, bool label) {
  bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  bool digit = c >= '0' && c <= '9';
  return letter || (!first && digit) || (!label && c == ':');
}

[[noreturn]] void misuse(std::string what) {
  throw std::invalid_argument("metrics: " + what);
}

void check_names(std::string_view name, const std::vector<std::string>& label_names) {
  if (!is_valid_metric_name(name))
    misuse("'" + std::string{name} + "' is not a Prometheus metric name");
  for (const auto& label : label_names)
    if (!is_valid_metric_name(label, true) || label == "le" || label == "quantile")
      misuse("'" + label + "' is not a label name " + std::string{name} + " may use");
}

void report(metrics_writer& out, const std::string& name, const std::string& help,
            const metric_labels& labels, const metric_counter& c) {
  out.counter(name, help, static_cast<double>(c.value()), labels);
}

void report(metrics_writer& out, const std::string& name, const std::string& help,
            const metric_labels& labels, const metric_gauge& g) {
  out.gauge(name, help, g.value(), labels);
}

void report(metrics_writer& out, const std::string& name, const std::string& help,
            const metric_labels& labels, const metric_histogram& h) {
  out.histogram(name, help, h, labels);
}

template <class Instrument>
std::unique_ptr<Instrument> make_instrument(const std::vector<double>& bounds) {
  if constexpr (std::is_same_v<Instrument, metric_histogram>)
    return std::make_unique<Instrument>(bounds);
  else
    return std::make_unique<Instrument>();
}

} // namespace

bool is_valid_metric_name(std::string_view name, bool label) {
  if (name.empty() || (label && name.starts_with("__")))
    return false;
  for (size_t i = 0; i < name.size(); ++i)
    if (!name_char(name[i], i == 0, label))
      return false;
  return true;
}

// -- metric_family ------------------------------------------------------------

template <class Instrument>
Instrument& metric_family<Instrument>::with(const std::vector<std::string_view>& values) {
  if (values.size() != label_names_.size())
    misuse(name_ + " takes " + std::to_string(label_names_.size()) + " label values, not "
           + std::to_string(values.size()));
  std::vector<std::string> key{values.begin(), values.end()};
  std::lock_guard<std::mutex> guard{mtx_};
  auto it = instruments_.find(key);
  if (it == instruments_.end())
    it = instruments_.emplace(std::move(key), make_instrument<Instrument>(bounds_)).first;
  return *it->second;
}

template <class Instrument>
void metric_family<Instrument>::collect(metrics_writer& out) const {
  std::lock_guard<std::mutex> guard{mtx_};
  metric_labels labels(label_names_.size());
  for (const auto& [values, instrument] : instruments_) {
    for (size_t i = 0; i < values.size(); ++i)
      labels[i] = metric_label{label_names_[i], values[i]};
    report(out, name_, help_, labels, *instrument);
  }
}

template class metric_family<metric_counter>;
template class metric_family<metric_gauge>;
template class metric_family<metric_histogram>;

// -- metrics_collection -------------------------------------------------------

metrics_collection::metrics_collection(metrics_collection&& other) noexcept
  : registry_(std::move(other.registry_)), id_(std::exchange(other.id_, 0)) {
}

metrics_collection& metrics_collection::operator=(metrics_collection&& other) noexcept {
  if (this != &other) {
    reset();
    registry_ = std::move(other.registry_);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

metrics_collection::~metrics_collection() {
  reset();
}

void metrics_collection::reset() {
  if (auto registry = registry_.lock(); registry && id_ != 0)
    registry->remove_collector(id_);
  registry_.reset();
  id_ = 0;
}

// -- metrics_registry ---------------------------------------------------------

template <class Family, class... Extra>
Family& metrics_registry::family_of(metric_type type, std::string_view name,
                                    std::string_view help, std::vector<std::string> label_names,
                                    Extra&&... extra) {
  check_names(name, label_names);
  std::lock_guard<std::mutex> guard{families_mtx_};
  auto it = families_.find(name);
  if (it != families_.end()) {
    if (it->second.type != type || it->second.label_names != label_names)
      misuse(std::string{name} + " is already registered with another type or labels");
    return *static_cast<Family*>(it->second.family.get());
  }
  auto family = std::make_shared<Family>(std::string{name}, std::string{help}, label_names,
                                         std::forward<Extra>(extra)...);
  auto* raw = family.get();
  families_.emplace(std::string{name},
                    family_entry{type, std::move(label_names), family,
                                 [raw](metrics_writer& out) { raw->collect(out); }});
  return *raw;
}

counter_family& metrics_registry::counters(std::string_view name, std::string_view help,
                                           std::vector<std::string> label_names) {
  return family_of<counter_family>(metric_type::counter, name, help, std::move(label_names));
}

gauge_family& metrics_registry::gauges(std::string_view name, std::string_view help,
                                       std::vector<std::string> label_names) {
  return family_of<gauge_family>(metric_type::gauge, name, help, std::move(label_names));
}

histogram_family& metrics_registry::histograms(std::string_view name, std::string_view help,
                                               std::span<const double> bounds,
                                               std::vector<std::string> label_names) {
  // !(a < b), not a >= b: a NaN bound compares false either way, would
  // pass as rising and leave observe()'s binary search without an order.
  auto not_rising = [](double a, double b) { return !(a < b); };
  if (bounds.empty() || std::isnan(bounds.front()) || std::isinf(bounds.back())
      || std::adjacent_find(bounds.begin(), bounds.end(), not_rising) != bounds.end())
    misuse("the bucket bounds of " + std::string{name} + " must rise strictly");
  return family_of<histogram_family>(metric_type::histogram, name, help, std::move(label_names),
                                     std::vector<double>{bounds.begin(), bounds.end()});
}

metrics_collection metrics_registry::add_collector(metrics_collector collect) {
  auto self = weak_from_this();
  if (self.expired())
    misuse("a registry that collectors join must be held by a shared_ptr");
  std::lock_guard<std::mutex> guard{collectors_mtx_};
  auto id = next_collector_++;
  collectors_.emplace(id, std::move(collect));
  return metrics_collection{std::move(self), id};
}

void metrics_registry::remove_collector(uint64_t id) {
  std::lock_guard<std::mutex> guard{collectors_mtx_};
  collectors_.erase(id);
}

void metrics_registry::collect(metrics_writer& out) const {
  {
    std::lock_guard<std::mutex> guard{families_mtx_};
    for (const auto& [name, entry] : families_)
      entry.collect(out);
  }
  std::lock_guard<std::mutex> guard{collectors_mtx_};
  for (const auto& [id, collect] : collectors_) {
    try {
      collect(out);
    } catch (...) {
      // One failing source must not cost the scrape every other metric.
    }
  }
}

std::string metrics_registry::expose() const {
  prometheus_text_writer page;
  collect(page);
  return page.text();
}

} // namespace rpcnet
