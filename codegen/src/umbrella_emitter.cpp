#include <rpcnet/codegen/umbrella_emitter.hpp>

#include <rpcnet/codegen/cpp_spelling.hpp>

namespace rpcnet::codegen {

output_selection output_selection::from_flags(bool server_only, bool client_only,
                                              bool types_only) {
  if (!server_only && !client_only && !types_only)
    return {};
  return {types_only && !server_only && !client_only, client_only, server_only};
}

std::string emit_umbrella(const definition& def, const service_def& svc,
                          const output_selection& parts) {
  auto out = banner(def, "Everything generated for the " + svc.name + " service.");
  out += "#pragma once\n\n";
  if (parts.types)
    out += "#include \"types.hpp\"\n";
  if (parts.client)
    out += "#include \"client.hpp\"\n";
  if (parts.server)
    out += "#include \"server.hpp\"\n";
  return out;
}

} // namespace rpcnet::codegen
