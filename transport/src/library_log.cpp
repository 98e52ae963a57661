// The library's log on spdlog (see library_log.hpp).
#include <rpcnet/transport/library_log.hpp>

#include <atomic>
#include <memory>
#include <mutex>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <rpcnet/transport/utf8.hpp>

namespace rpcnet {

namespace {

struct log_state {
  std::atomic<int> lowest{static_cast<int>(log_level::info)};
  std::mutex mtx;
  std::function<void(log_level, const std::string&)> handler;
  std::shared_ptr<spdlog::logger> logger;
};

log_state& state() {
  static log_state st;
  return st;
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

std::shared_ptr<spdlog::logger> logger_of(log_state& st) {
  if (!st.logger) {
    // A logger the program registered under the same name wins.
    st.logger = spdlog::get("rpcnet");
    if (!st.logger)
      st.logger = spdlog::stderr_color_mt("rpcnet");
    st.logger->set_level(spdlog::level::trace);
  }
  return st.logger;
}

} // namespace

void log_line(log_level level, std::string_view text) {
  auto& st = state();
  if (level == log_level::off || static_cast<int>(level) < st.lowest.load())
    return;
  auto line = utf8::escaped(text);
  std::lock_guard<std::mutex> guard{st.mtx};
  if (st.handler)
    st.handler(level, line);
  else
    logger_of(st)->log(to_spdlog(level), "{}", line);
}

void set_log_level(log_level lowest) {
  state().lowest.store(static_cast<int>(lowest));
}

void set_log_handler(std::function<void(log_level, const std::string&)> handler) {
  auto& st = state();
  std::lock_guard<std::mutex> guard{st.mtx};
  st.handler = std::move(handler);
}

} // namespace rpcnet
