// Which cluster key a director or a worker gossips with. The sources, in
// order: the join tokens among --join's items, --cluster-key-file PATH and
// --insecure-gossip, of which at most one may be given, then the
// environment's RPCNET_CLUSTER_KEY. With none of them a director makes a key
// of its own and a worker refuses to start: unsealed gossip lets anyone who
// can send the director a datagram forge members, so it is never a default.
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

inline constexpr std::string_view cluster_key_env = "RPCNET_CLUSTER_KEY";

/// What the command line said about the key.
struct key_flags {
  /// --join's list of tokens and addresses (node_addresses.hpp).
  std::optional<std::string> join;
  /// --cluster-key-file's path.
  std::optional<std::string> key_file;
  /// --insecure-gossip.
  bool insecure = false;
};

enum class key_origin : uint8_t { join_token, key_file, environment, generated, insecure };

/// "the join token", "--cluster-key-file", "RPCNET_CLUSTER_KEY", "a new
/// random key" or "--insecure-gossip".
std::string_view to_string_view(key_origin origin);

/// The key a node gossips with and where it came from.
struct gossip_key {
  key_origin origin = key_origin::insecure;
  /// 16, 24 or 32 bytes; empty for --insecure-gossip. It seals.
  std::vector<uint8_t> bytes;
  /// Further keys that open what others seal, while keys rotate (a key
  /// file's other lines).
  std::vector<std::vector<uint8_t>> also_open;
  /// The key file, read again on SIGHUP (key_file origin only).
  std::optional<std::string> file;
  /// The seeds --join names (its tokens' directors among them); empty
  /// without --join.
  std::vector<socket_address> seeds;

  bool sealed() const noexcept {
    return !bytes.empty();
  }
};

/// What a node given no key at all does.
enum class without_key : uint8_t { generate, refuse };

/// The key from the first source given; a config error for two flags at
/// once, a source that does not hold a valid key, or (with refuse) none.
caf::expected<gossip_key> resolve_gossip_key(const key_flags& flags, const env_lookup& env,
                                             without_key fallback);

} // namespace rpcnet::cli
