// The admin service every node serves beside its own: the member table as
// the node sees it, for `rpcnet members` (operators and the tests).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <rpcnet/service_definition.hpp>

namespace rpcnet_cli {

struct MembersRequest {
  bool include_tombstones;
};

struct MemberRow {
  std::string id;
  std::string address;
  std::string state;
  std::uint64_t incarnation;
  std::map<std::string, std::string> tags;
  double phi;
};

struct MemberTable {
  std::string node_id;
  std::vector<MemberRow> members;
};

struct AdminError : rpcnet::variants {
  struct Unavailable {};
};

struct Admin : rpcnet::service {
  rpcnet::result<MemberTable, AdminError> members(MembersRequest request);
};

} // namespace rpcnet_cli
