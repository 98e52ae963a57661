// Log levels of the CLI's structured output, ordered by severity.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace rpcnet::cli {

enum class log_level : uint8_t { debug, info, warn, error };

/// "DEBUG", "INFO", "WARN" or "ERROR".
std::string_view to_string_view(log_level level);

/// debug, info, warn (or warning), error, in any case; the Rust RpcNet's
/// RUST_LOG values trace and off map to debug and error.
std::optional<log_level> parse_log_level(std::string_view text);

} // namespace rpcnet::cli
