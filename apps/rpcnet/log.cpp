// Structured log lines on stdout, and the names of the levels.
#include "log.hpp"

#include <algorithm>
#include <iostream>
#include <mutex>

#include <rpcnet/transport/utf8.hpp>

namespace rpcnet::cli {

namespace {

std::mutex out_mutex;
std::string current_speaker = "rpcnet";
log_level lowest_level = log_level::info;

log_format current_format = log_format::text;

std::string_view upper_name(log_level level) {
  switch (level) {
    case log_level::debug:
      return "DEBUG";
    case log_level::warn:
      return "WARN";
    case log_level::error:
      return "ERROR";
    case log_level::info:
    case log_level::off:
      break;
  }
  return "INFO";
}

/// A line from parts already made printable.
std::string format_printable_line(std::chrono::system_clock::time_point when, log_level level,
                                  std::string_view speaker, std::string_view text,
                                  log_format format) {
  auto stamp = log_timestamp(when);
  if (format == log_format::json) {
    std::string line = "{\"ts\":\"" + stamp + "\",\"level\":\"";
    line += to_string_view(level);
    line += "\",\"node\":" + utf8::json_string(speaker);
    line += ",\"msg\":" + utf8::json_string(text);
    line += '}';
    return line;
  }
  std::string line = stamp;
  line += ' ';
  line += upper_name(level);
  line += ' ';
  line += speaker;
  line += ": ";
  line += text;
  return line;
}

/// Writes one line of printable text; lines below the level are dropped.
void write_printable(log_level level, std::string_view text) {
  std::lock_guard<std::mutex> guard{out_mutex};
  if (level == log_level::off || level < lowest_level)
    return;
  std::cout << format_printable_line(std::chrono::system_clock::now(), level,
                                     utf8::escaped(current_speaker), text, current_format)
            << std::endl;
}

} // namespace

std::string format_log_line(std::chrono::system_clock::time_point when, log_level level,
                            std::string_view speaker, std::string_view text,
                            log_format format) {
  // Here and not at the call sites: labels, addresses and peers' error
  // messages in the text came over the network.
  return format_printable_line(when, level, utf8::escaped(speaker), utf8::escaped(text), format);
}

void configure_log(std::string speaker, const log_options& opts) {
  {
    std::lock_guard<std::mutex> guard{out_mutex};
    current_speaker = std::move(speaker);
    lowest_level = opts.level;
    current_format = opts.format;
  }
  // The library filters, rate limits and escapes its lines, then hands
  // them here.
  rpcnet::configure_log(opts);
  set_log_handler(write_printable);
}

void log(log_level level, std::string_view text) {
  write_printable(level, utf8::escaped(text));
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
