// A definition rpcnet-gen must refuse: a method returning neither
// rpcnet::result nor rpcnet::stream (checked by rpcnet_gen_rejects_*).
#pragma once

#include <string>

#include <rpcnet/typed/service_definition.hpp>

namespace invalid {

struct Request {
  std::string name;
};

struct Broken : rpcnet::service {
  std::string greet(Request request);
};

} // namespace invalid
