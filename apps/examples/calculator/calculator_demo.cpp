// The README's first command: starts the calculator server and a client in
// one process, each with its own UDP socket and transport thread, and calls
// add(21, 21) over QUIC + TLS 1.3 with certificate verification.
#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>

#include "calculator_service.hpp"

int main(int argc, char** argv) {
  CLI::App app{"rpcnet calculator demo: add(21, 21) over QUIC"};
  std::string certs = "certs";
  app.add_option("--certs", certs, "directory with test_cert.pem, test_key.pem and ca.pem");
  CLI11_PARSE(app, argc, argv);

  // snippet-begin: server
  rpcnet::runtime rt;
  auto server_cfg = rpcnet::rpc_config{certs + "/test_cert.pem", "127.0.0.1:0"}
                      .with_key_path(certs + "/test_key.pem");
  rpcnet::rpc_server server{rt.system(), server_cfg};
  calculator::register_methods(server);
  auto addr = server.bind();
  if (!addr) {
    std::cerr << "error: " << rpcnet::describe(addr.error()) << '\n';
    return EXIT_FAILURE;
  }
  if (auto err = server.start()) {
    std::cerr << "error: " << rpcnet::describe(err) << '\n';
    return EXIT_FAILURE;
  }
  std::cout << "server listening on " << addr->to_string() << " (QUIC, ALPN rpcnet/2)\n";
  // snippet-end: server

  // snippet-begin: client
  auto client_cfg = rpcnet::rpc_config{certs + "/test_cert.pem", "127.0.0.1:0"}
                      .with_ca_path(certs + "/ca.pem")
                      .with_server_name("localhost");
  auto client = rpcnet::rpc_client::connect(rt.system(), addr->to_string(), client_cfg);
  if (!client) {
    std::cerr << "error: " << rpcnet::describe(client.error()) << '\n';
    return EXIT_FAILURE;
  }
  std::cout << "client connected from " << client->local_address().to_string()
            << ", server certificate verified against ca.pem\n";
  auto sum = calculator::add(*client, 21, 21);
  if (!sum) {
    std::cerr << "error: " << rpcnet::describe(sum.error()) << '\n';
    return EXIT_FAILURE;
  }
  std::cout << "add(21, 21) = " << *sum << '\n';
  // snippet-end: client
  client->close();
  server.stop();
  return *sum == 42 ? EXIT_SUCCESS : EXIT_FAILURE;
}
