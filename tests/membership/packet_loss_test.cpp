// Tests gossip on real processes under real packet loss. This kernel has no
// netem, so the test makes a network namespace of its own, adds an nftables
// rule there that drops 5 % of the UDP datagrams to the nodes' ports at
// random, and runs five node processes inside it. The host's interfaces
// and rules are never touched; the namespace and its rules go with it.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "network_namespace.hpp"

using namespace std::chrono_literals;
using rpcnet::test::child_process;
using rpcnet::test::ip_tool;
using rpcnet::test::network_namespace;

TEST_CASE("five processes at 5% packet loss declare no live member failed", "[process][loss]") {
  constexpr int first_port = 47101;
  constexpr int nodes = 5;
  rpcnet::test::remove_leftover_namespaces("rpcnet-loss-");
  network_namespace ns{"rpcnet-loss-" + std::to_string(getpid())};
  ns.bring_up_loopback();
  ns.add_random_loss({.family = "inet",
                      .hook = "input",
                      .match = "udp dport " + std::to_string(first_port) + "-"
                               + std::to_string(first_port + nodes - 1),
                      .percent = 5});
  std::vector<std::unique_ptr<child_process>> procs;
  auto seed = "127.0.0.1:" + std::to_string(first_port);
  for (int i = 0; i < nodes; ++i) {
    auto args = ns.exec_args(
      {RPCNET_MEMBERSHIP_NODE, "--bind", "127.0.0.1:" + std::to_string(first_port + i)});
    if (i > 0) {
      args.push_back("--seed");
      args.push_back(seed);
    }
    procs.push_back(std::make_unique<child_process>(ip_tool, args));
    REQUIRE(procs.back()->wait_for_prefix("ready ", 10s));
  }
  for (int i = 1; i < nodes; ++i)
    REQUIRE(procs[static_cast<size_t>(i)]->wait_for_prefix("join-ok", 15s));
  // A quiet minute: every failure event would be a false failure.
  auto run_for = 60s;
  auto failed = procs[0]->wait_for_prefix("event failed", run_for);
  size_t failures = failed ? 1 : 0;
  size_t suspicions = 0;
  for (auto& p : procs) {
    p->drain();
    for (const auto& line : p->lines()) {
      if (line.rfind("event failed", 0) == 0 && p != procs[0])
        ++failures;
      if (line.rfind("event suspect", 0) == 0)
        ++suspicions;
    }
  }
  auto dropped = ns.dropped();
  std::cout << "5% loss, 5 processes, 60 s: " << failures << " false failures, " << suspicions
            << " suspect events, " << dropped << " datagrams dropped by the rule\n";
  CHECK(dropped > 0);
  CHECK(failures == 0);
  // Still one cluster: the last node knows all the others alive.
  procs.back()->send_line("members");
  REQUIRE(procs.back()->wait_for_prefix("end-members", 5s));
  size_t alive = 0;
  for (const auto& line : procs.back()->lines())
    if (line.rfind("member ", 0) == 0 && line.find(" alive ") != std::string::npos)
      ++alive;
  CHECK(alive == nodes);
}
