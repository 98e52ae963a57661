// The library's log on spdlog (see library_log.hpp).
#include <rpcnet/transport/library_log.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <rpcnet/transport/utf8.hpp>

namespace rpcnet {

namespace {

/// Tokens of one kind of network line: refilled at the configured rate up
/// to the burst; what finds none is counted and reported later.
struct line_bucket {
  double tokens = 0;
  std::chrono::steady_clock::time_point refilled;
  uint64_t dropped = 0;
};

struct log_state {
  log_state() {
    auto opts = log_options::from_environment();
    lowest.store(static_cast<int>(opts.level));
    apply(opts);
  }

  void apply(const log_options& opts) {
    format = opts.format;
    burst = std::max<uint32_t>(opts.network_burst, 1);
    rate = std::max(opts.network_lines_per_second, 0.0);
  }

  std::atomic<int> lowest{static_cast<int>(log_level::info)};
  std::mutex mtx;
  log_format format = log_format::text;
  uint32_t burst = 20;
  double rate = 5;
  std::map<std::string, line_bucket, std::less<>> buckets;
  std::function<void(log_level, const std::string&)> handler;
  std::shared_ptr<spdlog::logger> logger;
  std::shared_ptr<spdlog::logger> json_logger;
};

log_state& state() {
  static log_state st;
  return st;
}

std::string lowercase(std::string_view text) {
  std::string out{text};
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

spdlog::level::level_enum to_spdlog(log_level level) {
  switch (level) {
    case log_level::debug: return spdlog::level::debug;
    case log_level::info: return spdlog::level::info;
    case log_level::warn: return spdlog::level::warn;
    case log_level::error: return spdlog::level::err;
    case log_level::off: break;
  }
  return spdlog::level::off;
}

std::shared_ptr<spdlog::logger> text_logger(log_state& st) {
  if (!st.logger) {
    // A logger the program registered under the same name wins.
    st.logger = spdlog::get("rpcnet");
    if (!st.logger)
      st.logger = spdlog::stderr_color_mt("rpcnet");
    st.logger->set_level(spdlog::level::trace);
  }
  return st.logger;
}

std::shared_ptr<spdlog::logger> json_logger(log_state& st) {
  if (!st.json_logger) {
    // Not registered: a program's own "rpcnet" logger keeps its pattern,
    // and this one writes the object exactly as built.
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    st.json_logger = std::make_shared<spdlog::logger>("rpcnet-json", std::move(sink));
    st.json_logger->set_pattern("%v");
    st.json_logger->set_level(spdlog::level::trace);
  }
  return st.json_logger;
}

std::string json_line(log_level level, std::string_view kind, const std::string& line) {
  std::string out = "{\"ts\":\"" + log_timestamp(std::chrono::system_clock::now())
                    + "\",\"level\":\"";
  out += to_string_view(level);
  out += "\",\"logger\":\"rpcnet\",\"msg\":";
  out += utf8::json_string(line);
  if (!kind.empty()) {
    out += ",\"event\":";
    out += utf8::json_string(kind);
  }
  out += '}';
  return out;
}

/// Writes an escaped line; the caller holds st.mtx.
void write(log_state& st, log_level level, std::string_view kind, const std::string& line) {
  if (st.handler)
    st.handler(level, line);
  else if (st.format == log_format::json)
    json_logger(st)->log(to_spdlog(level), "{}", json_line(level, kind, line));
  else
    text_logger(st)->log(to_spdlog(level), "{}", line);
}

bool enabled(const log_state& st, log_level level) {
  return level != log_level::off && static_cast<int>(level) >= st.lowest.load();
}

} // namespace

std::optional<log_level> parse_log_level(std::string_view text) {
  auto value = lowercase(text);
  if (value == "debug" || value == "trace")
    return log_level::debug;
  if (value == "info")
    return log_level::info;
  if (value == "warn" || value == "warning")
    return log_level::warn;
  if (value == "error")
    return log_level::error;
  if (value == "off")
    return log_level::off;
  return std::nullopt;
}

std::optional<log_format> parse_log_format(std::string_view text) {
  auto value = lowercase(text);
  if (value == "text")
    return log_format::text;
  if (value == "json")
    return log_format::json;
  return std::nullopt;
}

std::string log_timestamp(std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  auto secs = time_point_cast<seconds>(when);
  auto millis = duration_cast<milliseconds>(when - secs).count();
  std::time_t t = system_clock::to_time_t(secs);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char stamp[64];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  return stamp;
}

std::string_view to_string_view(log_level level) {
  switch (level) {
    case log_level::debug: return "debug";
    case log_level::info: return "info";
    case log_level::warn: return "warn";
    case log_level::error: return "error";
    case log_level::off: break;
  }
  return "off";
}

log_options log_options::from_environment() {
  log_options opts;
  // Reported to stderr directly: the log is not set up while this runs.
  if (auto* level = std::getenv("RPCNET_LOG")) {
    if (auto parsed = parse_log_level(level))
      opts.level = *parsed;
    else
      std::fprintf(stderr, "rpcnet: ignoring RPCNET_LOG=%s (not debug, info, warn, error or off)\n",
                   utf8::escaped(level).c_str());
  }
  if (auto* format = std::getenv("RPCNET_LOG_FORMAT")) {
    if (auto parsed = parse_log_format(format))
      opts.format = *parsed;
    else
      std::fprintf(stderr, "rpcnet: ignoring RPCNET_LOG_FORMAT=%s (not text or json)\n",
                   utf8::escaped(format).c_str());
  }
  return opts;
}

void configure_log(const log_options& opts) {
  auto& st = state();
  st.lowest.store(static_cast<int>(opts.level));
  std::lock_guard<std::mutex> guard{st.mtx};
  st.apply(opts);
}

void set_log_level(log_level lowest) {
  state().lowest.store(static_cast<int>(lowest));
}

bool log_enabled(log_level level) {
  return enabled(state(), level);
}

void log_line(log_level level, std::string_view text) {
  auto& st = state();
  if (!enabled(st, level))
    return;
  auto line = utf8::escaped(text);
  std::lock_guard<std::mutex> guard{st.mtx};
  write(st, level, {}, line);
}

void log_network_line(log_level level, std::string_view kind, std::string_view text) {
  auto& st = state();
  if (!enabled(st, level))
    return;
  auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> guard{st.mtx};
  auto i = st.buckets.find(kind);
  if (i == st.buckets.end()) {
    i = st.buckets.emplace(std::string{kind}, line_bucket{}).first;
    i->second.tokens = st.burst;
    i->second.refilled = now;
  }
  auto& bucket = i->second;
  std::chrono::duration<double> passed = now - bucket.refilled;
  bucket.tokens = std::min<double>(st.burst, bucket.tokens + passed.count() * st.rate);
  bucket.refilled = now;
  if (bucket.tokens < 1) {
    ++bucket.dropped;
    return;
  }
  bucket.tokens -= 1;
  // Escaped before anything is added: the count is ours, not the peer's.
  auto line = utf8::escaped(text);
  if (bucket.dropped > 0) {
    line += " (" + std::to_string(bucket.dropped) + " similar lines dropped)";
    bucket.dropped = 0;
  }
  write(st, level, kind, line);
}

void set_log_handler(std::function<void(log_level, const std::string&)> handler) {
  auto& st = state();
  std::lock_guard<std::mutex> guard{st.mtx};
  st.handler = std::move(handler);
}

} // namespace rpcnet
