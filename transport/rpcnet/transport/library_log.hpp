// What the rpcnet library says about itself while it runs: warnings about an
// unsafe setup, and later connections, handshakes and membership changes.
// Lines go through one spdlog logger named "rpcnet" (to stderr unless a
// program routes them elsewhere with set_log_handler), so a program that
// logs with spdlog already sees them with its own lines. Text that came from
// the network is escaped before it is written: a peer cannot put control
// characters or invalid UTF-8 into a log.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace rpcnet {

enum class log_level { debug, info, warn, error, off };

/// Writes one line at `level`, escaping control characters and invalid
/// UTF-8 in `text` (see utf8::escaped).
void log_line(log_level level, std::string_view text);

/// Lines below `lowest` are dropped (default: info).
void set_log_level(log_level lowest);

/// Routes every line to `handler` instead of the spdlog logger (a program
/// with a log of its own, or a test); an empty handler restores the default.
/// Called from any thread that logs, so it must be thread-safe.
void set_log_handler(std::function<void(log_level, const std::string&)> handler);

} // namespace rpcnet
