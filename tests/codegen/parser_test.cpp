// The definition parser: what the subset accepts (every type, the four
// method kinds, variants, several services) and, for each kind of mistake,
// the error and the line:column it points at.
#include <catch2/catch.hpp>

#include <string>

#include <rpcnet/codegen/parser.hpp>

#include "definitions.hpp"

using namespace rpcnet::codegen;

namespace {

definition parse_ok(const std::string& text) {
  auto parsed = parse_definition(text, "test.rpc.hpp");
  INFO((parsed.error ? parsed.error->to_string() : ""));
  REQUIRE(parsed.value);
  return std::move(*parsed.value);
}

/// The error for `text`, as rpcnet-gen prints it.
std::string parse_error(const std::string& text) {
  auto parsed = parse_definition(text, "bad.rpc.hpp");
  REQUIRE_FALSE(parsed.value);
  REQUIRE(parsed.error);
  return parsed.error->to_string();
}

/// A definition whose one service is `methods` after the types `types`.
std::string with_service(const std::string& types, const std::string& methods) {
  return "namespace n {\n" + types + "struct S : rpcnet::service {\n" + methods + "};\n}\n";
}

} // namespace

TEST_CASE("the greeting definition parses into its types and one unary method", "[parser]") {
  auto def = parse_ok(test::greeting_definition());
  REQUIRE(def.scope == std::vector<std::string>{"greeting"});
  REQUIRE(def.types.size() == 3);
  auto& error = std::get<variants_def>(def.types[2]);
  REQUIRE(error.name == "GreetingError");
  REQUIRE(error.alternatives.size() == 2);
  CHECK(error.alternatives[0].name == "EmptyName");
  CHECK(error.alternatives[0].fields.empty());
  CHECK(error.alternatives[1].fields[0].name == "text");
  CHECK(error.alternatives[1].fields[0].type.kind == type_kind::string);
  REQUIRE(def.services.size() == 1);
  auto& greet = def.services[0].methods.at(0);
  CHECK(greet.name == "greet");
  CHECK(greet.kind == method_kind::unary);
  REQUIRE(greet.params.size() == 1);
  CHECK(greet.params[0].type.name == "GreetRequest");
  CHECK(greet.params[0].name == "request");
  CHECK(greet.response.name == "GreetResponse");
  CHECK(greet.error->name == "GreetingError");
}

TEST_CASE("the four method kinds follow from where rpcnet::stream appears", "[parser]") {
  auto def = parse_ok(with_service("struct A { std::int32_t v; };\n",
                                   "rpcnet::result<A, A> unary(A a);\n"
                                   "rpcnet::stream<A> down(const A& a);\n"
                                   "virtual rpcnet::result<A, A> up(rpcnet::stream<A> in) = 0;\n"
                                   "rpcnet::stream<A> both(rpcnet::stream<A>);\n"));
  auto& m = def.services[0].methods;
  REQUIRE(m.size() == 4);
  CHECK(m[0].kind == method_kind::unary);
  CHECK(m[1].kind == method_kind::server_streaming);
  CHECK(m[2].kind == method_kind::client_streaming);
  CHECK(m[3].kind == method_kind::bidirectional);
  CHECK_FALSE(m[1].error);
  CHECK(m[2].error);
}

TEST_CASE("a method may take several parameters, named, which travel as one message",
          "[parser]") {
  auto def = parse_ok(with_service("struct A { std::int32_t v; };\n",
                                   "rpcnet::result<A, A> process_task(std::string task_id,\n"
                                   "    const std::vector<std::uint8_t>& data);\n"
                                   "rpcnet::stream<A> repeat(std::uint32_t n, const A& a, "
                                   "bool b);\n"
                                   "rpcnet::result<A, A> one(A);\n"));
  auto& m = def.services[0].methods;
  REQUIRE(m.size() == 3);
  CHECK(m[0].kind == method_kind::unary);
  REQUIRE(m[0].params.size() == 2);
  CHECK(m[0].params[0].name == "task_id");
  CHECK(m[0].params[0].type.kind == type_kind::string);
  CHECK(m[0].params[1].name == "data");
  CHECK(m[0].params[1].type.kind == type_kind::vector);
  CHECK(m[0].params[1].pos.line == 5);
  CHECK(m[0].params[1].pos.column == 38);
  CHECK(packs_parameters(m[0]));
  CHECK(m[1].kind == method_kind::server_streaming);
  REQUIRE(m[1].params.size() == 3);
  CHECK(m[1].params[1].type.name == "A");
  CHECK(m[1].params[2].type.kind == type_kind::boolean);
  CHECK(packs_parameters(m[1]));
  REQUIRE(m[2].params.size() == 1);
  CHECK(m[2].params[0].name.empty()); // one parameter needs no name
  CHECK_FALSE(packs_parameters(m[2]));
}

TEST_CASE("a method may take no parameters: its request is an empty message", "[parser]") {
  auto def = parse_ok(with_service("struct A { std::int32_t v; };\n",
                                   "rpcnet::result<A, A> ping();\n"
                                   "rpcnet::stream<A> everything();\n"));
  auto& m = def.services[0].methods;
  REQUIRE(m.size() == 2);
  CHECK(m[0].kind == method_kind::unary);
  CHECK(m[0].params.empty());
  CHECK(packs_parameters(m[0]));
  CHECK(m[1].kind == method_kind::server_streaming);
  CHECK(m[1].params.empty());
}

TEST_CASE("a method takes up to 16 parameters", "[parser]") {
  std::string params;
  for (int i = 0; i < max_parameters; ++i)
    params += (i ? ", bool p" : "bool p") + std::to_string(i);
  auto def = parse_ok(with_service("", "rpcnet::result<bool, bool> m(" + params + ");\n"));
  CHECK(def.services[0].methods[0].params.size() == 16);
  CHECK(parse_error(with_service("", "rpcnet::result<bool, bool> m(" + params + ", bool x);\n"))
        == "bad.rpc.hpp:3:" + std::to_string(30 + params.size() + 2)
             + ": error: method 'm' takes more than 16 parameters: gather them in a struct");
}

TEST_CASE("every supported type parses, nested", "[parser]") {
  auto def = parse_ok(test::everything_definition());
  REQUIRE(def.scope == std::vector<std::string>{"codegen_test", "everything"});
  REQUIRE(def.services.size() == 3);
  const auto& everything = std::get<struct_def>(def.types[4]);
  REQUIRE(everything.name == "Everything");
  std::vector<type_kind> kinds;
  for (const auto& f : everything.fields)
    kinds.push_back(f.type.kind);
  CHECK(kinds
        == std::vector<type_kind>{
          type_kind::boolean, type_kind::int8,    type_kind::int16,   type_kind::int32,
          type_kind::int64,   type_kind::uint8,   type_kind::uint16,  type_kind::uint32,
          type_kind::uint64,  type_kind::float32, type_kind::float64, type_kind::string,
          type_kind::vector,  type_kind::vector,  type_kind::optional, type_kind::optional,
          type_kind::map,     type_kind::map,     type_kind::named,   type_kind::named,
          type_kind::named,   type_kind::vector,  type_kind::optional});
  const auto& grid = everything.fields[21].type;
  CHECK(grid.args.at(0).kind == type_kind::vector);
  CHECK(grid.args.at(0).args.at(0).kind == type_kind::string);
  const auto& color = std::get<enum_def>(def.types[0]);
  CHECK(color.values == std::vector<std::string>{"red", "green", "blue"});
  CHECK(color.underlying == type_kind::uint8);
}

TEST_CASE("comments, #pragma once and #include lines are ignored", "[parser]") {
  auto def = parse_ok("// a comment\n#pragma once\n#include <string>\n  #  include\"x.hpp\"\n"
                      "# pragma once\n/* block\n comment */\n"
                      + with_service("", "rpcnet::result<bool, bool> m(bool b); // trailing\n"));
  CHECK(def.services[0].methods[0].name == "m");
}

TEST_CASE("a UTF-8 byte order mark and CRLF line ends are accepted", "[parser]") {
  auto def = parse_ok("\xEF\xBB\xBF#pragma once\r\n"
                      + with_service("", "/// Doc.\r\nrpcnet::result<bool, bool> m(bool b);\r\n"));
  CHECK(def.services[0].methods[0].doc == "Doc.");
  CHECK(parse_error("\xEF\xBB\xBFnamespace n {\r\n  @") == "bad.rpc.hpp:2:3: error: unexpected "
                                                              "character '@'");
}

TEST_CASE("errors point at the offending line and column", "[parser]") {
  SECTION("a method returning neither result nor stream") {
    CHECK(parse_error(with_service("struct A {};\n", "  A get(A a);\n"))
          == "bad.rpc.hpp:4:3: error: method 'get' must return rpcnet::result<T, E> or "
             "rpcnet::stream<T>");
  }
  SECTION("a method returning void") {
    CHECK(parse_error(with_service("", "void run(bool b);\n"))
          == "bad.rpc.hpp:3:1: error: method 'run' must return rpcnet::result<T, E> or "
             "rpcnet::stream<T>");
  }
  SECTION("an unknown type in a field") {
    CHECK(parse_error("namespace n {\nstruct A {\n  Missing m;\n};\n}\n")
          == "bad.rpc.hpp:3:3: error: unknown type 'Missing'");
  }
  SECTION("an unknown type in a method") {
    CHECK(parse_error(with_service("", "rpcnet::result<bool, Oops> m(bool b);\n"))
          == "bad.rpc.hpp:3:22: error: unknown type 'Oops'");
  }
  SECTION("a type used before its declaration, as C++ would refuse it") {
    CHECK(parse_error("namespace n {\nstruct A { B b; };\nstruct B {};\n}\n")
          == "bad.rpc.hpp:2:12: error: unknown type 'B'");
  }
  SECTION("a missing semicolon") {
    CHECK(parse_error("namespace n {\nstruct A {\n  bool b\n};\n}\n")
          == "bad.rpc.hpp:4:1: error: expected ';', found '}'");
  }
  SECTION("a character outside the subset") {
    CHECK(parse_error("namespace n {\n  struct A { bool b; } @\n}\n")
          == "bad.rpc.hpp:2:24: error: unexpected character '@'");
  }
  SECTION("an unterminated comment points at its start") {
    CHECK(parse_error("namespace n {\n /* never closed\n}\n")
          == "bad.rpc.hpp:2:2: error: unterminated comment");
  }
  SECTION("no service") {
    CHECK(parse_error("namespace n {\nstruct A {};\n}\n")
          == "bad.rpc.hpp:4:1: error: no service in the definition: mark one with 'struct "
             "Name : rpcnet::service'");
  }
  SECTION("a type without a fixed width") {
    CHECK(parse_error("namespace n {\nstruct A { int x; };\n}\n")
          == "bad.rpc.hpp:2:12: error: 'int' has no fixed width: use std::int32_t, "
             "std::uint64_t, ...");
  }
  SECTION("an unsupported standard type") {
    CHECK(parse_error("namespace n {\nstruct A { std::set<bool> x; };\n}\n")
          == "bad.rpc.hpp:2:12: error: unsupported type 'std::set'");
  }
  SECTION("a struct as a map key") {
    CHECK(parse_error("namespace n {\nstruct K {};\nstruct A { std::map<K, bool> x; };\n}\n")
          == "bad.rpc.hpp:3:21: error: a map's key must be an integer, bool, std::string or "
             "enum");
  }
  SECTION("a stream inside a struct") {
    CHECK(parse_error("namespace n {\nstruct A { rpcnet::stream<bool> s; };\n}\n")
          == "bad.rpc.hpp:2:12: error: rpcnet::stream may only be a method's parameter or "
             "return type");
  }
  SECTION("a name declared twice") {
    CHECK(parse_error("namespace n {\nstruct A {};\nstruct A {};\n}\n")
          == "bad.rpc.hpp:3:8: error: 'A' is declared twice");
  }
  SECTION("a field declared twice") {
    CHECK(parse_error("namespace n {\nstruct A { bool x; bool x; };\n}\n")
          == "bad.rpc.hpp:2:25: error: field 'x' is declared twice");
  }
  SECTION("a method declared twice") {
    CHECK(parse_error(with_service("", "rpcnet::result<bool, bool> m(bool a);\n"
                                       "rpcnet::result<bool, bool> m(bool a);\n"))
          == "bad.rpc.hpp:4:1: error: method 'm' is declared twice");
  }
  SECTION("a keyword as a name") {
    CHECK(parse_error("namespace n {\nstruct A { bool class; };\n}\n")
          == "bad.rpc.hpp:2:17: error: 'class' is a C++ keyword and cannot be a field name");
  }
  SECTION("a foreign base class") {
    CHECK(parse_error("namespace n {\nstruct A : Base {};\n}\n")
          == "bad.rpc.hpp:2:12: error: a struct may derive only from rpcnet::service or "
             "rpcnet::variants");
  }
  SECTION("an unscoped enum") {
    CHECK(parse_error("namespace n {\nenum E { a };\n}\n")
          == "bad.rpc.hpp:2:6: error: expected 'class' (only scoped enums are supported), "
             "found 'E'");
  }
  SECTION("a field initializer") {
    CHECK(parse_error("namespace n {\nstruct A { bool b = true; };\n}\n")
          == "bad.rpc.hpp:2:19: error: fields take no initializer in a definition");
  }
  SECTION("a service as a type") {
    CHECK(parse_error("namespace n {\nstruct S : rpcnet::service {\n"
                      "  rpcnet::result<bool, bool> m(bool a);\n};\nstruct B { S s; };\n}\n")
          == "bad.rpc.hpp:5:12: error: 'S' is a service, not a type");
  }
  SECTION("a preprocessor line other than #pragma once and #include") {
    CHECK(parse_error("#define X 1\nnamespace n {}\n")
          == "bad.rpc.hpp:1:1: error: unsupported preprocessor line (only '#pragma once' and "
             "'#include')");
  }
  SECTION("a type with the name of a generated class") {
    CHECK(parse_error("namespace n {\nstruct SClient {};\nstruct S : rpcnet::service {\n"
                      "  rpcnet::result<bool, bool> m(bool a);\n};\n}\n")
          == "bad.rpc.hpp:3:8: error: 'SClient' is a name the generated code of service 'S' "
             "needs: rename the type");
  }
  SECTION("a method hiding a member of the generated client") {
    CHECK(parse_error(with_service("", "rpcnet::result<bool, bool> close(bool a);\n"))
          == "bad.rpc.hpp:3:1: error: method 'close' would hide the generated client's own "
             "close()");
  }
  SECTION("a method named like another's asynchronous form") {
    CHECK(parse_error(with_service("", "rpcnet::result<bool, bool> m(bool a);\n"
                                       "  rpcnet::result<bool, bool> m_async(bool a);\n"))
          == "bad.rpc.hpp:4:3: error: method 'm_async' clashes with the asynchronous form of "
             "method 'm'");
  }
  SECTION("an alternative named like a member of the variants struct") {
    CHECK(parse_error("namespace n {\nstruct E : rpcnet::variants { struct value {}; };\n}\n")
          == "bad.rpc.hpp:2:38: error: 'value' is a member of the generated variants struct");
  }
  SECTION("a name the generated code needs for a namespace") {
    CHECK(parse_error("namespace n {\nstruct rpcnet {};\n}\n")
          == "bad.rpc.hpp:2:8: error: 'rpcnet' is a namespace the generated code uses and "
             "cannot be a struct name");
  }
  SECTION("an empty file") {
    CHECK(parse_error("") == "bad.rpc.hpp:1:1: error: expected 'namespace', found the end of "
                             "the file");
  }
}

TEST_CASE("parameters of a method with several are checked, and errors point at them",
          "[parser]") {
  SECTION("one without a name") {
    CHECK(parse_error(with_service("", "rpcnet::result<bool, bool> m(bool a, bool);\n"))
          == "bad.rpc.hpp:3:42: error: parameter 2 of method 'm' needs a name: several "
             "parameters become the fields of one message");
  }
  SECTION("a name declared twice") {
    CHECK(parse_error(with_service("", "rpcnet::result<bool, bool> m(bool a,\n"
                                       "                             double a);\n"))
          == "bad.rpc.hpp:4:37: error: parameter 'a' of method 'm' is declared twice");
  }
  SECTION("a name the generated code uses") {
    for (std::string reserved : {"ctx", "opts", "responses", "client_", "serialize"})
      CHECK(parse_error(with_service("", "rpcnet::result<bool, bool> m(bool a, bool " + reserved
                                           + ");\n"))
            == "bad.rpc.hpp:3:43: error: '" + reserved
                 + "' is a name the generated code of method 'm' uses and cannot be a "
                   "parameter name");
  }
  SECTION("the name of its method") {
    CHECK(parse_error(with_service("", "rpcnet::result<bool, bool> m(bool a, bool m);\n"))
          == "bad.rpc.hpp:3:43: error: parameter 'm' has the name of its method");
  }
  SECTION("the name of a type, which would hide it") {
    CHECK(parse_error(with_service("struct A {};\n",
                                   "rpcnet::result<bool, bool> m(A A, A b);\n"))
          == "bad.rpc.hpp:4:32: error: parameter 'A' has the name of a declaration");
  }
  SECTION("the name of a type declared after the service") {
    CHECK(parse_error("namespace n {\nstruct S : rpcnet::service {\n"
                      "  rpcnet::result<bool, bool> m(bool Later, bool b);\n};\n"
                      "struct Later {};\n}\n")
          == "bad.rpc.hpp:3:37: error: parameter 'Later' has the name of a declaration");
  }
  SECTION("a keyword") {
    CHECK(parse_error(with_service("", "rpcnet::result<bool, bool> m(bool a, bool new);\n"))
          == "bad.rpc.hpp:3:43: error: 'new' is a C++ keyword and cannot be a parameter name");
  }
  SECTION("a stream beside another parameter, before or after it") {
    auto error = "error: method 'm' takes an rpcnet::stream<T>, which must be its only "
                 "parameter";
    CHECK(parse_error(with_service("", "rpcnet::result<bool, bool> m(rpcnet::stream<bool> s, "
                                       "bool b);\n"))
          == std::string{"bad.rpc.hpp:3:54: "} + error);
    CHECK(parse_error(with_service("", "rpcnet::stream<bool> m(bool b, "
                                       "rpcnet::stream<bool> s);\n"))
          == std::string{"bad.rpc.hpp:3:32: "} + error);
  }
  SECTION("a single parameter's name is not used, so it may be anything") {
    auto def = parse_ok(with_service("", "rpcnet::result<bool, bool> m(bool ctx);\n"));
    CHECK(def.services[0].methods[0].params[0].name == "ctx");
  }
}

TEST_CASE("names the generated code adds for methods are refused", "[parser]") {
  SECTION("a method named like another's trailer-returning form") {
    CHECK(parse_error(with_service("", "rpcnet::result<bool, bool> m(bool a);\n"
                                       "rpcnet::result<bool, bool> m_with_trailers(bool a);\n"))
          == "bad.rpc.hpp:4:1: error: method 'm_with_trailers' clashes with the "
             "trailer-returning form of method 'm'");
  }
  SECTION("a type named like the namespace of packed requests") {
    CHECK(parse_error(with_service("struct s_requests {};\n",
                                   "rpcnet::result<bool, bool> m(bool a);\n"))
          == "bad.rpc.hpp:3:8: error: 's_requests' is a namespace the generated code of "
             "service 'S' needs: rename the type");
  }
  SECTION("a method named like the namespace of the actor's tags") {
    CHECK(parse_error(with_service("", "rpcnet::result<bool, bool> s_methods(bool a);\n"))
          == "bad.rpc.hpp:3:1: error: method 's_methods' has the name of a namespace the "
             "generated code needs");
  }
}

TEST_CASE("types nested beyond the limit are refused, not recursed into", "[parser]") {
  std::string deep;
  for (int i = 0; i < 10'000; ++i)
    deep += "std::vector<";
  auto error = parse_error("namespace n {\nstruct A { " + deep + "bool> x; };\n}\n");
  CHECK(error.find("error: types nest deeper than 32 levels") != std::string::npos);
}

TEST_CASE("a definition larger than 1 MiB is refused", "[parser]") {
  std::string huge(2 << 20, ' ');
  CHECK(parse_error(huge) == "bad.rpc.hpp:1:1: error: definition is larger than 1 MiB");
}

TEST_CASE("/// comments document the declaration that follows them", "[parser]") {
  auto def = parse_ok("namespace n {\n/// A point.\n///\n/// In the plane.\nstruct P {\n"
                      "  /// Across.\n  double x; // not a doc comment\n  //// nor this\n"
                      "  double y;\n};\n/// The service.\nstruct S : rpcnet::service {\n"
                      "  /// Moves p.\n  rpcnet::result<P, bool> move(P p);\n};\n}\n");
  const auto& p = std::get<struct_def>(def.types.at(0));
  CHECK(p.doc == "A point.\n\nIn the plane.");
  CHECK(p.fields.at(0).doc == "Across.");
  CHECK(p.fields.at(1).doc.empty());
  CHECK(def.services.at(0).doc == "The service.");
  CHECK(def.services.at(0).methods.at(0).doc == "Moves p.");
}
