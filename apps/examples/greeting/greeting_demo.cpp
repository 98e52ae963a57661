// The Rust RpcNet's getting-started, in one process: a Greeting server and a
// GreetingClient, both generated at build time from greeting.rpc.hpp by
// rpcnet_generate(), greet "World" over QUIC + TLS 1.3 and print the reply.
#include <cstdlib>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include <rpcnet/rpcnet.hpp>

// snippet-begin: include
#include "greeting/greeting.hpp"
// snippet-end: include

namespace {

// snippet-begin: handler
class greeting_service : public greeting::GreetingHandler {
public:
  rpcnet::result<greeting::GreetResponse, greeting::GreetingError>
  greet(rpcnet::call_context&, greeting::GreetRequest request) override {
    if (request.name.empty())
      return greeting::GreetingError{greeting::GreetingError::EmptyName{}};
    return greeting::GreetResponse{"Hello, " + request.name + "!"};
  }
};
// snippet-end: handler

int fail(const caf::error& err) {
  std::cerr << "error: " << rpcnet::describe(err) << '\n';
  return EXIT_FAILURE;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"rpcnet greeting demo: the generated Greeting service over QUIC"};
  std::string certs = "certs";
  std::string name = "World";
  app.add_option("--certs", certs, "directory with test_cert.pem, test_key.pem and ca.pem");
  app.add_option("--name", name, "who to greet");
  CLI11_PARSE(app, argc, argv);

  rpcnet::runtime rt;
  // snippet-begin: server
  auto server_cfg = rpcnet::rpc_config{certs + "/test_cert.pem", "127.0.0.1:0"}
                      .with_key_path(certs + "/test_key.pem");
  greeting::GreetingServer server{rt.system(), std::make_shared<greeting_service>(), server_cfg};
  auto addr = server.bind();
  if (!addr)
    return fail(addr.error());
  if (auto err = server.start())
    return fail(err);
  // snippet-end: server

  // snippet-begin: client
  auto client_cfg = rpcnet::rpc_config{certs + "/test_cert.pem", "127.0.0.1:0"}
                      .with_ca_path(certs + "/ca.pem")
                      .with_server_name("localhost");
  auto client = greeting::GreetingClient::connect(rt.system(), addr->to_string(), client_cfg);
  if (!client)
    return fail(client.error());
  auto reply = client->greet(greeting::GreetRequest{name});
  if (!reply)
    return fail(reply.error()); // the call failed: timeout, connection, ...
  if (!*reply) {
    std::cout << "Server refused: " << (reply->error().is<greeting::GreetingError::EmptyName>()
                                          ? "empty name"
                                          : "invalid input")
              << '\n';
    return EXIT_FAILURE;
  }
  std::cout << (*reply)->message << '\n';
  // snippet-end: client
  client->close();
  server.stop();
  return EXIT_SUCCESS;
}
