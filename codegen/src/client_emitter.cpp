#include <rpcnet/codegen/client_emitter.hpp>

#include <rpcnet/codegen/code_writer.hpp>
#include <rpcnet/codegen/cpp_spelling.hpp>

namespace rpcnet::codegen {

namespace {

const std::string opts_param = "const rpcnet::call_options& opts";

/// `params` with one more parameter at the end.
std::string and_param(const std::string& params, const std::string& extra) {
  return params.empty() ? extra : params + ", " + extra;
}

/// One client method: its comment, its signature and the one call it makes.
void forwarding_method(code_writer& out, const std::string& comment,
                       const std::string& signature, const std::string& call) {
  out.line("/// " + comment).open(signature + " const {").line("return " + call + ";").close();
}

/// A client method as forwarding_method writes it, then the same with call
/// options: `name(params)` calls `fn(args)`, `name(params, opts)` calls
/// `fn(args, opts)`.
void with_and_without_options(code_writer& out, const std::string& comment,
                              const std::string& returns, const std::string& name,
                              const std::string& params, const std::string& fn,
                              const std::string& args) {
  forwarding_method(out, comment, returns + " " + name + "(" + params + ")",
                    fn + "(" + args + ")");
  out.line();
  forwarding_method(out,
                    "The same with call options.",
                    returns + " " + name + "(" + and_param(params, opts_param) + ")",
                    fn + "(" + and_param(args, "opts") + ")");
}

/// How a client method takes the request of `m` and what it sends: the
/// request itself, or the struct that packs the parameters.
struct request_spelling {
  std::string params; ///< "const GreetRequest& request"
  std::string value;  ///< "request", "compute_requests::process_task{task_id, data}"
};

request_spelling spell_request(const definition& def, const service_def& svc,
                               const method_def& m) {
  if (!packs_parameters(m))
    return {param_type(m.params.at(0).type, def) + " request", "request"};
  request_spelling out;
  std::string fields;
  for (const auto& p : m.params) {
    out.params = and_param(out.params, param_type(p.type, def) + " " + p.name);
    fields = and_param(fields, p.name);
  }
  out.value = request_type(svc, m) + "{" + fields + "}";
  return out;
}

void method(code_writer& out, const definition& def, const service_def& svc,
            const method_def& m) {
  auto request = request_type(svc, m);
  auto response = cpp_type(m.response);
  auto target = "client_, " + quoted(m.name);
  out.section(m.name).doc(m.doc, true);
  switch (m.kind) {
    case method_kind::unary: {
      auto [params, value] = spell_request(def, svc, m);
      auto result = result_type(m);
      auto reply = "caf::expected<" + result + ">";
      with_and_without_options(out,
                               "Calls " + m.name + " and waits for its result or the call's "
                                 "failure.",
                               reply, m.name, params, "rpcnet::typed::call<" + result + ">",
                               target + ", " + value);
      out.line();
      forwarding_method(out,
                        "Calls " + m.name + " and returns its result with the server's "
                          "trailing metadata.",
                        "caf::expected<rpcnet::typed::reply_with_trailers<" + result + ">> "
                          + m.name + "_with_trailers(" + and_param(params, opts_param + " = {}")
                          + ")",
                        "rpcnet::typed::call_with_trailers<" + result + ">(" + target + ", "
                          + value + ", opts)");
      out.line();
      with_and_without_options(out,
                               "Calls " + m.name + " without blocking; the future receives what "
                                 + m.name + "() returns.",
                               "std::future<" + reply + ">", m.name + "_async", params,
                               "rpcnet::typed::call_async<" + result + ">",
                               target + ", " + value);
      break;
    }
    case method_kind::client_streaming: {
      auto result = result_type(m);
      auto reply = "caf::expected<" + result + ">";
      with_and_without_options(out,
                               "Uploads `requests` as one " + m.name
                                 + " call and waits for its result.",
                               reply, m.name, "const std::vector<" + request + ">& requests",
                               "rpcnet::typed::call_client_streaming<" + result + ">",
                               target + ", requests");
      out.line();
      with_and_without_options(out,
                               "Uploads without blocking; the future receives what " + m.name
                                 + "() returns.",
                               "std::future<" + reply + ">", m.name + "_async",
                               "std::vector<" + request + "> requests",
                               "rpcnet::typed::call_client_streaming_async<" + result + ">",
                               target + ", std::move(requests)");
      break;
    }
    case method_kind::server_streaming: {
      auto [params, value] = spell_request(def, svc, m);
      with_and_without_options(out,
                               "Starts " + m.name + " with its request; next() yields the "
                                 "responses.",
                               "caf::expected<rpcnet::typed::call_stream<" + request + ", "
                                 + response + ">>",
                               m.name, params,
                               "rpcnet::typed::open_server_streaming<" + request + ", "
                                 + response + ">",
                               target + ", " + value);
      break;
    }
    case method_kind::bidirectional:
      with_and_without_options(out,
                               "Opens " + m.name + ": send() requests, finish(), and next() "
                                 "responses.",
                               "caf::expected<rpcnet::typed::call_stream<" + request + ", "
                                 + response + ">>",
                               m.name, "",
                               "rpcnet::typed::open_bidirectional<" + request + ", " + response
                                 + ">",
                               target);
      break;
  }
}

} // namespace

std::string emit_client(const definition& def, const service_def& svc) {
  auto scope = scope_name(def);
  auto cls = svc.name + "Client";
  code_writer out;
  out.line("#pragma once")
    .line()
    .line("#include <future>")
    .line("#include <string>")
    .line("#include <utility>")
    .line("#include <vector>")
    .line()
    .line("#include <caf/actor_system.hpp>")
    .line("#include <caf/expected.hpp>")
    .line()
    .line("#include <rpcnet/actors/call_options.hpp>")
    .line("#include <rpcnet/actors/rpc_client.hpp>")
    .line("#include <rpcnet/actors/rpc_config.hpp>")
    .line("#include <rpcnet/typed/typed_client.hpp>")
    .line()
    .line("#include \"types.hpp\"")
    .line()
    .line("namespace " + scope + " {")
    .line()
    .doc(svc.doc, true)
    .line("/// Calls the " + svc.name + " service. Copies share one connection; calls from")
    .line("/// many threads run in parallel on it. Failures of a call (timeout, lost")
    .line("/// connection, unknown method) are rpcnet errors in the caf::expected; the")
    .line("/// service's own errors are the E of its rpcnet::result<T, E>. Every method")
    .line("/// also takes rpcnet::call_options: the call's timeout, the metadata it")
    .line("/// carries, a key to cancel it by, the call it is made on behalf of.")
    .open("class " + cls + " {")
    .access("public:")
    .open("explicit " + cls + "(rpcnet::rpc_client client) : client_(std::move(client)) {")
    .close()
    .line()
    .line("/// Connects to `server_address` (\"host:port\") and waits for the handshake.")
    .open("static caf::expected<" + cls + "> connect(caf::actor_system& sys, "
          "const std::string& server_address, rpcnet::rpc_config cfg) {")
    .line("auto client = rpcnet::rpc_client::connect(sys, server_address, std::move(cfg));")
    .line("if (!client)")
    .line("  return std::move(client.error());")
    .line("return " + cls + "{std::move(*client)};")
    .close();
  for (const auto& m : svc.methods)
    method(out, def, svc, m);
  out.section("connection");
  out.line("/// The untyped client underneath, for calls by method name.")
    .open("const rpcnet::rpc_client& raw() const noexcept {")
    .line("return client_;")
    .close()
    .line()
    .line("/// Closes the connection; later calls fail with `connection`.")
    .open("void close() {")
    .line("client_.close();")
    .close()
    .line()
    .access("private:")
    .line("rpcnet::rpc_client client_;")
    .close("};")
    .line()
    .line("} // namespace " + scope);
  return banner(def, cls + ": typed calls of the " + svc.name + " service.") + out.str();
}

} // namespace rpcnet::codegen
