#include <rpcnet/codegen/server_emitter.hpp>

#include <algorithm>

#include <rpcnet/codegen/code_writer.hpp>
#include <rpcnet/codegen/cpp_spelling.hpp>

namespace rpcnet::codegen {

namespace {

std::string reader_of(const method_def& m) {
  return "rpcnet::typed::reader<" + cpp_type(m.params.at(0).type) + ">";
}

std::string writer_of(const method_def& m) {
  return "rpcnet::typed::writer<" + cpp_type(m.response) + ">";
}

/// `text` with `more` after a comma, or whichever is not empty alone.
std::string joined(const std::string& text, const std::string& more) {
  if (more.empty())
    return text;
  return text.empty() ? more : text + ", " + more;
}

/// A handler method's return type and parameters after its context, and
/// how the registered function -- which takes the context and the decoded
/// request -- calls it.
struct handler_signature {
  std::string returns;
  std::string params;        ///< "GreetRequest request", "std::uint64_t id, Data data"
  std::string lambda_params; ///< "GreetRequest request"
  std::string arguments;     ///< "std::move(request)", "std::move(request.id), ..."
  std::string adapter;       ///< "rpcnet::typed::unary<GreetRequest>"
  std::string registrar;     ///< "register_unary"
};

/// The request of a unary or server-streaming method as the handler takes
/// it: the one parameter, or each packed parameter under its own name.
void request_parameters(const service_def& svc, const method_def& m, handler_signature& sig) {
  if (m.params.empty()) {
    // The empty request message is decoded, and there is nothing to pass on.
    sig.lambda_params = request_type(svc, m);
    return;
  }
  sig.lambda_params = request_type(svc, m) + " request";
  if (!packs_parameters(m)) {
    sig.params = cpp_type(m.params[0].type) + " request";
    sig.arguments = "std::move(request)";
    return;
  }
  for (const auto& p : m.params) {
    sig.params = joined(sig.params, cpp_type(p.type) + " " + p.name);
    sig.arguments = joined(sig.arguments, "std::move(request." + p.name + ")");
  }
}

handler_signature signature_of(const service_def& svc, const method_def& m) {
  auto request = request_type(svc, m);
  auto response = cpp_type(m.response);
  handler_signature sig;
  switch (m.kind) {
    case method_kind::unary:
      request_parameters(svc, m, sig);
      sig.returns = result_type(m);
      sig.adapter = "rpcnet::typed::unary<" + request + ">";
      sig.registrar = "register_unary";
      return sig;
    case method_kind::server_streaming: {
      request_parameters(svc, m, sig);
      auto responses = writer_of(m) + "& responses";
      sig.returns = "caf::error";
      sig.params = joined(sig.params, responses);
      sig.lambda_params = joined(sig.lambda_params, responses);
      sig.arguments = joined(sig.arguments, "responses");
      sig.adapter = "rpcnet::typed::server_streaming<" + request + ", " + response + ">";
      break;
    }
    case method_kind::client_streaming:
      sig = {"caf::expected<" + result_type(m) + ">", reader_of(m) + "& requests", "",
             "requests", "rpcnet::typed::client_streaming<" + request + ">", ""};
      break;
    case method_kind::bidirectional:
      sig = {"caf::error", reader_of(m) + "& requests, " + writer_of(m) + "& responses", "",
             "requests, responses",
             "rpcnet::typed::bidirectional<" + request + ", " + response + ">", ""};
      break;
  }
  if (sig.lambda_params.empty())
    sig.lambda_params = sig.params;
  sig.registrar = "register_streaming";
  return sig;
}

/// What a unary method's actor message holds after its tag: the request,
/// or each packed parameter.
std::string message_elements(const method_def& m) {
  std::string out;
  for (const auto& p : m.params)
    out = joined(out, cpp_type(p.type));
  return out;
}

/// The template arguments of rpcnet::typed::forward_unary after the tag.
std::string forwarding_arguments(const service_def& svc, const method_def& m,
                                 const std::string& actor) {
  auto request = request_type(svc, m);
  auto out = request + ", " + result_type(m) + ", " + actor;
  if (m.params.empty())
    return out + ", rpcnet::typed::no_parameters";
  if (packs_parameters(m))
    for (const auto& p : m.params)
      out += ", &" + request + "::" + p.name;
  return out;
}

class server_emitter {
public:
  server_emitter(const definition& def, const service_def& svc)
    : def_(def),
      svc_(svc),
      scope_(scope_name(def)),
      handler_(svc.name + "Handler"),
      actor_(svc.name + "Actor"),
      context_actor_(svc.name + "ContextActor"),
      server_(svc.name + "Server"),
      tags_(tags_namespace(svc)) {
    std::copy_if(svc.methods.begin(), svc.methods.end(), std::back_inserter(unary_),
                 [](const method_def& m) { return m.kind == method_kind::unary; });
  }

  std::string run() {
    out_.line("#pragma once")
      .line()
      .line("#include <memory>")
      .line("#include <utility>")
      .line()
      .line("#include <caf/actor_system.hpp>")
      .line("#include <caf/error.hpp>")
      .line("#include <caf/expected.hpp>")
      .line("#include <caf/meta/type_name.hpp>")
      .line("#include <caf/typed_actor.hpp>")
      .line()
      .line("#include <rpcnet/actors/call_context.hpp>")
      .line("#include <rpcnet/actors/rpc_config.hpp>")
      .line("#include <rpcnet/actors/rpc_server.hpp>")
      .line("#include <rpcnet/typed/service_server.hpp>")
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
    return banner(def_, handler_ + " to implement, " + actor_ + ", " + context_actor_ + " and "
                          + server_ + " to serve it.")
           + out_.str();
  }

private:
  void handler_interface() {
    out_.doc(svc_.doc, true)
      .line("/// What a " + svc_.name + " service implements. Methods run on the server's")
      .line("/// handler pool, several at once, and may block. Each takes the call's")
      .line("/// context first: the caller's metadata and deadline, the peer, whether the")
      .line("/// call is still wanted, and the trailers of the reply.")
      .open("class " + handler_ + " {")
      .access("public:")
      .line("virtual ~" + handler_ + "() = default;");
    for (const auto& m : svc_.methods) {
      auto sig = signature_of(svc_, m);
      out_.line().doc(m.doc).line("virtual " + sig.returns + " " + m.name
                                  + "(" + joined("rpcnet::call_context& ctx", sig.params)
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
      .line("/// (tag, request) -> result messages, a method of several parameters as")
      .line("/// (tag, parameters...). Streaming methods are served by a " + handler_ + ".");
    typed_actor(actor_, "");
    out_.line("/// " + actor_ + " for actors that read the call's context: each message")
      .line("/// holds it after the tag, (tag, ctx, request...). A call given up on is")
      .line("/// cancelled in the context (cancelled(), on_cancel()), and an answer that")
      .line("/// comes after is dropped.");
    typed_actor(context_actor_, "rpcnet::call_context");
  }

  /// A caf::typed_actor named `name` with a message per unary method: its
  /// tag, then `context` when it is not empty, then the request.
  void typed_actor(const std::string& name, const std::string& context) {
    out_.line("using " + name + " = caf::typed_actor<");
    for (size_t i = 0; i < unary_.size(); ++i) {
      const auto& m = unary_[i];
      auto elements = joined(joined(tags_ + "::" + m.name, context), message_elements(m));
      out_.line("  caf::replies_to<" + elements + ">::with<" + result_type(m) + ">"
                + (i + 1 < unary_.size() ? "," : ">;"));
    }
    out_.line();
  }

  void harness() {
    out_.line("/// Serves a " + handler_ + " (or a " + actor_ + ") over QUIC: one method per")
      .line("/// RPC of the definition, registered on an rpcnet::rpc_server.")
      .line("/// bind(), start(), stop(), local_address() and raw() come from")
      .line("/// rpcnet::typed::service_server.")
      .open("class " + server_ + " : public rpcnet::typed::service_server {")
      .access("public:")
      .open(server_ + "(caf::actor_system& sys, std::shared_ptr<" + handler_
            + "> handler, rpcnet::rpc_config cfg)")
      .line(": service_server(sys, std::move(cfg)) {")
      .line("register_handler(server_, std::move(handler));")
      .close();
    if (!unary_.empty())
      for (const auto& actor : {actor_, context_actor_})
        out_.line()
          .open(server_ + "(caf::actor_system& sys, " + actor
                + " service, rpcnet::rpc_config cfg)")
          .line(": service_server(sys, std::move(cfg)) {")
          .line("register_actor(server_, sys, std::move(service));")
          .close();
    out_.section("registration")
      .line("/// Registers every method of `handler` on `server`.")
      .open("static void register_handler(rpcnet::rpc_server& server, std::shared_ptr<"
            + handler_ + "> handler) {");
    for (const auto& m : svc_.methods) {
      auto sig = signature_of(svc_, m);
      out_.line("server." + sig.registrar + "(" + quoted(m.name) + ", " + sig.adapter + "(")
        .line("  [handler](rpcnet::call_context& ctx, " + sig.lambda_params
              + ") { return handler->" + m.name + "(" + joined("ctx", sig.arguments)
              + "); }));");
    }
    out_.close();
    if (!unary_.empty()) {
      register_actor(actor_, "forward_unary");
      register_actor(context_actor_, "forward_unary_with_context");
    }
    out_.close("};");
  }

  /// register_actor for `actor`, whose calls `forwarder` forwards.
  void register_actor(const std::string& actor, const std::string& forwarder) {
    out_.line()
      .line("/// Routes the unary methods on `server` to `service`.")
      .open("static void register_actor(rpcnet::rpc_server& server, caf::actor_system& sys, "
            + actor + " service) {");
    for (const auto& m : unary_)
      out_.line("server.register_actor(" + quoted(m.name) + ", sys.spawn(rpcnet::typed::"
                + forwarder + "<")
        .line("  " + tags_ + "::" + m.name + ", " + forwarding_arguments(svc_, m, actor)
              + ">, service));");
    out_.close();
  }

  // -- member variables -------------------------------------------------------

  const definition& def_;
  const service_def& svc_;
  std::string scope_;
  std::string handler_;
  std::string actor_;
  std::string context_actor_;
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
