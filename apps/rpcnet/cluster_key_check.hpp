// Whether a node gossips with the same cluster key as the asker, found out
// over the node's admin service (QUIC + TLS) without the key travelling: the
// asker seals a fixed text with its key, the node says whether its own key
// opens it. A worker whose join timed out asks its director, because a
// director refuses datagrams sealed with another key without a word: the
// worker would otherwise retry for ever, as if the director were not up.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "admin/types.hpp"

namespace rpcnet::cli {

/// The asker's half: the probe for `key` (empty: the asker is unsealed).
rpcnet_cli::KeyProbe make_key_probe(std::span<const uint8_t> key);

/// The node's half: its answer to `probe`, holding the cluster keys `keys`
/// (empty: the node is unsealed).
rpcnet_cli::KeyAnswer answer_key_probe(const std::vector<std::vector<uint8_t>>& keys,
                                       const rpcnet_cli::KeyProbe& probe);

/// Why the node (a director) refuses the asker's (a worker's) gossip, for
/// an error message, or nullopt when their keys agree.
std::optional<std::string> key_mismatch(bool asker_sealed, const rpcnet_cli::KeyAnswer& answer);

} // namespace rpcnet::cli
