// A parsed definition written back as definition source, for the parser
// fuzzer's round trip. It is the parser's inverse up to what the model
// keeps: `///` docs but no other comments, no `const`, `&`, `virtual` or
// `= 0`, and every type before every service (the model keeps no order
// between the two, and a type is usable anywhere after its declaration).
#pragma once

#include <string>

#include <rpcnet/codegen/service_model.hpp>

namespace rpcnet::fuzz {

/// The source of `def`: parse_definition reads it as `def` again.
std::string print_definition(const codegen::definition& def);

} // namespace rpcnet::fuzz
