// The addresses an operator gives a node: where it binds (--bind, any local
// address, the wildcards 0.0.0.0 and [::] included), the address the other
// nodes reach it at (--advertise), and the lists of directors or seeds a
// worker, a client or another director starts from (--director a,b,c and
// --join, whose items are addresses or join tokens). Checked here, before
// any node starts, so that every mistake is one line of error naming the
// flag: a wildcard bind without an advertise address would gossip an
// address nobody can send to.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include <rpcnet/transport/socket_address.hpp>

#include "env_options.hpp"

namespace rpcnet::cli {

/// The --advertise setting (no default: the bound address).
inline constexpr env_option advertise_option{"--advertise", "RPCNET_ADVERTISE", ""};

/// At most this many directors or seeds in one list: a cluster has a few
/// directors, and a list is resolved one name at a time before start.
inline constexpr size_t max_listed_addresses = 16;

struct node_addresses {
  /// What the node's one UDP port (QUIC and gossip) binds.
  socket_address bind;
  /// What the node gossips as its address and what clients are given:
  /// never a wildcard.
  socket_address advertise;
};

/// True for 0.0.0.0 and ::.
bool is_wildcard(const socket_address& addr);

/// The addresses of this host's interfaces (getifaddrs), with port 0.
std::vector<socket_address> local_interface_addresses();

/// `bind` (host:port) and `advertise` ("", host, or host:port; a host
/// alone takes the bind port). An advertise address is required when the
/// bind host is a wildcard, must not itself be a wildcard, must have the
/// bind port (which must not be 0: it is not known before binding), must
/// be of the bind address's family, and must be one of `local` (the
/// host's addresses; a wildcard bind receives on all of them, a specific
/// one on itself alone, which the advertise address must then be): a node
/// advertising another host's address would have its peers send to
/// somebody else. Names resolve here.
caf::expected<node_addresses>
parse_node_addresses(const env_option& bind_option, std::string_view bind,
                     std::string_view advertise,
                     const std::vector<socket_address>& local = local_interface_addresses());

/// "a,b,c" of host:port, each resolved; an empty item, a duplicate or more
/// than max_listed_addresses is an error naming `option`.
caf::expected<std::vector<socket_address>> parse_address_list(const env_option& option,
                                                              std::string_view text);

/// Each address as host:port, for the library's seed lists.
std::vector<std::string> to_strings(const std::vector<socket_address>& addresses);

/// "a, b and c", for log lines.
std::string describe_addresses(const std::vector<socket_address>& addresses);

/// What --join names: the seeds to join through and, when items are join
/// tokens, the cluster key they carry.
struct join_targets {
  std::vector<socket_address> seeds;
  /// The tokens' key: every token of one list must carry the same one.
  std::optional<std::vector<uint8_t>> key;
};

/// "a,b,c" whose items are each a join token (rpcnet1.…@host:port) or a
/// host:port. Errors never repeat a token's text, which holds a key.
caf::expected<join_targets> parse_join_list(std::string_view text);

} // namespace rpcnet::cli
