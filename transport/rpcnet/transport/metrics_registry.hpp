// The metrics of one node, by name, and their export in the Prometheus text
// format. Two kinds of source feed a scrape:
//
//  - families of instruments (metric_instruments.hpp) the code updates as
//    things happen: a family is a name, a help text and label names; each
//    set of label values is one instrument, made on first use and kept, so
//    a hot path asks for its instrument once and then only updates it;
//  - collectors: functions run at each scrape that report counters kept
//    elsewhere (transport_stats, gossip stats, the members and their phi),
//    so what is already counted costs nothing more per event, and what
//    comes and goes (members) is reported as it is now, never piling up.
//
//   auto metrics = std::make_shared<metrics_registry>();
//   auto& calls = metrics->counters("jobs_total", "Jobs run.", {"kind"});
//   auto& nightly = calls.with({"nightly"});   // once
//   nightly.inc();                             // per job: one atomic add
//   std::string page = metrics->expose();
//
// Label values must come from bounded sets the program controls (method
// names, error codes, current members), never from a peer's input.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <rpcnet/transport/metric_instruments.hpp>

namespace rpcnet {

enum class metric_type { counter, gauge, histogram };

/// One label of a sample a collector reports.
struct metric_label {
  std::string_view name;
  std::string_view value;
};

using metric_labels = std::vector<metric_label>;

/// What a collector writes its samples to during a scrape. Samples of one
/// name may come from several collectors (two servers in one process);
/// they are exported together, under the first help text and type seen.
class metrics_writer {
public:
  virtual ~metrics_writer() = default;

  virtual void counter(std::string_view name, std::string_view help, double value,
                       const metric_labels& labels = {}) = 0;

  virtual void gauge(std::string_view name, std::string_view help, double value,
                     const metric_labels& labels = {}) = 0;

  virtual void histogram(std::string_view name, std::string_view help,
                         const metric_histogram& histogram, const metric_labels& labels = {}) = 0;
};

/// A named family of instruments of one kind, one per set of label values.
template <class Instrument>
class metric_family {
public:
  metric_family(std::string name, std::string help, std::vector<std::string> label_names,
                std::vector<double> bounds = {})
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)),
      bounds_(std::move(bounds)) {
  }

  /// The instrument for `values` (one per label name, in their order),
  /// made on the first call. Takes a lock: call it once per instrument,
  /// not per event. A wrong number of values is a programming error
  /// (std::invalid_argument).
  Instrument& with(const std::vector<std::string_view>& values);

  const std::string& name() const noexcept {
    return name_;
  }

  const std::vector<std::string>& label_names() const noexcept {
    return label_names_;
  }

  /// Reports every instrument of the family to `out`.
  void collect(metrics_writer& out) const;

private:
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;
  mutable std::mutex mtx_;
  std::map<std::vector<std::string>, std::unique_ptr<Instrument>, std::less<>> instruments_;
};

using counter_family = metric_family<metric_counter>;
using gauge_family = metric_family<metric_gauge>;
using histogram_family = metric_family<metric_histogram>;

/// Runs at every scrape and reports what it reads.
using metrics_collector = std::function<void(metrics_writer&)>;

class metrics_registry;

/// Keeps a collector registered; destroying (or reset()) removes it, after
/// which it never runs again, so a collector may capture what its owner
/// holds as long as the owner keeps this.
class metrics_collection {
public:
  metrics_collection() = default;
  metrics_collection(metrics_collection&& other) noexcept;
  metrics_collection& operator=(metrics_collection&& other) noexcept;
  metrics_collection(const metrics_collection&) = delete;
  metrics_collection& operator=(const metrics_collection&) = delete;
  ~metrics_collection();

  void reset();

private:
  friend class metrics_registry;

  metrics_collection(std::weak_ptr<metrics_registry> registry, uint64_t id)
    : registry_(std::move(registry)), id_(id) {
  }

  std::weak_ptr<metrics_registry> registry_;
  uint64_t id_ = 0;
};

/// Every metric of a node. Hold it in a shared_ptr (collections refer to
/// it weakly); thread-safe.
class metrics_registry : public std::enable_shared_from_this<metrics_registry> {
public:
  /// The family `name`, made on the first call; a later call with the same
  /// name, kind and label names returns the same family. A name or label
  /// that Prometheus does not accept, or a name already used differently,
  /// is a programming error (std::invalid_argument).
  counter_family& counters(std::string_view name, std::string_view help,
                           std::vector<std::string> label_names = {});
  gauge_family& gauges(std::string_view name, std::string_view help,
                       std::vector<std::string> label_names = {});
  /// `bounds` must rise strictly and be finite (+Inf is always the last
  /// bucket).
  histogram_family& histograms(std::string_view name, std::string_view help,
                               std::span<const double> bounds,
                               std::vector<std::string> label_names = {});

  /// Registers `collect` until the returned collection goes away.
  [[nodiscard]] metrics_collection add_collector(metrics_collector collect);

  /// Every family and collector in the Prometheus text format (0.0.4),
  /// metrics sorted by name.
  std::string expose() const;

  /// Calls every family and collector with `out` (what expose() formats).
  void collect(metrics_writer& out) const;

private:
  friend class metrics_collection;

  struct family_entry {
    metric_type type;
    std::vector<std::string> label_names;
    std::shared_ptr<void> family;
    std::function<void(metrics_writer&)> collect;
  };

  template <class Family, class... Extra>
  Family& family_of(metric_type type, std::string_view name, std::string_view help,
                    std::vector<std::string> label_names, Extra&&... extra);

  void remove_collector(uint64_t id);

  mutable std::mutex families_mtx_;
  std::map<std::string, family_entry, std::less<>> families_;
  /// Held while collectors run, so removing one waits for a scrape that
  /// runs it and it never runs after.
  mutable std::mutex collectors_mtx_;
  std::map<uint64_t, metrics_collector> collectors_;
  uint64_t next_collector_ = 1;
};

/// Whether Prometheus accepts `name` as a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)
/// or, with `label` set, as a label name ([a-zA-Z_][a-zA-Z0-9_]*, not
/// starting with "__").
bool is_valid_metric_name(std::string_view name, bool label = false);

} // namespace rpcnet
