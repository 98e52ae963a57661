// How `rpcnet members` prints a node's member table: aligned columns for
// people, or one JSON object for scripts. Everything in the table came over
// the network, so every column goes through utf8::escaped, and the JSON is
// built with nlohmann::json, whose dump writes each byte that is not UTF-8
// as U+FFFD: the output is valid JSON whatever a forger put in a tag.
#pragma once

#include <string>

#include "admin/types.hpp"

namespace rpcnet::cli {

/// A header and one row per member: id, address, state, incarnation, phi,
/// tags.
std::string format_members_text(const rpcnet_cli::MemberTable& table);

/// {"node":"<id>","members":[{"id":..,"address":..,"state":..,
/// "incarnation":..,"phi":..,"tags":{..}},...]} on one line.
std::string format_members_json(const rpcnet_cli::MemberTable& table);

} // namespace rpcnet::cli
