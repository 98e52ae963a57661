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

/// How a generated client method takes a parameter of `type`: by value
/// when it needs_value_init (numbers, bool, enums), else by const reference.
std::string param_type(const type_ref& type, const definition& def);

/// "greeting_methods": the namespace of the tags of GreetingActor's messages.
std::string tags_namespace(const service_def& svc);

/// "compute_requests": the namespace of the structs that carry the
/// parameters of methods that take several, one struct per method.
std::string requests_namespace(const service_def& svc);

/// The type of the one message a method's call starts with: its
/// parameter's type (a stream's item), or "compute_requests::process_task"
/// for a method that packs several.
std::string request_type(const service_def& svc, const method_def& m);

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
