// Structured log lines on stdout, and the names of the levels.
#include "log.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <mutex>

#include <rpcnet/transport/utf8.hpp>

namespace rpcnet::cli {

namespace {

std::mutex out_mutex;
std::string current_speaker = "rpcnet";
log_level lowest_level = log_level::info;

std::string lowercase(std::string_view text) {
  std::string out{text};
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

} // namespace

std::string_view to_string_view(log_level level) {
  switch (level) {
    case log_level::debug:
      return "DEBUG";
    case log_level::info:
      return "INFO";
    case log_level::warn:
      return "WARN";
    case log_level::error:
      return "ERROR";
  }
  return "INFO";
}

std::optional<log_level> parse_log_level(std::string_view text) {
  auto value = lowercase(text);
  if (value == "debug" || value == "trace")
    return log_level::debug;
  if (value == "info")
    return log_level::info;
  if (value == "warn" || value == "warning")
    return log_level::warn;
  if (value == "error" || value == "off")
    return log_level::error;
  return std::nullopt;
}

std::string format_log_line(std::chrono::system_clock::time_point when, log_level level,
                            std::string_view speaker, std::string_view text) {
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
  std::string line{stamp};
  line += ' ';
  line += to_string_view(level);
  line += ' ';
  // Here and not at the call sites: labels, addresses and peers' error
  // messages in the text came over the network.
  line += utf8::escaped(speaker);
  line += ": ";
  line += utf8::escaped(text);
  return line;
}

void configure_log(std::string speaker, log_level lowest) {
  std::lock_guard<std::mutex> guard{out_mutex};
  current_speaker = std::move(speaker);
  lowest_level = lowest;
}

void log(log_level level, std::string_view text) {
  std::lock_guard<std::mutex> guard{out_mutex};
  if (level < lowest_level)
    return;
  std::cout << format_log_line(std::chrono::system_clock::now(), level, current_speaker, text)
            << std::endl;
}

int fail(std::string_view text) {
  std::string line{text};
  // A message of several lines is still one line of error, not escapes.
  std::replace(line.begin(), line.end(), '\n', ' ');
  line = utf8::escaped(line);
  std::lock_guard<std::mutex> guard{out_mutex};
  std::cerr << "rpcnet: error: " << line << std::endl;
  return 1;
}

} // namespace rpcnet::cli
