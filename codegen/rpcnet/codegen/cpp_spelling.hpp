// How the model is spelled in generated C++: type names, the namespace,
// directory names and the banner every generated file starts with. The
// emitters share these so that the three files always agree.
#pragma once

#include <string>
#include <string_view>

#include <rpcnet/codegen/service_model.hpp>

namespace rpcnet::codegen {

/// "std::vector<std::optional<Point>>".
std::string cpp_type(const type_ref& type);

/// "rpcnet::result<Reply, Error>" for a unary or client-streaming method.
std::string result_type(const method_def& m);

/// True when a field of `type` needs `{}` to start initialized (numbers,
/// bool, enums of `def`).
bool needs_value_init(const type_ref& type, const definition& def);

/// `text` in double quotes; names of the model need no escaping.
std::string quoted(std::string_view text);

/// "acme::greeting".
std::string scope_name(const definition& def);

/// "Greeting" -> "greeting": the directory and umbrella of a service.
std::string lowercase(std::string_view name);

/// The file name without its directories: "greeting.rpc.hpp".
std::string base_name(std::string_view path);

/// The first two lines of a generated file: where it came from, and
/// `purpose` -- what it holds.
std::string banner(const definition& def, std::string_view purpose);

} // namespace rpcnet::codegen
