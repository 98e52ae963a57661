// rpc_config's rules without those about certificates and keys, for
// connections that have no TLS: the in-process pair (in_process.hpp).
#pragma once

#include <caf/error.hpp>

#include <rpcnet/actors/rpc_config.hpp>

namespace rpcnet {

/// As rpc_config::validate, minus the TLS file rules.
caf::error validate_without_tls(const rpc_config& cfg);

} // namespace rpcnet
