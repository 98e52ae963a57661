// A one-file program for builds without CMake, compiled and linked with
// nothing but `pkg-config --cflags --libs rpcnet` (packaging_test.sh): an
// rpc_server with an "echo" method and an rpc_client calling it over QUIC
// with rpcnet's development certificates.
// Usage: pkg-config-echo CERT_DIR. Exits 0 when the reply is the request.
#include <cstdlib>
#include <iostream>
#include <string>

#include <rpcnet/rpcnet.hpp>

namespace {

int fail(const std::string& what) {
  std::cerr << "pkg-config-echo: FAILED: " << what << '\n';
  return EXIT_FAILURE;
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2)
    return fail("usage: pkg-config-echo CERT_DIR");
  const std::string certs = argv[1];
  rpcnet::runtime rt;
  rpcnet::rpc_server server{rt.system(), rpcnet::rpc_config{certs + "/test_cert.pem", "127.0.0.1:0"}
                                           .with_key_path(certs + "/test_key.pem")};
  server.register_unary("echo", [](rpcnet::byte_buffer request) -> caf::expected<rpcnet::byte_buffer> {
    return request;
  });
  auto addr = server.bind();
  if (!addr)
    return fail("bind: " + rpcnet::describe(addr.error()));
  if (auto err = server.start())
    return fail("start: " + rpcnet::describe(err));
  auto client = rpcnet::rpc_client::connect(rt.system(), addr->to_string(),
                                            rpcnet::rpc_config{certs + "/test_cert.pem", "127.0.0.1:0"}
                                              .with_ca_path(certs + "/ca.pem")
                                              .with_server_name("localhost"));
  if (!client)
    return fail("connect: " + rpcnet::describe(client.error()));
  const std::string text = "hello over pkg-config";
  auto reply = client->call("echo", rpcnet::to_bytes(text));
  if (!reply)
    return fail("call: " + rpcnet::describe(reply.error()));
  if (rpcnet::as_string_view(*reply) != text)
    return fail("echo answered '" + std::string{rpcnet::as_string_view(*reply)} + "', not '" + text
                + "'");
  std::cout << "echo: " << rpcnet::as_string_view(*reply) << '\n';
  client->close();
  server.stop();
  return EXIT_SUCCESS;
}
