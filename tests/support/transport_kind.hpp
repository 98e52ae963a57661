// What carries a test's calls: QUIC on loopback, or the in-process transport
// (rpcnet/actors/in_process.hpp). A case whose subject is not QUIC runs on
// both, so that the same call logic is seen to behave alike:
//   auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
//   CAPTURE(kind);
#pragma once

#include <ostream>

namespace rpcnet::test {

enum class transport_kind { quic, in_process };

inline std::ostream& operator<<(std::ostream& out, transport_kind kind) {
  return out << (kind == transport_kind::quic ? "quic" : "in_process");
}

} // namespace rpcnet::test
