// A CLI cluster's gossip is sealed (README.md, "Cluster keys and join
// tokens"), on real processes: the director makes its key and prints the
// join token, the workers join through it and serve, and an attacker's
// unsealed gossip and random datagrams at the director's UDP port are all
// refused, counted (rpcnet stats) and add no member. A worker with a wrong
// token stops with an error. Unsealed gossip needs --insecure-gossip, and
// even then forged gossip adds no member: fields that break the rules are
// refused, members that never answer their pings never join, and a
// stranger's word about a real worker does not count.
#include <catch2/catch.hpp>

#include <optional>
#include <random>

#include <nlohmann/json.hpp>

#include "encoded_gossip.hpp"
#include "eventually.hpp"
#include "join_token.hpp"
#include "plainly_printable.hpp"
#include "rpcnet_processes.hpp"
#include "udp_sender.hpp"

using namespace std::chrono_literals;
using namespace rpcnet;
using namespace rpcnet::test;

namespace {

/// What `rpcnet <command> --node <node> --json` prints, parsed (strictly:
/// bytes that are not UTF-8 fail the test).
nlohmann::json ask_json(const std::string& command, const std::string& node,
                        std::vector<std::string> extra = {}) {
  std::vector<std::string> args{command, "--node", node, "--json", "--certs", RPCNET_CERT_DIR};
  args.insert(args.end(), extra.begin(), extra.end());
  auto proc = run_rpcnet(args);
  REQUIRE(proc->wait_exit(20s) == 0);
  proc->drain();
  REQUIRE(proc->lines().size() == 1);
  nlohmann::json doc;
  REQUIRE_NOTHROW(doc = nlohmann::json::parse(proc->lines()[0]));
  return doc;
}

uint64_t counter(const std::string& node, const char* name) {
  return ask_json("stats", node).at(name).get<uint64_t>();
}

/// The labels of the members `node` knows, tombstones included.
std::vector<std::string> member_labels(const std::string& node) {
  std::vector<std::string> labels;
  auto table = ask_json("members", node, {"--all"});
  for (const auto& m : table.at("members"))
    labels.push_back(m.at("tags").value("label", m.at("tags").value("role", "")));
  return labels;
}

/// Valid, unsealed gossip that announces a member of the forger's making.
std::vector<uint8_t> forged_alive(const std::string& label) {
  node_id forged{0xF0F0F0F0F0F0F0F0u, 1};
  return encoded(gossip::datagram{
    forged, {gossip::alive{forged, 1, "127.0.0.1:9", {{"role", "forged"}, {"label", label}}}}});
}

/// Starts the cluster's director and worker-a and worker-b, joined.
void start_two_workers(test_cluster& cluster) {
  cluster.start_director();
  cluster.start_worker("worker-a");
  cluster.start_worker("worker-b");
  for (auto label : {"worker-a", "worker-b"}) {
    REQUIRE(wait_for_text(cluster.worker(label), "joined cluster with role=worker", 20s));
    REQUIRE(wait_for_text(cluster.director(), std::string{"cluster event joined: "} + label,
                          20s));
  }
}

} // namespace

TEST_CASE("a sealed cluster: workers join through the printed token and serve, and unsealed "
          "and random datagrams at the director are refused, counted, and add no member",
          "[sealed]") {
  test_cluster cluster;
  start_two_workers(cluster);
  CHECK(count_text(cluster.director(), "gossip sealed with AES-256-GCM; cluster key: a new "
                                       "random key")
        == 1);
  CHECK(cluster.token().rfind("rpcnet1.", 0) == 0);
  CHECK(count_text(cluster.worker("worker-a"), "cluster key: the join token") == 1);
  auto client = cluster.client({"--tasks", "20"});
  auto summary = finish_client(*client, 30s);
  CHECK(summary.by_worker["worker-a"] > 0);
  CHECK(summary.by_worker["worker-b"] > 0);

  const auto& director = cluster.director_addr();
  auto refused_before = counter(director, "rejected_unauthenticated");
  udp_sender attacker;
  size_t sent = 0;
  auto attack = [&](const std::vector<uint8_t>& bytes) {
    attacker.send(director, bytes);
    ++sent;
  };
  // Valid gossip that a node without keys takes (the last test case shows
  // it): two new members.
  attack(forged_alive("forged"));
  attack(forged_alive("forged-again"));
  // Random bytes: some with the first byte of unsealed gossip or of any
  // foreign datagram (top bits clear, so the transport hands them to
  // gossip, not QUIC), some posing as sealed (0x28) with no key behind.
  std::mt19937 rng{7};
  for (uint8_t first : {uint8_t{0x27}, uint8_t{0x00}, uint8_t{0x3f}, uint8_t{0x28}})
    for (int i = 0; i < 8; ++i) {
      std::vector<uint8_t> bytes(1 + rng() % 1400);
      for (auto& b : bytes)
        b = static_cast<uint8_t>(rng());
      bytes[0] = first;
      attack(bytes);
    }
  INFO(sent << " datagrams sent; refused before: " << refused_before);
  CHECK(eventually(
    [&] { return counter(director, "rejected_unauthenticated") >= refused_before + sent; },
    30s));
  auto labels = member_labels(director);
  CHECK(labels.size() == 3);
  CHECK(std::count(labels.begin(), labels.end(), "worker-a") == 1);
  CHECK(std::count(labels.begin(), labels.end(), "worker-b") == 1);
  CHECK(std::count(labels.begin(), labels.end(), "director") == 1);
  CHECK(count_text(cluster.director(), "forged") == 0);
  // The cluster did not notice: both workers still serve.
  auto after = cluster.client({"--tasks", "10"});
  auto again = finish_client(*after, 30s);
  CHECK(again.by_worker["worker-a"] > 0);
  CHECK(again.by_worker["worker-b"] > 0);
}

TEST_CASE("a worker with a wrong token, or unsealed, fails to join with a clear error and "
          "exits non-zero",
          "[sealed]") {
  test_cluster cluster;
  cluster.start_director();
  auto token = cli::parse_join_token(cluster.token());
  REQUIRE(token);
  token->key[0] ^= 0x01;
  auto wrong = cli::format_join_token(*token);
  const std::string refused = "rpcnet: error: cannot join through the director at "
                              + cluster.director_addr() + ": ";
  for (const auto& [flags, why] : std::vector<std::pair<std::vector<std::string>, std::string>>{
         {{"--join", wrong},
          "it refuses this worker's datagrams: the cluster key is not the director's (check the "
          "join token, --cluster-key-file or RPCNET_CLUSTER_KEY)"},
         {{"--insecure-gossip", "--director", cluster.director_addr()},
          "its gossip is sealed and refuses this worker's unsealed datagrams "
          "(--insecure-gossip): join with the token the director printed"}}) {
    std::vector<std::string> args{"worker", "--addr", loopback(free_udp_port()), "--certs",
                                  RPCNET_CERT_DIR, "--join-timeout-ms", "500"};
    args.insert(args.end(), flags.begin(), flags.end());
    auto worker = run_rpcnet(args);
    auto status = worker->wait_exit(30s);
    REQUIRE(status);
    CHECK(*status == 1);
    auto error = wait_for_text(*worker, "rpcnet: error:", 0s);
    REQUIRE(error);
    CHECK(*error == refused + why);
    CHECK(count_text(*worker, "joined cluster") == 0);
  }
  CHECK(count_text(cluster.director(), "cluster event joined") == 0);
  CHECK(counter(cluster.director_addr(), "rejected_unauthenticated") >= 2);
}

TEST_CASE("an --insecure-gossip cluster runs unsealed and still takes no forged member: bad "
          "fields are refused as malformed, members that never answer never join, a stranger's "
          "word about a worker does not count, and the registry selects only real workers",
          "[sealed]") {
  test_cluster cluster{cluster_keying::insecure};
  cluster.start_director();
  CHECK(wait_for_text(cluster.director(), "WARN director: gossip is not sealed", 0s));
  CHECK(printed_token(cluster.director()).empty());
  cluster.start_worker("worker-a");
  REQUIRE(wait_for_text(cluster.director(), "cluster event joined: worker-a", 20s));
  const auto& director = cluster.director_addr();
  auto stats_before = ask_json("stats", director);
  std::optional<node_id> worker_id;
  auto members_before = ask_json("members", director);
  for (const auto& m : members_before.at("members"))
    if (m.at("tags").value("label", "") == "worker-a")
      worker_id = node_id::parse(m.at("id").get<std::string>());
  INFO(members_before.dump());
  REQUIRE(worker_id);

  udp_sender attacker;
  // A label that clears the screen, is not UTF-8 and forges a log line:
  // refused whole by the decoder.
  // The encoder refuses to write such a label, so it is patched into the
  // bytes of one of the same length.
  const std::string label{"evil\x1b[2J\xff\n2026-01-01T00:00:00.000Z INFO director: fake"};
  auto bad_label = forged_alive(std::string(label.size(), 'x'));
  std::string wire(bad_label.begin(), bad_label.end());
  auto pos = wire.find(std::string(label.size(), 'x'));
  REQUIRE(pos != std::string::npos);
  std::copy(label.begin(), label.end(), bad_label.begin() + static_cast<std::ptrdiff_t>(pos));
  attacker.send(director, bad_label);
  // A well-formed member that does not exist, announcing itself.
  attacker.send(director, forged_alive("forged"));
  // Twenty workers of the forger's making, and the real worker declared dead.
  gossip::push_pull state;
  for (uint64_t n = 1; n <= 20; ++n)
    state.members.push_back(member{node_id{0xF1F1F1F1F1F1F1F1u, n}, loopback(9),
                                   0, member_state::alive,
                                   {{"role", "worker"}, {"label", "forged-" + std::to_string(n)}}});
  attacker.send(director, encoded(gossip::datagram{node_id{0xF2F2F2F2F2F2F2F2u, 1},
                                                          {state}}));
  attacker.send(director, encoded(gossip::datagram{
                            node_id{0xF3F3F3F3F3F3F3F3u, 1},
                            {gossip::dead{*worker_id, 0, node_id{0xF3F3F3F3F3F3F3F3u, 1}}}}));

  auto counter_rose = [&](const char* name) {
    return eventually([&] {
      return counter(director, name) > stats_before.at(name).get<uint64_t>();
    }, 20s);
  };
  CHECK(counter_rose("rejected_malformed"));
  CHECK(counter_rose("refused_hearsay"));
  // The forged members were pinged at their addresses, never answered and
  // were forgotten.
  CHECK(counter_rose("candidates_expired"));
  CHECK(counter(director, "candidates_verified")
        == stats_before.at("candidates_verified").get<uint64_t>());

  auto labels = member_labels(director);
  CHECK(labels.size() == 2);
  CHECK(std::count(labels.begin(), labels.end(), "worker-a") == 1);
  CHECK(std::count(labels.begin(), labels.end(), "director") == 1);
  // The registry selects only the real worker: every task goes to it.
  auto client = cluster.client({"--tasks", "10"});
  auto summary = finish_client(*client, 30s);
  CHECK(summary.by_worker["worker-a"] == 10);
  CHECK(summary.by_worker.size() == 1);
  cluster.director().drain();
  CHECK(count_text(cluster.director(), "forged") == 0);
  CHECK(count_text(cluster.director(), "cluster event failed") == 0);
  for (const auto& line : cluster.director().lines()) {
    INFO(line);
    CHECK(plainly_printable(line));
  }
}
