// `rpcnet members --node ADDR [--json]`: the member table as a running node
// (director or worker) sees it, from that node's admin service -- like
// `serf members`.
#include <iostream>

#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/transport/error.hpp>

#include "admin/admin.hpp"
#include "commands.hpp"
#include "log.hpp"
#include "member_table_format.hpp"
#include "tls_files.hpp"

namespace rpcnet::cli {

int run_members(const members_settings& settings) {
  auto tls = tls_files::find(settings.certs);
  if (!tls)
    return fail(message_of(tls.error()));
  runtime rt;
  auto addr = settings.node.to_string();
  auto node = rpcnet_cli::AdminClient::connect(rt.system(), addr,
                                               tls->client_config(std::chrono::seconds{5}));
  if (!node)
    return fail("cannot reach " + addr + ": " + describe(node.error()));
  auto reply = node->members({settings.all});
  node->close();
  if (!reply)
    return fail("members call to " + addr + " failed: " + describe(reply.error()));
  if (!*reply)
    return fail(addr + " has no member table");
  std::cout << (settings.json ? format_members_json(**reply) + "\n"
                              : format_members_text(**reply))
            << std::flush;
  return 0;
}

} // namespace rpcnet::cli
