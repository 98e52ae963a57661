#include <rpcnet/codegen/parser.hpp>

#include <array>
#include <map>
#include <set>
#include <utility>

#include <rpcnet/codegen/cpp_spelling.hpp>
#include <rpcnet/codegen/tokenizer.hpp>

namespace rpcnet::codegen {

namespace {

/// Thrown inside the parser only; parse_definition turns it into a result.
struct parse_failure {
  source_position pos;
  std::string what;
};

/// Names a definition may not use: they would not compile as C++.
bool is_cpp_keyword(const std::string& name) {
  static const std::set<std::string> keywords{
    "alignas",   "alignof",   "and",       "asm",          "auto",        "bool",
    "break",     "case",      "catch",     "char",         "class",       "concept",
    "const",     "consteval", "constexpr", "constinit",    "const_cast",  "continue",
    "co_await",  "co_return", "co_yield",  "decltype",     "default",     "delete",
    "do",        "double",    "else",      "enum",         "explicit",    "export",
    "extern",    "false",     "float",     "for",          "friend",      "goto",
    "if",        "inline",    "int",       "long",         "mutable",     "namespace",
    "new",       "noexcept",  "not",       "nullptr",      "operator",    "or",
    "private",   "protected", "public",    "register",     "requires",    "return",
    "short",     "signed",    "sizeof",    "static",       "static_cast", "struct",
    "switch",    "template",  "this",      "throw",        "true",        "try",
    "typedef",   "typeid",    "typename",  "union",        "unsigned",    "using",
    "virtual",   "void",      "volatile",  "while",        "xor",         "char8_t",
    "char16_t",  "char32_t",  "wchar_t",   "dynamic_cast", "reinterpret_cast",
    "static_assert", "thread_local"};
  return keywords.count(name) > 0;
}

/// The fixed-width integer names, with or without std::.
std::optional<type_kind> integer_kind(const std::string& name) {
  static const std::map<std::string, type_kind> kinds{
    {"int8_t", type_kind::int8},   {"int16_t", type_kind::int16},
    {"int32_t", type_kind::int32}, {"int64_t", type_kind::int64},
    {"uint8_t", type_kind::uint8}, {"uint16_t", type_kind::uint16},
    {"uint32_t", type_kind::uint32}, {"uint64_t", type_kind::uint64}};
  auto i = kinds.find(name);
  if (i == kinds.end())
    return std::nullopt;
  return i->second;
}

/// What a declared name stands for.
enum class decl_kind { struct_type, enum_type, variants_type, service };

bool is_map_key(const type_ref& t, const std::map<std::string, decl_kind>& declared) {
  switch (t.kind) {
    case type_kind::vector:
    case type_kind::optional:
    case type_kind::map:
    case type_kind::float32:
    case type_kind::float64:
      return false;
    case type_kind::named:
    {
      auto i = declared.find(t.name);
      return i != declared.end() && i->second == decl_kind::enum_type;
    }
    default:
      return true;
  }
}

class parser {
public:
  explicit parser(std::vector<token> tokens) : tokens_(std::move(tokens)) {
  }

  definition parse_file() {
    definition def;
    while (at().kind == token_kind::directive)
      directive(take());
    expect_word("namespace", "expected 'namespace'");
    def.scope.push_back(name("a namespace name"));
    while (accept("::"))
      def.scope.push_back(name("a namespace name"));
    expect("{");
    while (!is("}")) {
      if (is_word("struct"))
        struct_declaration(def);
      else if (is_word("enum"))
        def.types.emplace_back(enum_declaration());
      else
        fail(at().pos, "expected a struct or an enum class, found " + shown(at()));
    }
    expect("}");
    accept(";");
    if (at().kind != token_kind::end)
      fail(at().pos, "expected the end of the file after the namespace, found " + shown(at()));
    if (def.services.empty())
      fail(at().pos, "no service in the definition: mark one with 'struct Name : rpcnet::service'");
    for (const auto& svc : def.services)
      check_generated_names(svc);
    return def;
  }

private:
  // -- token access -----------------------------------------------------------

  const token& at() const {
    return tokens_[i_];
  }

  const token& take() {
    const auto& t = tokens_[i_];
    if (t.kind != token_kind::end)
      ++i_;
    return t;
  }

  bool is(std::string_view punct) const {
    return at().kind == token_kind::punctuation && at().text == punct;
  }

  bool is_word(std::string_view word) const {
    return at().kind == token_kind::identifier && at().text == word;
  }

  bool accept(std::string_view punct) {
    if (!is(punct))
      return false;
    take();
    return true;
  }

  bool accept_word(std::string_view word) {
    if (!is_word(word))
      return false;
    take();
    return true;
  }

  void expect(std::string_view punct) {
    if (!accept(punct))
      fail(at().pos, "expected '" + std::string{punct} + "', found " + shown(at()));
  }

  void expect_word(std::string_view word, const std::string& what) {
    if (!accept_word(word))
      fail(at().pos, what + ", found " + shown(at()));
  }

  static std::string shown(const token& t) {
    switch (t.kind) {
      case token_kind::end:
        return "the end of the file";
      case token_kind::directive:
        return "a preprocessor line";
      default:
        return "'" + t.text + "'";
    }
  }

  [[noreturn]] static void fail(source_position pos, std::string what) {
    throw parse_failure{pos, std::move(what)};
  }

  /// An identifier usable as a name in the generated C++.
  std::string name(const std::string& what) {
    const auto& t = at();
    if (t.kind != token_kind::identifier)
      fail(t.pos, "expected " + what + ", found " + shown(t));
    if (is_cpp_keyword(t.text))
      fail(t.pos, "'" + t.text + "' is a C++ keyword and cannot be " + what);
    // Generated code names these namespaces from inside the definition's.
    if (t.text == "std" || t.text == "rpcnet" || t.text == "caf" || t.text == "boost")
      fail(t.pos, "'" + t.text + "' is a namespace the generated code uses and cannot be "
                    + what);
    return take().text;
  }

  /// Names the generated code gives a service must not clash with the
  /// definition's own: the classes and namespaces next to the types, the
  /// client's members, the parameters' fields.
  void check_generated_names(const service_def& svc) const {
    for (const char* suffix : {"Client", "Handler", "Actor", "ContextActor", "Server"})
      if (declared_.count(svc.name + suffix))
        fail(svc.pos, "'" + svc.name + suffix + "' is a name the generated code of service '"
                        + svc.name + "' needs: rename the type");
    // The tags of the actor's messages, the structs of packed parameters.
    const std::set<std::string> namespaces{tags_namespace(svc), requests_namespace(svc)};
    for (const auto& ns : namespaces)
      if (declared_.count(ns))
        fail(svc.pos, "'" + ns + "' is a namespace the generated code of service '" + svc.name
                        + "' needs: rename the type");
    std::set<std::string> methods;
    for (const auto& m : svc.methods)
      methods.insert(m.name);
    for (const auto& m : svc.methods) {
      if (m.name == "raw" || m.name == "close" || m.name == "connect")
        fail(m.pos, "method '" + m.name + "' would hide the generated client's own " + m.name
                      + "()");
      for (std::string_view suffix : {"_async", "_with_trailers"})
        if (m.name.size() > suffix.size() && m.name.ends_with(suffix)
            && methods.count(m.name.substr(0, m.name.size() - suffix.size())))
          fail(m.pos, "method '" + m.name + "' clashes with the " + form_of(suffix)
                        + " form of method '" + m.name.substr(0, m.name.size() - suffix.size())
                        + "'");
      if (declared_.count(m.name))
        fail(m.pos, "method '" + m.name + "' has the name of a declaration");
      if (namespaces.count(m.name))
        fail(m.pos, "method '" + m.name + "' has the name of a namespace the generated code "
                      "needs");
      if (!packs_parameters(m))
        continue;
      // A parameter named like a type hides it from the parameters after it.
      for (const auto& p : m.params)
        if (declared_.count(p.name) || namespaces.count(p.name))
          fail(p.pos, "parameter '" + p.name + "' has the name of a declaration");
    }
  }

  static std::string form_of(std::string_view suffix) {
    return suffix == "_async" ? "asynchronous" : "trailer-returning";
  }

  // -- declarations -----------------------------------------------------------

  static void directive(const token& t) {
    auto skip_blanks = [](std::string_view text) {
      while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
      return text;
    };
    auto line = skip_blanks(std::string_view{t.text}.substr(1)); // after '#'
    if (line.starts_with("include")) {
      auto target = skip_blanks(line.substr(7));
      if (target.starts_with("<") || target.starts_with("\""))
        return;
    }
    if (line.starts_with("pragma") && skip_blanks(line.substr(6)) == "once")
      return;
    fail(t.pos, "unsupported preprocessor line (only '#pragma once' and '#include')");
  }

  void declare(const std::string& type_name, source_position pos, decl_kind kind) {
    if (!declared_.emplace(type_name, kind).second)
      fail(pos, "'" + type_name + "' is declared twice");
  }

  void struct_declaration(definition& def) {
    auto doc = take().doc; // struct
    auto pos = at().pos;
    auto struct_name = name("a struct name");
    accept_word("final");
    std::string base;
    if (accept(":")) {
      accept_word("public");
      auto base_pos = at().pos;
      if (!accept_word("rpcnet") || !accept("::")
          || !(is_word("service") || is_word("variants")))
        fail(base_pos, "a struct may derive only from rpcnet::service or rpcnet::variants");
      base = take().text;
    }
    expect("{");
    if (base == "service") {
      service_def svc{struct_name, {}, doc, pos};
      std::set<std::string> seen;
      while (!is("}"))
        svc.methods.push_back(method(seen));
      if (svc.methods.empty())
        fail(pos, "service '" + struct_name + "' declares no methods");
      close_declaration();
      declare(struct_name, pos, decl_kind::service);
      def.services.push_back(std::move(svc));
    } else if (base == "variants") {
      variants_def var{struct_name, {}, doc};
      std::set<std::string> seen;
      while (!is("}")) {
        auto alt_doc = at().doc;
        expect_word("struct", "expected a nested struct (one per alternative), found "
                                + shown(at()));
        auto alt_pos = at().pos;
        auto alt_name = name("an alternative's name");
        if (!seen.insert(alt_name).second || alt_name == struct_name)
          fail(alt_pos, "alternative '" + alt_name + "' is declared twice");
        if (alt_name == "value" || alt_name == "is" || alt_name == "get_if")
          fail(alt_pos, "'" + alt_name + "' is a member of the generated variants struct");
        expect("{");
        var.alternatives.push_back(fields_until_close(alt_name, alt_doc));
      }
      if (var.alternatives.empty())
        fail(pos, "variants '" + struct_name + "' declares no alternatives");
      close_declaration();
      declare(struct_name, pos, decl_kind::variants_type);
      def.types.emplace_back(std::move(var));
    } else {
      auto plain = fields_until_close(struct_name, doc);
      declare(struct_name, pos, decl_kind::struct_type);
      def.types.emplace_back(std::move(plain));
    }
  }

  /// Fields up to and including "};".
  struct_def fields_until_close(const std::string& struct_name, const std::string& doc) {
    struct_def out{struct_name, {}, doc};
    std::set<std::string> seen;
    while (!is("}")) {
      auto field_doc = at().doc;
      auto type = value_type(0);
      auto pos = at().pos;
      auto field_name = name("a field name");
      if (!seen.insert(field_name).second)
        fail(pos, "field '" + field_name + "' is declared twice");
      if (field_name == "serialize")
        fail(pos, "'serialize' is a member function of every generated struct");
      if (is("=") || is("{"))
        fail(at().pos, "fields take no initializer in a definition");
      expect(";");
      out.fields.push_back({std::move(type), std::move(field_name), std::move(field_doc)});
    }
    close_declaration();
    return out;
  }

  void close_declaration() {
    expect("}");
    expect(";");
  }

  enum_def enum_declaration() {
    auto doc = take().doc; // enum
    expect_word("class", "expected 'class' (only scoped enums are supported)");
    auto pos = at().pos;
    enum_def out{name("an enum name"), std::nullopt, {}, doc};
    if (accept(":")) {
      auto type_pos = at().pos;
      auto t = value_type(0);
      if (t.kind < type_kind::int8 || t.kind > type_kind::uint64)
        fail(type_pos, "an enum's underlying type must be a fixed-width integer");
      out.underlying = t.kind;
    }
    expect("{");
    std::set<std::string> seen;
    while (!is("}")) {
      auto value_pos = at().pos;
      auto value = name("an enumerator");
      if (!seen.insert(value).second)
        fail(value_pos, "enumerator '" + value + "' is declared twice");
      if (is("="))
        fail(at().pos, "enumerators take no explicit value in a definition");
      out.values.push_back(std::move(value));
      if (!accept(","))
        break;
    }
    if (out.values.empty())
      fail(pos, "enum '" + out.name + "' declares no enumerators");
    close_declaration();
    declare(out.name, pos, decl_kind::enum_type);
    return out;
  }

  // -- methods ----------------------------------------------------------------

  /// The name of the method whose signature starts here, for messages.
  std::string upcoming_method_name() const {
    for (auto j = i_; j + 1 < tokens_.size(); ++j) {
      const auto& t = tokens_[j];
      if (t.kind == token_kind::punctuation && (t.text == ";" || t.text == "}"))
        break;
      if (tokens_[j + 1].text == "(" && t.kind == token_kind::identifier)
        return "method '" + t.text + "'";
    }
    return "a method";
  }

  /// After "rpcnet ::", is the next word `word`?
  bool is_rpcnet(std::string_view word) const {
    return is_word("rpcnet") && i_ + 2 < tokens_.size() && tokens_[i_ + 1].text == "::"
           && tokens_[i_ + 2].kind == token_kind::identifier && tokens_[i_ + 2].text == word;
  }

  /// rpcnet::stream<T>: T.
  type_ref stream_item() {
    take();
    take();
    take();
    expect("<");
    auto item = value_type(1);
    expect(">");
    return item;
  }

  /// One parameter of `m`: `[const] Type [&] [name]` or
  /// `rpcnet::stream<T> [name]`; `stream` says whether `m` has a stream.
  void parameter(method_def& m, bool& stream) {
    auto start = at().pos;
    if (m.params.size() == static_cast<size_t>(max_parameters))
      fail(start, "method '" + m.name + "' takes more than " + std::to_string(max_parameters)
                    + " parameters: gather them in a struct");
    accept_word("const");
    bool this_stream = is_rpcnet("stream");
    // A stream is the whole request: its messages are the call's.
    if (stream || (this_stream && !m.params.empty()))
      fail(start, "method '" + m.name + "' takes an rpcnet::stream<T>, which must be its only "
                    "parameter");
    stream = this_stream;
    param_def p;
    p.type = stream ? stream_item() : value_type(0);
    accept("&");
    p.pos = at().pos;
    if (at().kind == token_kind::identifier)
      p.name = name("a parameter name");
    m.params.push_back(std::move(p));
  }

  /// Several parameters become the fields of one message, so each needs a
  /// name of its own; one parameter's name is never used.
  static void check_parameter_names(const method_def& m) {
    if (!packs_parameters(m))
      return;
    std::set<std::string> seen;
    for (size_t i = 0; i < m.params.size(); ++i) {
      const auto& p = m.params[i];
      if (p.name.empty())
        fail(p.pos, "parameter " + std::to_string(i + 1) + " of method '" + m.name
                      + "' needs a name: several parameters become the fields of one message");
      if (!seen.insert(p.name).second)
        fail(p.pos, "parameter '" + p.name + "' of method '" + m.name + "' is declared twice");
      if (p.name == m.name)
        fail(p.pos, "parameter '" + p.name + "' has the name of its method");
      for (const char* reserved : {"ctx", "opts", "responses", "client_", "serialize"})
        if (p.name == reserved)
          fail(p.pos, "'" + p.name + "' is a name the generated code of method '" + m.name
                        + "' uses and cannot be a parameter name");
    }
  }

  /// One method; `seen` holds the names of the service's earlier methods.
  method_def method(std::set<std::string>& seen) {
    method_def m;
    m.doc = at().doc;
    m.pos = at().pos;
    accept_word("virtual");
    auto ret_pos = at().pos;
    if (is_rpcnet("result")) {
      take();
      take();
      take();
      expect("<");
      m.response = value_type(1);
      expect(",");
      m.error = value_type(1);
      expect(">");
    } else if (is_rpcnet("stream")) {
      m.response = stream_item();
    } else {
      fail(ret_pos, upcoming_method_name()
                      + " must return rpcnet::result<T, E> or rpcnet::stream<T>");
    }
    m.name = name("a method name");
    expect("(");
    bool request_stream = false;
    // No parameters: the request is an empty message (ping(), list_all()).
    if (!is(")"))
      do
        parameter(m, request_stream);
      while (accept(","));
    expect(")");
    check_parameter_names(m);
    if (accept("=")) {
      if (at().kind != token_kind::number || at().text != "0")
        fail(at().pos, "expected '0' after '='");
      take();
    }
    expect(";");
    bool response_stream = !m.error.has_value();
    m.kind = request_stream ? (response_stream ? method_kind::bidirectional
                                               : method_kind::client_streaming)
                            : (response_stream ? method_kind::server_streaming
                                               : method_kind::unary);
    if (!seen.insert(m.name).second)
      fail(ret_pos, "method '" + m.name + "' is declared twice");
    return m;
  }

  // -- types ------------------------------------------------------------------

  type_ref value_type(int depth) {
    if (depth > max_type_depth)
      fail(at().pos, "types nest deeper than " + std::to_string(max_type_depth) + " levels");
    type_ref t;
    t.pos = at().pos;
    if (at().kind != token_kind::identifier)
      fail(t.pos, "expected a type, found " + shown(at()));
    if (is_rpcnet("stream") || is_rpcnet("result"))
      fail(t.pos, "rpcnet::" + tokens_[i_ + 2].text
                    + " may only be a method's parameter or return type");
    auto word = take().text;
    if (word == "std") {
      expect("::");
      if (at().kind != token_kind::identifier)
        fail(at().pos, "expected a standard type, found " + shown(at()));
      word = take().text;
      return std_type(std::move(t), word, depth);
    }
    if (word == "bool")
      t.kind = type_kind::boolean;
    else if (word == "float")
      t.kind = type_kind::float32;
    else if (word == "double")
      t.kind = type_kind::float64;
    else if (auto k = integer_kind(word))
      t.kind = *k;
    else if (word == "int" || word == "long" || word == "short" || word == "unsigned"
             || word == "char" || word == "signed" || word == "size_t")
      fail(t.pos, "'" + word + "' has no fixed width: use std::int32_t, std::uint64_t, ...");
    else
      return named_type(std::move(t), word);
    return t;
  }

  type_ref std_type(type_ref t, const std::string& word, int depth) {
    if (word == "string") {
      t.kind = type_kind::string;
    } else if (auto k = integer_kind(word)) {
      t.kind = *k;
    } else if (word == "vector" || word == "optional") {
      t.kind = word == "vector" ? type_kind::vector : type_kind::optional;
      expect("<");
      t.args.push_back(value_type(depth + 1));
      expect(">");
    } else if (word == "map") {
      t.kind = type_kind::map;
      expect("<");
      auto key_pos = at().pos;
      t.args.push_back(value_type(depth + 1));
      if (!is_map_key(t.args.back(), declared_))
        fail(key_pos, "a map's key must be an integer, bool, std::string or enum");
      expect(",");
      t.args.push_back(value_type(depth + 1));
      expect(">");
    } else {
      fail(t.pos, "unsupported type 'std::" + word + "'");
    }
    return t;
  }

  type_ref named_type(type_ref t, const std::string& word) {
    auto i = declared_.find(word);
    if (i == declared_.end())
      fail(t.pos, "unknown type '" + word + "'");
    if (i->second == decl_kind::service)
      fail(t.pos, "'" + word + "' is a service, not a type");
    t.kind = type_kind::named;
    t.name = word;
    return t;
  }

  // -- member variables -------------------------------------------------------

  std::vector<token> tokens_;
  size_t i_ = 0;
  /// Every declared name and what it is; a type is usable after its
  /// declaration, as in C++.
  std::map<std::string, decl_kind> declared_;
};

} // namespace

parse_result parse_definition(std::string_view text, const std::string& file) {
  parse_result out;
  auto tokens = tokenize(text);
  if (!tokens.ok) {
    out.error = diagnostic{file, tokens.error_pos, tokens.error};
    return out;
  }
  try {
    auto def = parser{std::move(tokens.tokens)}.parse_file();
    def.file = file;
    out.value = std::move(def);
  } catch (const parse_failure& failure) {
    out.error = diagnostic{file, failure.pos, failure.what};
  }
  return out;
}

} // namespace rpcnet::codegen
