// Tests gossip on real processes under real packet loss. This kernel has no
// netem, so the test makes a network namespace of its own, adds an nftables
// rule there that drops 5 % of the UDP datagrams to the nodes' ports at
// random, and runs five node processes inside it. The host's interfaces
// and rules are never touched; the namespace and its rules go with it.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "child_process.hpp"

using namespace std::chrono_literals;
using rpcnet::test::child_process;

namespace {

constexpr const char* ip_tool = "/usr/sbin/ip";

/// Runs a shell command; its exit status.
int run(const std::string& command) {
  return std::system(command.c_str());
}

/// Output of a shell command.
std::string output_of(const std::string& command) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe{popen(command.c_str(), "r"), pclose};
  if (!pipe)
    return out;
  char buffer[512];
  while (fgets(buffer, sizeof(buffer), pipe.get()) != nullptr)
    out += buffer;
  return out;
}

/// A network namespace with loopback up, deleted when the test ends.
class lossy_namespace {
public:
  lossy_namespace(int loss_percent, int first_port, int last_port)
    : name_("rpcnet-loss-" + std::to_string(getpid())) {
    run(std::string{ip_tool} + " netns del " + name_ + " 2>/dev/null");
    REQUIRE(run(std::string{ip_tool} + " netns add " + name_) == 0);
    created_ = true;
    REQUIRE(run(exec_prefix() + "ip link set lo up") == 0);
    auto rules_path = "/tmp/" + name_ + ".nft";
    {
      std::ofstream rules{rules_path};
      rules << "table inet rpcnet_loss {\n  chain input {\n"
            << "    type filter hook input priority 0; policy accept;\n"
            << "    udp dport " << first_port << "-" << last_port << " numgen random mod 100 < "
            << loss_percent << " counter drop\n  }\n}\n";
    }
    auto loaded = run(exec_prefix() + "nft -f " + rules_path);
    std::remove(rules_path.c_str());
    REQUIRE(loaded == 0);
  }

  ~lossy_namespace() {
    if (created_)
      run(std::string{ip_tool} + " netns del " + name_);
  }

  std::string exec_prefix() const {
    return std::string{ip_tool} + " netns exec " + name_ + " ";
  }

  const std::string& name() const {
    return name_;
  }

  /// Datagrams the rule dropped so far.
  long dropped() const {
    auto listing = output_of(exec_prefix() + "nft list table inet rpcnet_loss");
    auto at = listing.find("packets ");
    return at == std::string::npos ? -1 : std::strtol(listing.c_str() + at + 8, nullptr, 10);
  }

private:
  std::string name_;
  bool created_ = false;
};

} // namespace

TEST_CASE("five processes at 5% packet loss declare no live member failed", "[process][loss]") {
  constexpr int first_port = 47101;
  constexpr int nodes = 5;
  lossy_namespace ns{5, first_port, first_port + nodes - 1};
  std::vector<std::unique_ptr<child_process>> procs;
  auto seed = "127.0.0.1:" + std::to_string(first_port);
  for (int i = 0; i < nodes; ++i) {
    std::vector<std::string> args{"netns", "exec", ns.name(), RPCNET_MEMBERSHIP_NODE, "--bind",
                                  "127.0.0.1:" + std::to_string(first_port + i)};
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
