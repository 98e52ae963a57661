// Emits client.hpp: <Service>Client with one typed method per RPC --
// blocking and asynchronous forms of unary calls, typed streams for the
// streaming ones.
#pragma once

#include <string>

#include <rpcnet/codegen/service_model.hpp>

namespace rpcnet::codegen {

/// The text of client.hpp for `svc` of `def`.
std::string emit_client(const definition& def, const service_def& svc);

} // namespace rpcnet::codegen
