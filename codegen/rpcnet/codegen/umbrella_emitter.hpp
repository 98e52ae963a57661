// Emits the umbrella header of a service (greeting/greeting.hpp): one
// include for each file that was generated, and no others.
#pragma once

#include <string>

#include <rpcnet/codegen/service_model.hpp>

namespace rpcnet::codegen {

/// Which of a service's files a run produces (the CLI's --*-only flags).
struct output_selection {
  bool types = true;
  bool client = true;
  bool server = true;

  /// The Rust RpcNet's rules: no flag means everything; otherwise the named
  /// parts, and types only when neither --server-only nor --client-only.
  static output_selection from_flags(bool server_only, bool client_only, bool types_only);
};

/// The text of the umbrella header of `svc`.
std::string emit_umbrella(const definition& def, const service_def& svc,
                          const output_selection& parts);

} // namespace rpcnet::codegen
