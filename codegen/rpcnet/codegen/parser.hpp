// A recursive-descent parser for the subset of C++ that a service
// definition (*.rpc.hpp) may use -- docs/codegen.md lists it. Anything
// outside the subset is an error that points at its place; hostile input
// meets bounds (input size, nesting depth), never a crash or a hang.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <rpcnet/codegen/service_model.hpp>
#include <rpcnet/codegen/source_position.hpp>

namespace rpcnet::codegen {

/// Types may nest this deep (std::vector<std::optional<...>>) and no deeper.
inline constexpr int max_type_depth = 32;

/// A method takes at most this many parameters. They travel as the fields
/// of one generated struct; more than a handful read better as a struct of
/// the definition, and the bound keeps hostile input small.
inline constexpr int max_parameters = 16;

/// A definition, or the first error found in it.
struct parse_result {
  std::optional<definition> value;
  std::optional<diagnostic> error;
};

/// Parses the definition `text`; `file` names it in errors.
parse_result parse_definition(std::string_view text, const std::string& file);

} // namespace rpcnet::codegen
