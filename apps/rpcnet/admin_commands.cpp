// `rpcnet members --node ADDR [--json] [--all]` and `rpcnet stats --node
// ADDR [--json]`: a running node's member table and gossip counters, as that
// node (director or worker) sees them, from its admin service -- like `serf
// members` and `serf info`.
#include <iostream>
#include <string>

#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/transport/error.hpp>

#include "admin_call.hpp"
#include "commands.hpp"
#include "gossip_stats_format.hpp"
#include "log.hpp"
#include "member_table_format.hpp"

namespace rpcnet::cli {

namespace {

/// Calls the node's admin service with `call` and prints the answer with
/// `print`; one line of error (naming `what` was asked) if that fails.
template <class Call, class Print>
int print_from_node(const query_settings& settings, const std::string& what, Call call,
                    Print print) {
  auto tls = tls_files::find(settings.tls);
  if (!tls)
    return fail(message_of(tls.error()));
  runtime rt;
  auto addr = settings.node.to_string();
  auto reply = call_admin(rt.system(), *tls, settings.node, std::chrono::seconds{5}, call);
  if (!reply)
    return fail("cannot ask " + addr + " for its " + what + ": " + describe(reply.error()));
  if (!*reply)
    return fail(addr + " has no " + what);
  std::cout << print(**reply) << std::flush;
  return 0;
}

} // namespace

int run_members(const members_settings& settings) {
  return print_from_node(
    settings.query, "member table",
    [&](rpcnet_cli::AdminClient& node) { return node.members({settings.all}); },
    [&](const rpcnet_cli::MemberTable& table) {
      return settings.query.json ? format_members_json(table) + "\n" : format_members_text(table);
    });
}

int run_stats(const query_settings& settings) {
  return print_from_node(
    settings, "gossip counters",
    [](rpcnet_cli::AdminClient& node) { return node.gossip_stats({}); },
    [&](const rpcnet_cli::GossipCounters& counters) {
      return settings.json ? format_stats_json(counters) + "\n" : format_stats_text(counters);
    });
}

} // namespace rpcnet::cli
