// Writing a definition model back as source; see definition_printer.hpp.
#include "definition_printer.hpp"

#include <string_view>
#include <variant>

#include <rpcnet/codegen/cpp_spelling.hpp>

namespace rpcnet::fuzz {

namespace {

using namespace rpcnet::codegen;

class printer {
public:
  std::string print(const definition& def) {
    out_ = "namespace " + scope_name(def) + " {\n";
    for (const auto& type : def.types)
      std::visit([this](const auto& t) { declaration(t); }, type);
    for (const auto& svc : def.services)
      service(svc);
    out_ += "}\n";
    return std::move(out_);
  }

private:
  /// `doc`'s lines as `///` comments, which the tokenizer gives back
  /// without the "/// " and joined by '\n'.
  void doc(std::string_view text) {
    if (text.empty())
      return;
    for (size_t at = 0;;) {
      auto end = text.find('\n', at);
      out_ += "/// ";
      out_ += text.substr(at, end - at);
      out_ += '\n';
      if (end == std::string_view::npos)
        break;
      at = end + 1;
    }
  }

  void fields(const struct_def& s) {
    out_ += "struct " + s.name + " {\n";
    for (const auto& f : s.fields) {
      doc(f.doc);
      out_ += cpp_type(f.type) + " " + f.name + ";\n";
    }
    out_ += "};\n";
  }

  void declaration(const struct_def& s) {
    doc(s.doc);
    fields(s);
  }

  void declaration(const enum_def& e) {
    doc(e.doc);
    out_ += "enum class " + e.name;
    if (e.underlying)
      out_ += " : " + cpp_type(type_ref{*e.underlying, {}, {}, {}});
    out_ += " {";
    for (size_t i = 0; i < e.values.size(); ++i)
      out_ += (i == 0 ? "" : ", ") + e.values[i];
    out_ += "};\n";
  }

  void declaration(const variants_def& v) {
    doc(v.doc);
    out_ += "struct " + v.name + " : rpcnet::variants {\n";
    for (const auto& alt : v.alternatives) {
      doc(alt.doc);
      fields(alt);
    }
    out_ += "};\n";
  }

  void service(const service_def& svc) {
    doc(svc.doc);
    out_ += "struct " + svc.name + " : rpcnet::service {\n";
    for (const auto& m : svc.methods)
      method(m);
    out_ += "};\n";
  }

  void method(const method_def& m) {
    doc(m.doc);
    out_ += streams_responses(m.kind) ? "rpcnet::stream<" + cpp_type(m.response) + ">"
                                      : result_type(m);
    out_ += " " + m.name + "(";
    for (size_t i = 0; i < m.params.size(); ++i) {
      const auto& p = m.params[i];
      auto type = cpp_type(p.type);
      out_ += (i == 0 ? "" : ", ")
              + (streams_requests(m.kind) ? "rpcnet::stream<" + type + ">" : type);
      if (!p.name.empty())
        out_ += " " + p.name;
    }
    out_ += ");\n";
  }

  std::string out_;
};

} // namespace

std::string print_definition(const codegen::definition& def) {
  return printer{}.print(def);
}

} // namespace rpcnet::fuzz
