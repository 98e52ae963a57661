// Tests cluster membership on real processes and real UDP on loopback: five
// rpcnet-membership-node processes join through one seed, gossip tags, see
// a kill -9, a graceful leave and a restart, each within the bound the
// issue sets for the default configuration. Times are printed.
#include <catch2/catch.hpp>

#include <iostream>
#include <memory>
#include <sstream>

#include "child_process.hpp"

using namespace std::chrono_literals;
using rpcnet::test::child_process;

namespace {

/// One node process and what it said about itself.
struct node {
  std::unique_ptr<child_process> proc;
  std::string id;
  std::string address;
};

/// The fields of an "event <kind> <id> ..." line.
struct event_line {
  std::string kind;
  std::string id;
  std::string rest;
};

std::optional<event_line> parse_event(const std::string& line) {
  std::istringstream in{line};
  std::string word;
  event_line ev;
  if (!(in >> word) || word != "event" || !(in >> ev.kind >> ev.id))
    return std::nullopt;
  std::getline(in, ev.rest);
  return ev;
}

/// Waits for `n`'s next event of `kind` about `id`.
bool await_event(node& n, const std::string& kind, const std::string& id,
                 std::chrono::milliseconds timeout) {
  auto line = n.proc->wait_for(
    [&](const std::string& l) {
      auto ev = parse_event(l);
      return ev && ev->kind == kind && ev->id == id;
    },
    timeout);
  return line.has_value();
}

node start_node(std::vector<std::string> args) {
  node n;
  n.proc = std::make_unique<child_process>(RPCNET_MEMBERSHIP_NODE, std::move(args));
  auto ready = n.proc->wait_for_prefix("ready ", 10s);
  REQUIRE(ready);
  std::istringstream in{*ready};
  std::string word;
  in >> word >> n.id >> n.address;
  return n;
}

/// Five nodes joined through the first, each having seen the other four.
struct five_node_cluster {
  std::vector<node> nodes;

  five_node_cluster() {
    nodes.push_back(start_node({"--bind", "127.0.0.1:0", "--tag", "role=seed"}));
    for (int i = 1; i < 5; ++i)
      nodes.push_back(start_node({"--bind", "127.0.0.1:0", "--seed", nodes[0].address,
                                  "--tag", "role=worker", "--tag",
                                  "label=worker-" + std::to_string(i)}));
    for (auto& n : nodes)
      if (&n != &nodes[0])
        REQUIRE(n.proc->wait_for_prefix("join-ok", 10s));
    for (auto& n : nodes)
      for (auto& other : nodes)
        if (&n != &other)
          REQUIRE(await_event(n, "joined", other.id, 10s));
  }
};

double seconds_since(child_process::clock::time_point start) {
  return std::chrono::duration<double>(child_process::clock::now() - start).count();
}

} // namespace

TEST_CASE("five processes join through one seed and every member sees every other with "
          "its tags",
          "[process]") {
  five_node_cluster cluster;
  auto& seed = cluster.nodes[0];
  seed.proc->send_line("members");
  auto end = seed.proc->wait_for_prefix("end-members", 5s);
  REQUIRE(end);
  size_t alive_workers = 0;
  for (const auto& line : seed.proc->lines())
    if (line.rfind("member ", 0) == 0 && line.find(" alive ") != std::string::npos
        && line.find("role=worker") != std::string::npos)
      ++alive_workers;
  CHECK(alive_workers == 4);
}

TEST_CASE("a tag set on one process reaches every other as NodeUpdated", "[process]") {
  five_node_cluster cluster;
  auto& changed = cluster.nodes[2];
  auto start = child_process::clock::now();
  changed.proc->send_line("tag zone eu-west");
  REQUIRE(changed.proc->wait_for_prefix("tag-ok", 5s));
  for (auto& n : cluster.nodes) {
    if (&n == &changed)
      continue;
    auto line = n.proc->wait_for(
      [&](const std::string& l) {
        auto ev = parse_event(l);
        return ev && ev->kind == "updated" && ev->id == changed.id
               && ev->rest.find("zone=eu-west") != std::string::npos;
      },
      5s);
    CHECK(line);
  }
  std::cout << "tag known to all after " << seconds_since(start) << " s\n";
}

TEST_CASE("kill -9 of one process is NodeFailed at every other within 6 s", "[process]") {
  five_node_cluster cluster;
  auto& victim = cluster.nodes[3];
  auto start = child_process::clock::now();
  victim.proc->kill(SIGKILL);
  // Wait longer than the bound so that a miss still reports its figure.
  double slowest = 0;
  for (auto& n : cluster.nodes) {
    if (&n == &victim)
      continue;
    REQUIRE(await_event(n, "failed", victim.id, 20s));
    slowest = std::max(slowest, seconds_since(start));
  }
  std::cout << "kill -9 known failed by all after " << slowest << " s (bound 6 s)\n";
  CHECK(slowest <= 6.0);
}

TEST_CASE("a graceful leave is NodeLeft at every other within 1 s", "[process]") {
  five_node_cluster cluster;
  auto& leaver = cluster.nodes[4];
  auto start = child_process::clock::now();
  leaver.proc->send_line("leave");
  for (auto& n : cluster.nodes) {
    if (&n == &leaver)
      continue;
    auto left = 1s - std::chrono::duration_cast<std::chrono::milliseconds>(
                       child_process::clock::now() - start);
    CHECK(await_event(n, "left", leaver.id, std::max(left, std::chrono::milliseconds{1})));
  }
  std::cout << "leave known to all after " << seconds_since(start) << " s (bound 1 s)\n";
  REQUIRE(leaver.proc->wait_for_prefix("left", 5s));
}

TEST_CASE("a killed process restarted at its address is NodeJoined again everywhere",
          "[process]") {
  five_node_cluster cluster;
  auto& victim = cluster.nodes[1];
  auto address = victim.address;
  auto old_id = victim.id;
  victim.proc->kill(SIGKILL);
  for (auto& n : cluster.nodes)
    if (&n != &victim)
      REQUIRE(await_event(n, "failed", old_id, 15s));
  victim = start_node({"--bind", address, "--seed", cluster.nodes[0].address});
  REQUIRE(victim.proc->wait_for_prefix("join-ok", 10s));
  CHECK(victim.id != old_id);
  for (auto& n : cluster.nodes)
    if (&n != &victim)
      CHECK(await_event(n, "joined", victim.id, 10s));
}

TEST_CASE("a node whose seed never answers reports a clear join error", "[process]") {
  // A bound socket that never answers: the seed is there but silent.
  auto silent = start_node({"--bind", "127.0.0.1:0", "--key", "AAAAAAAAAAAAAAAAAAAAAA=="});
  auto lone = start_node({"--bind", "127.0.0.1:0", "--seed", silent.address,
                          "--join-timeout-ms", "1500"});
  auto error = lone.proc->wait_for_prefix("join-", 10s);
  REQUIRE(error);
  CHECK(error->rfind("join-error", 0) == 0);
  CHECK(error->find("no seed answered") != std::string::npos);
  CHECK(error->find(silent.address) != std::string::npos);
}
