// `rpcnet health ADDRESS [--service NAME] [--timeout MS]`: one Check of a
// running node's health service (health_service.hpp), printed as gRPC
// names it -- SERVING, NOT_SERVING, SERVICE_UNKNOWN -- with the exit
// status a probe script or a container's health check wants: 0 only when
// serving, 1 for anything else, an unreachable node or a timeout included.
#include <iostream>
#include <string>

#include <rpcnet/actors/health_service.hpp>
#include <rpcnet/actors/rpc_client.hpp>
#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/transport/error.hpp>

#include "commands.hpp"
#include "log.hpp"
#include "tls_files.hpp"

namespace rpcnet::cli {

int run_health(const health_settings& settings) {
  if (auto why = health_service_name_problem(settings.service); !why.empty())
    return fail("invalid --service: " + why);
  auto tls = tls_files::find(settings.tls);
  if (!tls)
    return fail(message_of(tls.error()));
  runtime rt;
  auto addr = settings.node.to_string();
  // A node that does not answer the handshake costs the timeout too, not
  // the transport's default.
  auto cfg = tls->client_config(settings.timeout, settings.node.family())
               .with_handshake_timeout(settings.timeout);
  auto client = rpc_client::connect(rt.system(), addr, std::move(cfg));
  if (!client)
    return fail("cannot reach " + addr + ": " + describe(client.error()));
  auto status = check_health(*client, settings.service, settings.timeout);
  client->close();
  if (!status)
    return fail("cannot check the health of " + addr + ": " + describe(status.error()));
  std::cout << to_string_view(*status) << std::endl;
  return *status == health_status::serving ? 0 : 1;
}

} // namespace rpcnet::cli
