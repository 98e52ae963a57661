#include <rpcnet/codegen/client_emitter.hpp>

#include <rpcnet/codegen/code_writer.hpp>
#include <rpcnet/codegen/cpp_spelling.hpp>

namespace rpcnet::codegen {

namespace {

/// One client method: its comment, its signature and the one call it makes.
void forwarding_method(code_writer& out, const std::string& comment,
                       const std::string& signature, const std::string& call) {
  out.line("/// " + comment).open(signature + " const {").line("return " + call + ";").close();
}

void method(code_writer& out, const method_def& m) {
  auto request = cpp_type(m.request);
  auto response = cpp_type(m.response);
  auto method_name = quoted(m.name);
  out.section(m.name).doc(m.doc, true);
  switch (m.kind) {
    case method_kind::unary: {
      auto reply = "caf::expected<" + result_type(m) + ">";
      forwarding_method(out,
                        "Calls " + m.name + " and waits for its result or the call's failure.",
                        reply + " " + m.name + "(const " + request + "& request)",
                        "rpcnet::typed::call<" + result_type(m) + ">(client_, " + method_name
                          + ", request)");
      out.line();
      forwarding_method(out,
                        "Calls " + m.name + " without blocking; the future receives what "
                          + m.name + "() returns.",
                        "std::future<" + reply + "> " + m.name + "_async(const " + request
                          + "& request)",
                        "rpcnet::typed::call_async<" + result_type(m) + ">(client_, "
                          + method_name + ", request)");
      break;
    }
    case method_kind::client_streaming: {
      auto reply = "caf::expected<" + result_type(m) + ">";
      forwarding_method(out,
                        "Uploads `requests` as one " + m.name + " call and waits for its result.",
                        reply + " " + m.name + "(const std::vector<" + request + ">& requests)",
                        "rpcnet::typed::call_client_streaming<" + result_type(m) + ">(client_, "
                          + method_name + ", requests)");
      out.line();
      forwarding_method(out,
                        "Uploads without blocking; the future receives what " + m.name
                          + "() returns.",
                        "std::future<" + reply + "> " + m.name + "_async(std::vector<" + request
                          + "> requests)",
                        "rpcnet::typed::call_client_streaming_async<" + result_type(m)
                          + ">(client_, " + method_name + ", std::move(requests))");
      break;
    }
    case method_kind::server_streaming:
      forwarding_method(out,
                        "Starts " + m.name + " with its request; next() yields the responses.",
                        "caf::expected<rpcnet::typed::call_stream<" + request + ", " + response
                          + ">> " + m.name + "(const " + request + "& request)",
                        "rpcnet::typed::open_server_streaming<" + request + ", " + response
                          + ">(client_, " + method_name + ", request)");
      break;
    case method_kind::bidirectional:
      forwarding_method(out,
                        "Opens " + m.name + ": send() requests, finish(), and next() responses.",
                        "caf::expected<rpcnet::typed::call_stream<" + request + ", " + response
                          + ">> " + m.name + "()",
                        "rpcnet::typed::open_bidirectional<" + request + ", " + response
                          + ">(client_, " + method_name + ")");
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
    .line("/// service's own errors are the E of its rpcnet::result<T, E>.")
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
    method(out, m);
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
