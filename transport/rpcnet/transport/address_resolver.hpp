// From what a user types to a socket_address: "db.internal:7000",
// "localhost:0", "10.0.0.5:7000" or "[::1]:7000". parse_host_port checks the
// text and resolves nothing; resolve_address also asks the system resolver
// (getaddrinfo: /etc/hosts, then DNS) about names, and so may block for as
// long as DNS takes. It is therefore called only where a user's own
// blocking call begins -- rpc_client::connect, endpoint::start for its bind
// address, spawn_membership for the advertise address,
// cluster_membership::join for its seeds, the CLI's flags -- never in an
// actor's handler or on a transport thread, where one slow DNS server would
// stall every connection. What travels between nodes (gossip, worker
// addresses) stays numeric, so no node resolves another's names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

#include <rpcnet/transport/socket_address.hpp>

namespace rpcnet {

/// "host:port" taken apart.
struct host_port {
  /// The host without brackets: a DNS name or an IP literal.
  std::string host;
  uint16_t port = 0;
  /// The address itself when `host` is an IP literal: nothing to resolve.
  std::optional<socket_address> literal;

  /// True if `host` is a DNS name, which only resolve_address turns into
  /// an address.
  bool is_name() const noexcept {
    return !literal.has_value();
  }
};

/// Takes "name:port", "a.b.c.d:port" or "[v6]:port" apart. The port is 1 to
/// 5 digits, at most 65535 (0 lets a bind pick one). IPv6 addresses need
/// brackets, and only they may have them. A name is at most 253 characters
/// of labels of 1 to 63 letters, digits and '-' (not first or last), joined
/// by '.', with one '.' allowed at the end; its last label is not all
/// digits, so that "10.1" is refused instead of read as 10.0.0.1.
/// error::config saying what is wrong otherwise.
caf::expected<host_port> parse_host_port(std::string_view text);

/// The address `text` names. Literals take no look-up. A name resolves
/// through getaddrinfo (AI_ADDRCONFIG: only families this machine has an
/// address of), to its first IPv4 address if it has one, else its first
/// IPv6 address: rpcnet binds 127.0.0.1 by default, so "localhost" must
/// find a server there rather than at ::1. Names under ".invalid" never
/// resolve (RFC 6761 §6.4) and are refused without a look-up.
/// error::config for text parse_host_port refuses; error::connection
/// "cannot resolve 'name': <reason>" for a name that does not resolve.
caf::expected<socket_address> resolve_address(std::string_view text);

/// resolve_address for text already taken apart.
caf::expected<socket_address> resolve_address(const host_port& parsed);

} // namespace rpcnet
