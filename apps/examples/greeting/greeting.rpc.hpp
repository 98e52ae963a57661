// The greeting service of the Rust RpcNet's getting-started, as an rpcnet
// service definition: ordinary C++ that compiles on its own, and the input
// rpcnet-gen turns into greeting/{types,client,server,greeting}.hpp.
// snippet-begin: definition
#pragma once

#include <string>

#include <rpcnet/typed/service_definition.hpp>

namespace greeting {

struct GreetRequest {
  std::string name;
};

struct GreetResponse {
  std::string message;
};

/// EmptyName, or InvalidInput with the offending text.
struct GreetingError : rpcnet::variants {
  struct EmptyName {};
  struct InvalidInput {
    std::string text;
  };
};

struct Greeting : rpcnet::service {
  rpcnet::result<GreetResponse, GreetingError> greet(GreetRequest request);
};

} // namespace greeting
// snippet-end: definition
