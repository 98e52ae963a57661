// Emits types.hpp: the definition's structs, enums and variants as C++
// types with Boost.Serialization (the wire) and CAF inspection (actor
// messages).
#pragma once

#include <string>

#include <rpcnet/codegen/service_model.hpp>

namespace rpcnet::codegen {

/// The text of types.hpp. Every service of a definition gets the same
/// file; a guard named after the definition keeps them from colliding when
/// a program includes several.
std::string emit_types(const definition& def);

} // namespace rpcnet::codegen
