// The Prometheus text format (see prometheus_text.hpp).
#include "prometheus_text.hpp"

#include <charconv>
#include <cmath>
#include <limits>

#include <rpcnet/transport/hex.hpp>
#include <rpcnet/transport/utf8.hpp>

namespace rpcnet {

namespace {

std::string_view type_name(metric_type type) {
  switch (type) {
    case metric_type::counter: return "counter";
    case metric_type::gauge: return "gauge";
    case metric_type::histogram: return "histogram";
  }
  return "untyped";
}

/// HELP text escapes only backslash and line feed.
std::string help_text(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

/// One sample line: name{labels,extra="value"} value
void append_sample(std::string& out, std::string_view name, const metric_labels& labels,
                   std::string_view extra_name, std::string_view extra_value, double value) {
  out += name;
  if (!labels.empty() || !extra_name.empty()) {
    out += '{';
    bool first = true;
    auto label = [&](std::string_view key, std::string_view val) {
      if (!first)
        out += ',';
      first = false;
      out += key;
      out += "=\"";
      out += prometheus_label_value(val);
      out += '"';
    };
    for (const auto& [key, val] : labels)
      label(key, val);
    if (!extra_name.empty())
      label(extra_name, extra_value);
    out += '}';
  }
  out += ' ';
  out += prometheus_number(value);
  out += '\n';
}

} // namespace

std::string prometheus_number(double value) {
  if (std::isnan(value))
    return "NaN";
  if (std::isinf(value))
    return value > 0 ? "+Inf" : "-Inf";
  char buf[32];
  // Counters are integers; write them as such, exactly, up to 2^53.
  if (value == std::floor(value) && std::fabs(value) < 9007199254740992.0) {
    auto res = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(value));
    return {buf, res.ptr};
  }
  auto res = std::to_chars(buf, buf + sizeof buf, value);
  return {buf, res.ptr};
}

std::string prometheus_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (size_t pos = 0; pos < value.size();) {
    uint32_t cp = 0;
    auto len = utf8::sequence_length(value, pos, &cp);
    if (len == 0) {
      out += "\xef\xbf\xbd"; // U+FFFD for a byte that is not UTF-8
      ++pos;
      continue;
    }
    if (cp == '\\')
      out += "\\\\";
    else if (cp == '"')
      out += "\\\"";
    else if (cp == '\n')
      out += "\\n";
    else if (utf8::is_control(cp) && cp < 0x80) {
      // Shown as the text \xNN; the format has no escape of its own for it.
      out += "\\\\x";
      out += hex::digits[cp >> 4];
      out += hex::digits[cp & 0xf];
    } else
      out.append(value.substr(pos, len));
    pos += len;
  }
  return out;
}

prometheus_text_writer::metric_text*
prometheus_text_writer::metric(std::string_view name, std::string_view help, metric_type type) {
  auto it = metrics_.find(name);
  if (it == metrics_.end())
    it = metrics_.emplace(std::string{name}, metric_text{type, help_text(help), {}}).first;
  return it->second.type == type ? &it->second : nullptr;
}

void prometheus_text_writer::counter(std::string_view name, std::string_view help, double value,
                                     const metric_labels& labels) {
  if (auto* m = metric(name, help, metric_type::counter))
    append_sample(m->samples, name, labels, {}, {}, value);
}

void prometheus_text_writer::gauge(std::string_view name, std::string_view help, double value,
                                   const metric_labels& labels) {
  if (auto* m = metric(name, help, metric_type::gauge))
    append_sample(m->samples, name, labels, {}, {}, value);
}

void prometheus_text_writer::histogram(std::string_view name, std::string_view help,
                                       const metric_histogram& histogram,
                                       const metric_labels& labels) {
  auto* m = metric(name, help, metric_type::histogram);
  if (!m)
    return;
  auto reading = histogram.read();
  auto bounds = histogram.bounds();
  std::string base{name};
  auto bucket = base + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds.size(); ++i) {
    cumulative += reading.counts[i];
    append_sample(m->samples, bucket, labels, "le", prometheus_number(bounds[i]),
                  static_cast<double>(cumulative));
  }
  append_sample(m->samples, bucket, labels, "le", "+Inf", static_cast<double>(reading.count));
  append_sample(m->samples, base + "_sum", labels, {}, {}, reading.sum);
  append_sample(m->samples, base + "_count", labels, {}, {},
                static_cast<double>(reading.count));
}

std::string prometheus_text_writer::text() const {
  std::string out;
  for (const auto& [name, m] : metrics_) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += m.help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type_name(m.type);
    out += '\n';
    out += m.samples;
  }
  return out;
}

} // namespace rpcnet
