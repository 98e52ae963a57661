// The settings the CLI also reads from the environment, as the Rust RpcNet's
// programs do: each has a flag, an environment variable and a default, and
// a flag wins over the environment, which wins over the default. Values are
// checked here, so that a bad one is one line of error wherever it came
// from.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

#include <rpcnet/transport/socket_address.hpp>

#include "log_level.hpp"

namespace rpcnet::cli {

/// A setting with its three sources (no variable: `env` is empty).
struct env_option {
  std::string_view flag;
  std::string_view env;
  std::string_view fallback;
};

/// The director's own bind address (`rpcnet director`; --addr is its
/// older name).
inline constexpr env_option director_bind_option{"--bind", "DIRECTOR_ADDR", "127.0.0.1:61000"};
/// The directors a worker or client talks to, "a,b,c".
inline constexpr env_option director_addr_option{"--director", "DIRECTOR_ADDR", "127.0.0.1:61000"};
inline constexpr env_option worker_addr_option{"--bind", "WORKER_ADDR", "127.0.0.1:62001"};
inline constexpr env_option worker_label_option{"--label", "WORKER_LABEL", "worker-1"};
inline constexpr env_option failure_option{"--simulate-failures", "WORKER_FAILURE_ENABLED",
                                           "false"};
inline constexpr env_option log_level_option{"--log-level", "RPCNET_LOG", "info"};
inline constexpr env_option log_format_option{"--log-format", "RPCNET_LOG_FORMAT", "text"};
inline constexpr env_option certs_option{"--certs", "RPCNET_CERTS", "certs"};
/// An operator's own PKI (tls_files.hpp): no defaults.
inline constexpr env_option cert_option{"--cert", "RPCNET_TLS_CERT", ""};
inline constexpr env_option key_option{"--key", "RPCNET_TLS_KEY", ""};
inline constexpr env_option ca_option{"--ca", "RPCNET_TLS_CA", ""};
inline constexpr env_option server_name_option{"--server-name", "RPCNET_SERVER_NAME", "localhost"};

/// Settings that are flags only.
inline constexpr env_option node_option{"--node", "", ""};

/// Reads one environment variable; nullopt when unset.
using env_lookup = std::function<std::optional<std::string>(std::string_view name)>;

/// The process environment.
env_lookup process_environment();

/// The flag's value if given, else the environment's if set, else the
/// default.
std::string resolve(const env_option& option, const std::optional<std::string>& flag,
                    const env_lookup& env);

/// "host:port", a name resolved here (the CLI's main thread, before any
/// node starts); a config error naming the option and saying what is wrong
/// otherwise, a name that does not resolve included.
caf::expected<socket_address> parse_address(const env_option& option, std::string_view text);

/// true/false, 1/0, yes/no, on/off (any case); a config error otherwise.
caf::expected<bool> parse_switch(const env_option& option, std::string_view text);

/// A log level name (see log_level.hpp); a config error otherwise.
caf::expected<log_level> parse_level(const env_option& option, std::string_view text);

/// text or json; a config error otherwise.
caf::expected<log_format> parse_format(const env_option& option, std::string_view text);

/// A label of 1 to 64 printable characters without spaces; labels travel in
/// tags and log lines.
caf::expected<std::string> parse_label(const env_option& option, std::string_view text);

} // namespace rpcnet::cli
