// The Prometheus text exposition format (version 0.0.4): a metrics_writer
// that gathers the samples of a scrape by metric name and writes each
// metric once, with its HELP and TYPE lines, whatever order the families
// and collectors reported them in.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <rpcnet/transport/metrics_registry.hpp>

namespace rpcnet {

class prometheus_text_writer final : public metrics_writer {
public:
  void counter(std::string_view name, std::string_view help, double value,
               const metric_labels& labels = {}) override;

  void gauge(std::string_view name, std::string_view help, double value,
             const metric_labels& labels = {}) override;

  void histogram(std::string_view name, std::string_view help, const metric_histogram& histogram,
                 const metric_labels& labels = {}) override;

  /// The page: every metric sorted by name.
  std::string text() const;

private:
  struct metric_text {
    metric_type type;
    std::string help;
    std::string samples;
  };

  /// The metric `name` of `type`, or null when a sample of another type
  /// took the name first (that sample is dropped: a page must not say two
  /// types for one name).
  metric_text* metric(std::string_view name, std::string_view help, metric_type type);

  std::map<std::string, metric_text, std::less<>> metrics_;
};

/// `value` as Prometheus writes numbers: integers without a fraction,
/// "+Inf", "-Inf", "NaN".
std::string prometheus_number(double value);

/// A label value with backslash, double quote and line feed escaped, and
/// invalid UTF-8 replaced (the format is UTF-8).
std::string prometheus_label_value(std::string_view value);

} // namespace rpcnet
