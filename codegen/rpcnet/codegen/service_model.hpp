// What a definition file says, as the parser understood it: its namespace,
// its types (structs, enums, variants) and its services with their methods.
// The emitters read only this model, never the source text.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <rpcnet/codegen/source_position.hpp>

namespace rpcnet::codegen {

// -- types of fields, requests and responses ----------------------------------

enum class type_kind {
  boolean,
  int8,
  int16,
  int32,
  int64,
  uint8,
  uint16,
  uint32,
  uint64,
  float32,
  float64,
  string,
  vector,   ///< args[0]: the element
  optional, ///< args[0]: the value
  map,      ///< args[0]: the key, args[1]: the value
  named,    ///< a struct, enum or variants of the file: `name`
};

struct type_ref {
  type_kind kind = type_kind::boolean;
  std::string name; ///< for `named`
  std::vector<type_ref> args;
  source_position pos;
};

// -- declarations -------------------------------------------------------------

struct field_def {
  type_ref type;
  std::string name;
  std::string doc; ///< its `///` comment, "" when none (likewise below)
};

/// A plain struct: fields in declaration order (the wire order).
struct struct_def {
  std::string name;
  std::vector<field_def> fields;
  std::string doc;
};

/// An enum class without data.
struct enum_def {
  std::string name;
  std::optional<type_kind> underlying; ///< an integer kind, when given
  std::vector<std::string> values;
  std::string doc;
};

/// An enum whose alternatives may carry data (the Rust RpcNet's
/// `enum GreetingError { EmptyName, InvalidInput(String) }`): a struct
/// deriving from rpcnet::variants with one nested struct per alternative.
struct variants_def {
  std::string name;
  std::vector<struct_def> alternatives;
  std::string doc;
};

using type_def = std::variant<struct_def, enum_def, variants_def>;

/// The name of any type declaration.
const std::string& name_of(const type_def& def);

// -- services -----------------------------------------------------------------

enum class method_kind {
  unary,            ///< result<T, E> m(Req)
  server_streaming, ///< stream<T> m(Req)
  client_streaming, ///< result<T, E> m(stream<Req>)
  bidirectional,    ///< stream<T> m(stream<Req>)
};

/// One parameter of a method. A method that streams its requests has one,
/// the stream's item; otherwise one or more, which travel as one message.
struct param_def {
  type_ref type;
  std::string name; ///< "" when a single parameter is unnamed
  source_position pos;
};

struct method_def {
  std::string name;
  method_kind kind = method_kind::unary;
  std::vector<param_def> params; ///< in declaration order
  type_ref response;             ///< the reply's type (the stream's item for streams)
  std::optional<type_ref> error; ///< E of result<T, E>; streams have none
  std::string doc;
  source_position pos;
};

struct service_def {
  std::string name;
  std::vector<method_def> methods;
  std::string doc;
  source_position pos;
};

/// Does the client send a stream / does the server answer with one?
bool streams_requests(method_kind kind);
bool streams_responses(method_kind kind);

/// Does the method's one request message hold several parameters, or none?
/// Then the generated code carries them in a struct of its own
/// (cpp_spelling.hpp), an empty one for none.
bool packs_parameters(const method_def& m);

// -- the file -----------------------------------------------------------------

struct definition {
  std::string file;                 ///< as given to the parser, for messages
  std::vector<std::string> scope;   ///< namespace parts: {"acme", "greeting"}
  std::vector<type_def> types;      ///< in declaration order
  std::vector<service_def> services;
};

} // namespace rpcnet::codegen
