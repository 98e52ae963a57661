// What the rpcnet library says about itself while it runs: warnings about an
// unsafe setup, connections and failed handshakes, protocol errors,
// membership changes, selection failures and drains. Lines go through one
// spdlog logger named "rpcnet" (to stderr unless a program routes them
// elsewhere with set_log_handler), so a program that logs with spdlog
// already sees them with its own lines. Text that came from the network is
// escaped before it is written: a peer cannot put control characters or
// invalid UTF-8 into a log.
//
// Lines a peer can cause (a handshake that fails, a malformed frame) go
// through log_network_line, which lets a burst through and then at most a
// few lines a second of each kind, counting the rest and saying how many
// it dropped in the next line it lets through: a hostile peer cannot fill a
// disk.
//
// The level and format come from configure_log, and before a program calls
// it from the environment: RPCNET_LOG (debug, info, warn, error, off) and
// RPCNET_LOG_FORMAT (text, or json for one JSON object per line).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace rpcnet {

enum class log_level { debug, info, warn, error, off };

enum class log_format {
  /// spdlog's default pattern: "[time] [rpcnet] [level] text".
  text,
  /// {"ts":"2026-12-04T18:00:00.123Z","level":"warn","logger":"rpcnet",
  ///  "msg":"...","event":"handshake_failed"} ("event" for network lines).
  json,
};

/// debug (or trace), info, warn (or warning), error, off, in any case.
std::optional<log_level> parse_log_level(std::string_view text);

/// text or json, in any case.
std::optional<log_format> parse_log_format(std::string_view text);

/// "debug", "info", "warn", "error" or "off".
std::string_view to_string_view(log_level level);

/// `when` as a log line's timestamp: "2026-12-04T18:00:00.123Z" (UTC).
std::string log_timestamp(std::chrono::system_clock::time_point when);

struct log_options {
  /// Lines below it are dropped.
  log_level level = log_level::info;
  log_format format = log_format::text;
  /// Network lines of one kind let through at once before the rate applies.
  uint32_t network_burst = 20;
  /// Network lines of one kind let through per second after the burst.
  double network_lines_per_second = 5;

  /// The defaults, changed by RPCNET_LOG and RPCNET_LOG_FORMAT where they
  /// are set and valid; an invalid value is reported on the log and ignored.
  static log_options from_environment();
};

/// Applies `opts` to every line from now on.
void configure_log(const log_options& opts);

/// Lines below `lowest` are dropped (configure_log's level alone).
void set_log_level(log_level lowest);

/// True when a line at `level` would be written now: a caller whose text
/// costs something to build (a debug line per connection) asks first.
bool log_enabled(log_level level);

/// Writes one line at `level`, escaping control characters and invalid
/// UTF-8 in `text` (see utf8::escaped).
void log_line(log_level level, std::string_view text);

/// As log_line, for a line a peer's traffic caused, rate limited per
/// `kind` (a fixed name such as "handshake_failed": never text from the
/// network, as the number of kinds must stay bounded).
void log_network_line(log_level level, std::string_view kind, std::string_view text);

/// Routes every line to `handler` instead of the spdlog logger (a program
/// with a log of its own, or a test); an empty handler restores the default.
/// The handler gets the escaped text (with a network line's count of
/// dropped lines) and formats it as it likes. Called from any thread that
/// logs, so it must be thread-safe.
void set_log_handler(std::function<void(log_level, const std::string&)> handler);

} // namespace rpcnet
