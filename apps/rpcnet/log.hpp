// The CLI's output: one structured line per event, with a UTC timestamp, a
// level and the node that speaks, e.g.
//
//   2026-11-27T18:00:00.123Z INFO worker worker-1: served task 7
//
// or with the json format one object per line:
//
//   {"ts":"2026-11-27T18:00:00.123Z","level":"info","node":"worker worker-1","msg":"served task 7"}
//
// Lines go to stdout, whole and flushed, from any thread; lines below the
// configured level are dropped. The library's own lines (library_log.hpp)
// take the same way, with the same level, format and rate limits, so a
// node's output is one log. Text from the network is part of many lines,
// so every line is passed through utf8::escaped: no log line carries a
// control character or a byte that is not UTF-8, whoever wrote its text.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "log_level.hpp"

namespace rpcnet::cli {

/// One line as printed (without the newline), `speaker` and `text` made
/// printable.
std::string format_log_line(std::chrono::system_clock::time_point when, log_level level,
                            std::string_view speaker, std::string_view text,
                            log_format format = log_format::text);

/// Sets who speaks ("director", "worker worker-1"), the lowest level
/// printed and the format, for the CLI's lines and the library's. Call
/// once, before other threads log.
void configure_log(std::string speaker, const log_options& opts);

void log(log_level level, std::string_view text);

inline void log_info(std::string_view text) {
  log(log_level::info, text);
}
inline void log_warn(std::string_view text) {
  log(log_level::warn, text);
}
inline void log_error(std::string_view text) {
  log(log_level::error, text);
}

/// Prints "rpcnet: error: <text>" as one line on stderr (where scripts and
/// operators look for why a command would not start), made printable;
/// returns the exit status 1.
int fail(std::string_view text);

} // namespace rpcnet::cli
