#include <rpcnet/codegen/types_emitter.hpp>

#include <rpcnet/codegen/code_writer.hpp>
#include <rpcnet/codegen/cpp_spelling.hpp>

namespace rpcnet::codegen {

namespace {

std::string guard_name(const definition& def) {
  std::string out = "RPCNET_GENERATED_TYPES_" + scope_name(def) + "_" + base_name(def.file);
  for (auto& c : out) {
    bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    c = alnum ? static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c) : '_';
  }
  return out;
}

class types_emitter {
public:
  explicit types_emitter(const definition& def) : def_(def), scope_(scope_name(def)) {
  }

  std::string run() {
    auto guard = guard_name(def_);
    out_.line("#pragma once")
      .line()
      .line("// Several services of one definition each carry this file; one copy wins.")
      .line("#ifndef " + guard)
      .line("#define " + guard)
      .line()
      .line("#include <cstdint>")
      .line("#include <map>")
      .line("#include <optional>")
      .line("#include <string>")
      .line("#include <utility>")
      .line("#include <variant>")
      .line("#include <vector>")
      .line()
      .line("#include <boost/serialization/level.hpp>")
      .line("#include <boost/serialization/map.hpp>")
      .line("#include <boost/serialization/string.hpp>")
      .line("#include <boost/serialization/vector.hpp>")
      .line("#include <caf/meta/type_name.hpp>")
      .line()
      .line("#include <rpcnet/typed/service_definition.hpp>")
      .line("#include <rpcnet/typed/caf_std_inspection.hpp>")
      .line("#include <rpcnet/typed/std_serialization.hpp>")
      .line()
      .line("namespace " + scope_ + " {");
    for (const auto& type : def_.types) {
      out_.line();
      std::visit([this](const auto& t) { declaration(t); }, type);
    }
    for (const auto& svc : def_.services)
      packed_requests(svc);
    out_.line().line("} // namespace " + scope_).line();
    out_.line("// Fields only on the wire, no class information.");
    for (const auto& name : wire_names_)
      out_.line("BOOST_CLASS_IMPLEMENTATION(" + name
                + ", boost::serialization::object_serializable)");
    out_.line().line("#endif // " + guard);
    return banner(def_, "The service's types, with Boost.Serialization and CAF inspection.")
           + out_.str();
  }

private:
  // -- declarations -----------------------------------------------------------

  void declaration(const struct_def& s) {
    plain_struct(s, s.name);
  }

  /// A struct of fields; `path` is its name inside the namespace
  /// ("GreetingError::EmptyName" for an alternative).
  void plain_struct(const struct_def& s, const std::string& path) {
    out_.doc(s.doc).open("struct " + s.name + " {");
    for (const auto& f : s.fields)
      out_.doc(f.doc).line(cpp_type(f.type) + " " + f.name
                           + (needs_value_init(f.type, def_) ? "{};" : ";"));
    if (!s.fields.empty())
      out_.line();
    std::string archived;
    std::string inspected;
    // Members by this-> and x., never bare: a field (or a packed parameter)
    // may be called ar, Archive, f or Inspector like serialize's and
    // inspect's own names.
    for (const auto& f : s.fields) {
      archived += "& this->" + f.name;
      inspected += ", x." + f.name;
    }
    members(s.name, path, archived, inspected);
    out_.close("};");
  }

  void declaration(const enum_def& e) {
    std::string underlying;
    if (e.underlying)
      underlying = " : " + cpp_type(type_ref{*e.underlying, {}, {}, {}});
    out_.doc(e.doc).open("enum class " + e.name + underlying + " {");
    for (const auto& value : e.values)
      out_.line(value + ",");
    out_.close("};");
  }

  void declaration(const variants_def& v) {
    out_.doc(v.doc).open("struct " + v.name + " {");
    std::string alternatives;
    for (const auto& alt : v.alternatives) {
      plain_struct(alt, v.name + "::" + alt.name);
      out_.line();
      alternatives += (alternatives.empty() ? "" : ", ") + alt.name;
    }
    out_.line("std::variant<" + alternatives + "> value;").line();
    out_.line(v.name + "() = default;");
    for (const auto& alt : v.alternatives)
      out_.open(v.name + "(" + alt.name + " alternative) : value(std::move(alternative)) {")
        .close();
    out_.line()
      .line("/// Does this hold alternative A?")
      .line("template <class A>")
      .open("bool is() const {")
      .line("return std::holds_alternative<A>(value);")
      .close()
      .line()
      .line("/// Alternative A, or null when this holds another.")
      .line("template <class A>")
      .open("const A* get_if() const {")
      .line("return std::get_if<A>(&value);")
      .close()
      .line();
    members(v.name, v.name, "& this->value", ", x.value");
    out_.close("};");
  }

  /// The structs that carry the parameters of `svc`'s methods that take
  /// several: one message, the parameters its fields in order.
  void packed_requests(const service_def& svc) {
    auto ns = requests_namespace(svc);
    bool opened = false;
    for (const auto& m : svc.methods) {
      if (!packs_parameters(m))
        continue;
      if (!opened)
        out_.line()
          .line("/// The requests of the " + svc.name + " methods that take several "
                "parameters, or none:")
          .line("/// one struct per method, one message on the wire, the parameters its fields.")
          .line("namespace " + ns + " {");
      opened = true;
      struct_def request{m.name, {}, "The parameters of " + m.name + "."};
      for (const auto& p : m.params)
        request.fields.push_back({p.type, p.name, ""});
      out_.line();
      plain_struct(request, ns + "::" + m.name);
    }
    if (opened)
      out_.line().line("} // namespace " + ns);
  }

  /// Equality, serialize and inspect of a struct whose data members are
  /// `archived` ("& this->a& this->b") and `inspected` (", x.a, x.b").
  void members(const std::string& name, const std::string& path, const std::string& archived,
               const std::string& inspected) {
    wire_names_.push_back(scope_ + "::" + path);
    out_.line("friend bool operator==(const " + name + "&, const " + name + "&) = default;")
      .line()
      .line("template <class Archive>");
    if (archived.empty())
      out_.open("void serialize(Archive&, unsigned) {").close();
    else
      out_.open("void serialize(Archive& ar, unsigned) {").line("ar" + archived + ";").close();
    out_.line()
      .line("template <class Inspector>")
      .open("friend typename Inspector::result_type inspect(Inspector& f, " + name
            + (inspected.empty() ? "&) {" : "& x) {"));
    out_.line("return f(caf::meta::type_name(\"" + scope_ + "::" + path + "\")" + inspected + ");")
      .close();
  }

  // -- member variables -------------------------------------------------------

  const definition& def_;
  std::string scope_;
  code_writer out_;
  /// Every struct, qualified, for BOOST_CLASS_IMPLEMENTATION.
  std::vector<std::string> wire_names_;
};

} // namespace

std::string emit_types(const definition& def) {
  return types_emitter{def}.run();
}

} // namespace rpcnet::codegen
