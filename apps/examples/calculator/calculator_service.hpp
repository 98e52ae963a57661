// The calculator example's service: "add" takes two integers and returns
// their sum, "divide" fails with a remote error on division by zero. Shared
// by the example server, client and demo so the README's code compiles.
#pragma once

#include <utility>

#include <boost/serialization/utility.hpp>

#include <rpcnet/rpcnet.hpp>
#include <rpcnet/typed/serialization.hpp>

namespace calculator {

/// Registers the calculator's methods on `server`.
inline void register_methods(rpcnet::rpc_server& server) {
  // snippet-begin: handlers
  server.register_unary("add", [](rpcnet::byte_buffer request) -> caf::expected<rpcnet::byte_buffer> {
    auto args = rpcnet::decode<std::pair<int64_t, int64_t>>(request);
    if (!args)
      return std::move(args.error());
    return rpcnet::encode(args->first + args->second);
  });
  server.register_unary("divide", [](rpcnet::byte_buffer request) -> caf::expected<rpcnet::byte_buffer> {
    auto args = rpcnet::decode<std::pair<int64_t, int64_t>>(request);
    if (!args)
      return std::move(args.error());
    if (args->second == 0)
      return rpcnet::make_error(rpcnet::error::remote, "division by zero");
    return rpcnet::encode(args->first / args->second);
  });
  // snippet-end: handlers
}

/// Calls "add" and decodes the sum.
inline caf::expected<int64_t> add(const rpcnet::rpc_client& client, int64_t a, int64_t b) {
  // snippet-begin: add
  auto reply = client.call("add", rpcnet::encode(std::pair{a, b}));
  if (!reply)
    return std::move(reply.error());
  return rpcnet::decode<int64_t>(*reply);
  // snippet-end: add
}

} // namespace calculator
