// rpcnet-cluster-worker: a worker in a process of its own for the failover
// test -- an RPC server answering "whoami" with its label, and a cluster
// member on the same port tagged role=worker and label=<label>. Prints
// "ready <id> <address>", then "join-ok" or "join-error <why>"; runs until
// killed or its stdin closes.
//
// Flags: --bind host:port, --seed host:port, --label name, --certs dir.
#include <iostream>
#include <string>

#include <rpcnet/cluster/cluster_node.hpp>
#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/membership/cluster_membership.hpp>
#include <rpcnet/transport/error.hpp>

using namespace rpcnet;

int main(int argc, char** argv) {
  std::string bind = "127.0.0.1:0";
  std::string seed;
  std::string label = "worker";
  std::string certs = "certs";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    std::string value = argv[i + 1];
    if (flag == "--bind")
      bind = value;
    else if (flag == "--seed")
      seed = value;
    else if (flag == "--label")
      label = value;
    else if (flag == "--certs")
      certs = value;
    else {
      std::cerr << "rpcnet-cluster-worker: unknown flag " << flag << "\n";
      return 2;
    }
  }
  runtime rt;
  auto node = cluster_node::open(
    rt.system(),
    rpc_config{certs + "/test_cert.pem", bind}.with_key_path(certs + "/test_key.pem"),
    cluster_config{}.with_tag("role", "worker").with_tag("label", label));
  if (!node) {
    std::cerr << "rpcnet-cluster-worker: " << describe(node.error()) << "\n";
    return 1;
  }
  auto& cluster = (*node)->cluster();
  (*node)->server().register_unary("whoami", [label](byte_buffer) {
    return caf::expected<byte_buffer>{to_bytes(label)};
  });
  if (auto err = (*node)->start()) {
    std::cerr << "rpcnet-cluster-worker: " << describe(err) << "\n";
    return 1;
  }
  auto self = cluster.local_member();
  std::cout << "ready " << self.id.to_string() << " " << self.address << std::endl;
  if (!seed.empty()) {
    if (auto err = cluster.join({seed}))
      std::cout << "join-error " << message_of(err) << std::endl;
    else
      std::cout << "join-ok" << std::endl;
  }
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  (*node)->shutdown(std::chrono::seconds{1});
  return 0;
}
