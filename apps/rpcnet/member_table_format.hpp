// How `rpcnet members` prints a node's member table: aligned columns for
// people, or one JSON object for scripts. Everything in the table came over
// the network, so JSON strings are escaped completely.
#pragma once

#include <string>
#include <string_view>

#include "admin/types.hpp"

namespace rpcnet::cli {

/// A header and one row per member: id, address, state, incarnation, phi,
/// tags.
std::string format_members_text(const rpcnet_cli::MemberTable& table);

/// {"node":"<id>","members":[{"id":..,"address":..,"state":..,
/// "incarnation":..,"phi":..,"tags":{..}},...]}
std::string format_members_json(const rpcnet_cli::MemberTable& table);

/// `text` as a JSON string literal, quotes included.
std::string json_string(std::string_view text);

} // namespace rpcnet::cli
