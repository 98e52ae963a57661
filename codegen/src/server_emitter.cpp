#include <rpcnet/codegen/server_emitter.hpp>

#include <algorithm>

#include <rpcnet/codegen/code_writer.hpp>
#include <rpcnet/codegen/cpp_spelling.hpp>

namespace rpcnet::codegen {

namespace {

std::string reader_of(const method_def& m) {
  return "rpcnet::typed::reader<" + cpp_type(m.request) + ">";
}

std::string writer_of(const method_def& m) {
  return "rpcnet::typed::writer<" + cpp_type(m.response) + ">";
}

/// A handler method's return type and parameters (without names' types
/// repeated in the registration below).
struct handler_signature {
  std::string returns;
  std::string params;     ///< "GreetRequest request"
  std::string arguments;  ///< "std::move(request)"
  std::string adapter;    ///< "rpcnet::typed::unary<GreetRequest>"
  std::string registrar;  ///< "register_unary"
};

handler_signature signature_of(const method_def& m) {
  auto request = cpp_type(m.request);
  auto response = cpp_type(m.response);
  switch (m.kind) {
    case method_kind::unary:
      return {result_type(m), request + " request", "std::move(request)",
              "rpcnet::typed::unary<" + request + ">", "register_unary"};
    case method_kind::server_streaming:
      return {"caf::error", request + " request, " + writer_of(m) + "& responses",
              "std::move(request), responses",
              "rpcnet::typed::server_streaming<" + request + ", " + response + ">",
              "register_streaming"};
    case method_kind::client_streaming:
      return {"caf::expected<" + result_type(m) + ">", reader_of(m) + "& requests", "requests",
              "rpcnet::typed::client_streaming<" + request + ">", "register_streaming"};
    case method_kind::bidirectional:
      break;
  }
  return {"caf::error", reader_of(m) + "& requests, " + writer_of(m) + "& responses",
          "requests, responses",
          "rpcnet::typed::bidirectional<" + request + ", " + response + ">",
          "register_streaming"};
}

class server_emitter {
public:
  server_emitter(const definition& def, const service_def& svc)
    : def_(def),
      svc_(svc),
      scope_(scope_name(def)),
      handler_(svc.name + "Handler"),
      actor_(svc.name + "Actor"),
      server_(svc.name + "Server"),
      tags_(lowercase(svc.name) + "_methods") {
    std::copy_if(svc.methods.begin(), svc.methods.end(), std::back_inserter(unary_),
                 [](const method_def& m) { return m.kind == method_kind::unary; });
  }

  std::string run() {
    out_.line("#pragma once")
      .line()
      .line("#include <chrono>")
      .line("#include <memory>")
      .line("#include <optional>")
      .line("#include <utility>")
      .line()
      .line("#include <caf/actor_system.hpp>")
      .line("#include <caf/error.hpp>")
      .line("#include <caf/expected.hpp>")
      .line("#include <caf/meta/type_name.hpp>")
      .line("#include <caf/typed_actor.hpp>")
      .line()
      .line("#include <rpcnet/actors/rpc_config.hpp>")
      .line("#include <rpcnet/actors/rpc_server.hpp>")
      .line("#include <rpcnet/typed/typed_server.hpp>")
      .line()
      .line("#include \"types.hpp\"")
      .line()
      .line("namespace " + scope_ + " {")
      .line();
    handler_interface();
    if (!unary_.empty())
      actor_interface();
    harness();
    out_.line().line("} // namespace " + scope_);
    return banner(def_, handler_ + " to implement, " + actor_ + " and " + server_
                          + " to serve it.")
           + out_.str();
  }

private:
  void handler_interface() {
    out_.doc(svc_.doc, true)
      .line("/// What a " + svc_.name + " service implements. Methods run on the server's")
      .line("/// handler pool, several at once, and may block.")
      .open("class " + handler_ + " {")
      .access("public:")
      .line("virtual ~" + handler_ + "() = default;");
    for (const auto& m : svc_.methods) {
      auto sig = signature_of(m);
      out_.line().doc(m.doc).line("virtual " + sig.returns + " " + m.name + "(" + sig.params
                                  + ") = 0;");
    }
    out_.close("};").line();
  }

  void actor_interface() {
    out_.line("/// Tags naming the messages of " + actor_ + ", one per unary method.")
      .line("namespace " + tags_ + " {");
    for (const auto& m : unary_) {
      out_.line()
        .open("struct " + m.name + " {")
        .line("template <class Inspector>")
        .open("friend typename Inspector::result_type inspect(Inspector& f, " + m.name + "&) {")
        .line("return f(caf::meta::type_name(" + quoted(scope_ + "::" + tags_ + "::" + m.name)
              + "));")
        .close()
        .close("};");
    }
    out_.line().line("} // namespace " + tags_).line();
    out_.line("/// The " + svc_.name + " service as a typed actor: its unary methods as")
      .line("/// (tag, request) -> result messages. Streaming methods are served by a")
      .line("/// " + handler_ + ".")
      .line("using " + actor_ + " = caf::typed_actor<");
    for (size_t i = 0; i < unary_.size(); ++i) {
      const auto& m = unary_[i];
      out_.line("  caf::replies_to<" + tags_ + "::" + m.name + ", " + cpp_type(m.request)
                + ">::with<" + result_type(m) + ">" + (i + 1 < unary_.size() ? "," : ">;"));
    }
    out_.line();
  }

  void harness() {
    out_.line("/// Serves a " + handler_ + " (or a " + actor_ + ") over QUIC: one method per")
      .line("/// RPC of the definition, registered on an rpcnet::rpc_server.")
      .open("class " + server_ + " {")
      .access("public:")
      .open(server_ + "(caf::actor_system& sys, std::shared_ptr<" + handler_
            + "> handler, rpcnet::rpc_config cfg)")
      .line(": server_(sys, std::move(cfg)) {")
      .line("register_handler(server_, std::move(handler));")
      .close();
    if (!unary_.empty())
      out_.line()
        .open(server_ + "(caf::actor_system& sys, " + actor_ + " service, rpcnet::rpc_config cfg)")
        .line(": server_(sys, std::move(cfg)) {")
        .line("register_actor(server_, sys, std::move(service));")
        .close();
    out_.section("registration")
      .line("/// Registers every method of `handler` on `server`.")
      .open("static void register_handler(rpcnet::rpc_server& server, std::shared_ptr<"
            + handler_ + "> handler) {");
    for (const auto& m : svc_.methods) {
      auto sig = signature_of(m);
      out_.line("server." + sig.registrar + "(" + quoted(m.name) + ", " + sig.adapter + "(")
        .line("  [handler](" + sig.params + ") { return handler->" + m.name + "("
              + sig.arguments + "); }));");
    }
    out_.close();
    if (!unary_.empty()) {
      out_.line()
        .line("/// Routes the unary methods on `server` to `service`.")
        .open("static void register_actor(rpcnet::rpc_server& server, caf::actor_system& sys, "
              + actor_ + " service) {");
      for (const auto& m : unary_)
        out_.line("server.register_actor(" + quoted(m.name)
                  + ", sys.spawn(rpcnet::typed::forward_unary<")
          .line("  " + tags_ + "::" + m.name + ", " + cpp_type(m.request) + ", " + result_type(m)
                + ", " + actor_ + ">, service));");
      out_.close();
    }
    out_.section("lifecycle")
      .line("/// Binds the UDP socket; returns the bound address (port 0 picks one).")
      .open("caf::expected<rpcnet::socket_address> bind() {")
      .line("return server_.bind();")
      .close()
      .line()
      .line("/// Starts accepting connections (binds first if needed).")
      .open("caf::error start() {")
      .line("return server_.start();")
      .close()
      .line()
      .line("/// Lets calls in flight finish for up to `grace`, then closes.")
      .open("void stop(std::chrono::milliseconds grace = std::chrono::seconds{5}) {")
      .line("server_.stop(grace);")
      .close()
      .section("properties")
      .open("std::optional<rpcnet::socket_address> local_address() const {")
      .line("return server_.local_address();")
      .close()
      .line()
      .line("/// The untyped server underneath, for more methods or its counters.")
      .open("rpcnet::rpc_server& raw() noexcept {")
      .line("return server_;")
      .close()
      .line()
      .access("private:")
      .line("rpcnet::rpc_server server_;")
      .close("};");
  }

  // -- member variables -------------------------------------------------------

  const definition& def_;
  const service_def& svc_;
  std::string scope_;
  std::string handler_;
  std::string actor_;
  std::string server_;
  std::string tags_;
  std::vector<method_def> unary_;
  code_writer out_;
};

} // namespace

std::string emit_server(const definition& def, const service_def& svc) {
  return server_emitter{def, svc}.run();
}

} // namespace rpcnet::codegen
