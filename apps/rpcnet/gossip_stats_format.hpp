// How `rpcnet stats` prints a node's gossip counters: one "name value" line
// per counter for people, or one JSON object for scripts, both with the
// names membership's gossip_stats gives them.
#pragma once

#include <string>

#include "admin/types.hpp"

namespace rpcnet::cli {

/// "datagrams_received 12\n" and so on, the values aligned.
std::string format_stats_text(const rpcnet_cli::GossipCounters& counters);

/// {"datagrams_received":12,...} on one line.
std::string format_stats_json(const rpcnet_cli::GossipCounters& counters);

} // namespace rpcnet::cli
