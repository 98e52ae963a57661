// Emits server.hpp: the <Service>Handler interface a service implements,
// the <Service>Actor typed actor interface of its unary methods, and the
// <Service>Server harness that serves either over QUIC.
#pragma once

#include <string>

#include <rpcnet/codegen/service_model.hpp>

namespace rpcnet::codegen {

/// The text of server.hpp for `svc` of `def`.
std::string emit_server(const definition& def, const service_def& svc);

} // namespace rpcnet::codegen
