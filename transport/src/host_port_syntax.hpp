// The syntax of "host:port" text, shared by socket_address::parse (literals
// only, on paths that see peers' gossip, so it must stay cheap and never
// build messages) and parse_host_port (names too, with a reason for every
// refusal): one place decides where the host ends and what a port is.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <rpcnet/transport/socket_address.hpp>

namespace rpcnet::detail {

/// Why text is not "host:port"; none when it is.
enum class host_port_problem : uint8_t {
  none,
  empty,             ///< ""
  unclosed_bracket,  ///< "[::1"
  no_port_after_bracket, ///< "[::1]" or "[::1]80"
  unbracketed_v6,    ///< "::1:80": more than one ':' outside brackets
  no_port,           ///< "host" without ":port"
  bad_port,          ///< not 1 to 5 digits, or above 65535
  empty_host,        ///< ":80", "[]:80"
};

/// Text split at its port: the host without brackets.
struct host_port_parts {
  host_port_problem problem = host_port_problem::none;
  std::string_view host;
  uint16_t port = 0;
  /// The host was written in brackets, as only an IPv6 address may be.
  bool bracketed = false;
};

/// Splits "host:port" or "[host]:port"; checks the port, not the host.
host_port_parts split_host_port(std::string_view text) noexcept;

/// The address when `parts.host` is an IP literal of the kind its brackets
/// promise (IPv6 inside them, IPv4 without); nullopt otherwise.
std::optional<socket_address> ip_literal(const host_port_parts& parts);

} // namespace rpcnet::detail
