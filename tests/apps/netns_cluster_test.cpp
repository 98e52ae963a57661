// The cluster on separate network stacks: two directors, three workers and
// a client, each `rpcnet` process in a network namespace of its own, joined
// by a bridge in an eighth namespace (tests/support/network_namespace.hpp)
// on 10.77.0.0/24, with no loopback between them. Every node binds
// 0.0.0.0 and advertises its bridge address; gossip is sealed with one key
// file. An nftables rule on the bridge drops 5 % of the UDP datagrams
// between nodes at random, QUIC and gossip alike; another in each node's
// namespace drops the ICMP port unreachables its kernel would send for a
// dead process (see silent_closed_ports). While the client runs
// tasks for a minute, the director it uses and then a worker are killed
// with SIGKILL, and the worker is restarted at its address. The test
// proves that every task completes once, that no live member is declared
// failed, that nothing crossing the bridge carries a label or a tag in
// clear, and how soon the client's task stream resumes after each kill.
//
// Its own program (not a Catch case among others) so that it can be
// skipped: without root or network namespaces it prints "skipped: <why>"
// and exits 77, which CTest reports as skipped.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include <rpcnet/transport/aead_keyring.hpp>

#include "gossip_codec.hpp"
#include "network_namespace.hpp"
#include "rpcnet_processes.hpp"

using namespace std::chrono_literals;
using namespace rpcnet::test;

namespace {

using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;

const std::string certs = RPCNET_CERT_DIR;
/// Every namespace of a run is named PREFIX<pid>-<node>.
const std::string namespace_prefix = "rpcnet-nc-";
const std::string subnet = "10.77.0";
const std::string director_port = "61000";
const std::string worker_port = "62001";
const std::string completed_marker = "client: task ";

/// A node's namespace that answers nothing for a closed port: without it
/// the kernel of a killed process's namespace answers every datagram sent
/// to it with an ICMP port unreachable, and the peers give up on it at
/// once. With it a killed process is as silent as a host that vanished or
/// a firewall that drops, and the client has to rely on its hedge
/// (--hedge-after-ms) and call timeout (--call-timeout-ms): what the
/// bounds below are made of. RPCNET_NETNS_ICMP=1 in the environment keeps
/// the kernel's answers, to compare.
const std::string silent_closed_ports = "table inet rpcnet_silent {\n"
                                        "  chain out {\n"
                                        "    type filter hook output priority 0; policy accept;\n"
                                        "    icmp type destination-unreachable counter drop\n"
                                        "  }\n"
                                        "}\n";

/// The bounds on how long the task stream may stall after a kill: the
/// hedge (500 ms) with room, and the call timeout (2000 ms) of the call to
/// the dead director plus a connection to the other one.
constexpr milliseconds worker_kill_bound{1000};
constexpr milliseconds director_kill_bound{3000};
/// How long after a kill the stream is watched for its longest stall.
constexpr milliseconds resume_window{6000};

double ms_between(clock_type::time_point from, clock_type::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

bool is_completion(const std::string& line) {
  auto at = line.find(completed_marker);
  return at != std::string::npos && line.find(" completed by ", at) != std::string::npos;
}

/// What follows `marker` in `line` up to the next space.
std::string word_after(const std::string& line, const std::string& marker) {
  auto at = line.find(marker);
  if (at == std::string::npos)
    return {};
  at += marker.size();
  return line.substr(at, line.find(' ', at) - at);
}

/// A cluster event line, "... cluster event KIND: LABEL ID at ADDRESS"
/// (LABEL may be "(no label)").
struct cluster_event {
  size_t line = 0;
  std::string kind;
  std::string label;
  std::string id;
  std::string address;
};

std::vector<cluster_event> events_of(const child_process& proc, const std::string& kind) {
  std::vector<cluster_event> events;
  const std::string marker = "cluster event " + kind + ": ";
  const auto& lines = proc.lines();
  for (size_t i = 0; i < lines.size(); ++i) {
    auto at = lines[i].find(marker);
    if (at == std::string::npos)
      continue;
    auto rest = lines[i].substr(at + marker.size());
    auto where = rest.rfind(" at ");
    if (where == std::string::npos)
      continue;
    cluster_event ev{i, kind, {}, {}, rest.substr(where + 4)};
    auto subject = rest.substr(0, where);
    auto space = subject.rfind(' ');
    ev.id = space == std::string::npos ? subject : subject.substr(space + 1);
    ev.label = space == std::string::npos ? std::string{} : subject.substr(0, space);
    events.push_back(std::move(ev));
  }
  return events;
}

/// The processes of the run, read all the time: the client's lines are
/// stamped as they arrive, and no process blocks on a full pipe.
class cluster_processes {
public:
  explicit cluster_processes(bridged_network& net) : net_(net) {}

  /// `rpcnet <args>` in node `node`'s namespace, stdout and stderr read
  /// back; replaces the node's earlier process.
  child_process& start(const std::string& node, std::vector<std::string> args) {
    std::vector<std::string> command{"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1", rpcnet_cli};
    command.insert(command.end(), args.begin(), args.end());
    auto& slot = procs_[node];
    slot = std::make_unique<child_process>(ip_tool, net_.node(node).exec_args(command));
    if (node == "c")
      stamps_.clear();
    return *slot;
  }

  child_process& operator[](const std::string& node) {
    return *procs_.at(node);
  }

  /// Reads every process until `done` holds or `timeout` passes; whether
  /// `done` held.
  bool pump_until(const std::function<bool()>& done, milliseconds timeout) {
    auto deadline = clock_type::now() + timeout;
    auto drained = clock_type::time_point{};
    for (;;) {
      if (done())
        return true;
      auto now = clock_type::now();
      if (now >= deadline)
        return false;
      if (now - drained >= 50ms) {
        for (auto& [node, proc] : procs_)
          if (node != "c")
            proc->drain();
        drained = now;
      }
      auto client = procs_.find("c");
      if (client == procs_.end()) {
        std::this_thread::sleep_for(10ms);
        continue;
      }
      // Returns at the first new line (or at end of file, at once).
      auto& c = *client->second;
      auto got = c.wait_for([](const std::string&) { return true; }, 10ms, c.lines().size());
      stamp();
      if (!got)
        std::this_thread::sleep_until(now + 10ms);
    }
  }

  void pump_for(milliseconds how_long) {
    pump_until([] { return false; }, how_long);
  }

  void pump_until_time(clock_type::time_point when) {
    pump_for(std::chrono::duration_cast<milliseconds>(when - clock_type::now()));
  }

  /// The client's completed tasks so far (without reading more).
  size_t completions() {
    const auto& lines = (*this)["c"].lines();
    return static_cast<size_t>(std::count_if(lines.begin(), lines.end(), is_completion));
  }

  /// Waits (reading everything) for a line of `node` containing `text`
  /// from line `from` on; the line.
  std::optional<std::string> wait_for_line(const std::string& node, const std::string& text,
                                           milliseconds timeout, size_t from = 0) {
    std::optional<std::string> found;
    auto& proc = (*this)[node];
    pump_until(
      [&] {
        const auto& lines = proc.lines();
        for (size_t i = from; i < lines.size(); ++i)
          if (lines[i].find(text) != std::string::npos) {
            found = lines[i];
            return true;
          }
        return false;
      },
      timeout);
    return found;
  }

  /// When each client line arrived.
  const std::vector<clock_type::time_point>& client_stamps() {
    stamp();
    return stamps_;
  }

private:
  void stamp() {
    auto client = procs_.find("c");
    if (client == procs_.end())
      return;
    auto now = clock_type::now();
    while (stamps_.size() < client->second->lines().size())
      stamps_.push_back(now);
  }

  bridged_network& net_;
  std::map<std::string, std::unique_ptr<child_process>> procs_;
  std::vector<clock_type::time_point> stamps_;
};

/// How the client's task stream went on after a kill: the time to the
/// first completion after it, and the longest time without one from the
/// kill through the window after it (what a stall is).
struct resumption {
  double next_ms = 0;
  double longest_gap_ms = 0;
  size_t completions = 0;
};

/// The client's lines other than completions in the window after a kill
/// (its warnings: how it noticed and moved on), at most `most`.
std::string client_said_after(cluster_processes& procs, size_t from_line,
                              clock_type::time_point killed, size_t most = 8) {
  const auto& lines = procs["c"].lines();
  const auto& stamps = procs.client_stamps();
  std::string said;
  size_t shown = 0;
  for (size_t i = from_line; i < lines.size() && i < stamps.size() && shown < most; ++i) {
    if (is_completion(lines[i]) || stamps[i] > killed + resume_window)
      continue;
    said += "  +" + std::to_string(static_cast<long>(ms_between(killed, stamps[i]))) + " ms: "
            + lines[i] + "\n";
    ++shown;
  }
  return said;
}

resumption resumption_after(cluster_processes& procs, size_t from_line,
                            clock_type::time_point killed) {
  const auto& lines = procs["c"].lines();
  const auto& stamps = procs.client_stamps();
  resumption r;
  auto last = killed;
  auto end = killed + resume_window;
  for (size_t i = from_line; i < lines.size() && i < stamps.size(); ++i) {
    if (!is_completion(lines[i]) || stamps[i] > end)
      continue;
    if (r.completions++ == 0)
      r.next_ms = ms_between(killed, stamps[i]);
    r.longest_gap_ms = std::max(r.longest_gap_ms, ms_between(last, stamps[i]));
    last = stamps[i];
  }
  if (r.completions == 0)
    r.next_ms = ms_between(killed, end);
  // A stream that stopped before the window's end stalls till then.
  r.longest_gap_ms = std::max(r.longest_gap_ms, ms_between(last, end));
  return r;
}

/// Kills `node` with SIGKILL once every line so far is read: the client's
/// lines after the returned index came after the kill.
std::pair<size_t, clock_type::time_point> kill_node(cluster_processes& procs,
                                                    const std::string& node) {
  procs["c"].drain();
  auto from = procs.client_stamps().size();
  auto at = clock_type::now();
  procs[node].kill(SIGKILL);
  return {from, at};
}

/// The gossip and QUIC datagrams a capture saw, sorted by what they are.
struct capture_summary {
  size_t datagrams = 0;
  size_t sealed_gossip = 0;
  size_t plain_gossip = 0;
  size_t quic = 0;
  size_t fragments = 0;
  std::vector<std::string> in_clear;
  /// What the unsealed gossip datagrams were.
  std::vector<std::string> unsealed;
};

/// "10.77.0.1:61000 -> 10.77.0.2:61000, 57 bytes: 27 02 ..."
std::string describe(const captured_datagram& dg) {
  std::string text = dg.source + ":" + std::to_string(dg.source_port) + " -> " + dg.destination
                     + ":" + std::to_string(dg.destination_port) + ", "
                     + std::to_string(dg.payload.size()) + " bytes:";
  static const char* hex = "0123456789abcdef";
  for (size_t i = 0; i < dg.payload.size() && i < 24; ++i) {
    auto b = static_cast<uint8_t>(dg.payload[i]);
    text += ' ';
    text += hex[b >> 4];
    text += hex[b & 15];
  }
  return text;
}

capture_summary summarise(const std::vector<captured_datagram>& seen,
                          const std::vector<std::string>& secrets) {
  capture_summary s;
  for (const auto& dg : seen) {
    ++s.datagrams;
    if (dg.source_port == 0 && dg.destination_port == 0) {
      ++s.fragments;
    } else if (!dg.payload.empty()) {
      // Gossip's first two bytes are its magic and version, sealed or
      // not. QUIC's first byte has the fixed bit 0x40 set, or cleared at
      // random once the peers agreed on grease_quic_bit (RFC 9287), which
      // ngtcp2 0.12 always advertises: what is not gossip is QUIC.
      auto first = static_cast<uint8_t>(dg.payload[0]);
      auto second = dg.payload.size() > 1 ? static_cast<uint8_t>(dg.payload[1]) : uint8_t{0};
      if (first == rpcnet::aead_keyring::envelope_magic
          && second == rpcnet::aead_keyring::envelope_version) {
        ++s.sealed_gossip;
      } else if (first == rpcnet::gossip::magic && second == rpcnet::gossip::version) {
        ++s.plain_gossip;
        s.unsealed.push_back(describe(dg));
      } else {
        ++s.quic;
      }
    }
    for (const auto& secret : secrets)
      if (dg.payload.find(secret) != std::string::npos)
        s.in_clear.push_back("'" + secret + "' in " + describe(dg));
  }
  return s;
}

} // namespace

TEST_CASE("two directors three workers and a client in network namespaces at 5% loss survive "
          "a director and a worker killed",
          "[netns][deploy]") {
  remove_leftover_namespaces(namespace_prefix);
  temp_dir dir;
  auto key = dir.file("cluster.key");
  REQUIRE(run_rpcnet({"keygen", "--out", key})->wait_exit(10s) == 0);

  // -- the network ------------------------------------------------------------
  bridged_network net{namespace_prefix + std::to_string(getpid()) + "-", subnet};
  const std::map<std::string, int> hosts{{"d1", 1},  {"d2", 2},  {"w1", 11},
                                         {"w2", 12}, {"w3", 13}, {"c", 100}};
  for (const auto& [node, host] : hosts)
    net.add_node(node, host);
  const bool silent = std::getenv("RPCNET_NETNS_ICMP") == nullptr;
  if (silent)
    for (const auto& [node, host] : hosts)
      net.node(node).load_nft(silent_closed_ports);
  random_loss loss{.family = "bridge", .hook = "forward", .match = "meta l4proto udp",
                   .percent = 5};
  net.bridge().add_random_loss(loss);
  auto director_address = [&](const std::string& node) {
    return net.address_of(node) + ":" + director_port;
  };
  const auto directors = director_address("d1") + "," + director_address("d2");

  // Declared after the network: the processes are killed before the
  // namespaces go.
  cluster_processes procs{net};
  std::vector<std::string> sealed{"--certs", certs, "--cluster-key-file", key};
  auto node_args = [&](std::vector<std::string> args, const std::string& node,
                       const std::string& port) {
    args.insert(args.end(), {"--bind", "0.0.0.0:" + port, "--advertise", net.address_of(node)});
    args.insert(args.end(), sealed.begin(), sealed.end());
    return args;
  };
  auto worker_args = [&](int k) {
    auto node = "w" + std::to_string(k);
    return node_args({"worker", "--label", "worker-" + std::to_string(k), "--director", directors,
                      "--work-ms", "20", "--token-interval-ms", "20", "--join-timeout-ms", "500"},
                     node, worker_port);
  };

  // -- the cluster, its gossip captured on the bridge ---------------------------
  procs.start("d1", node_args({"director", "--pool-interval", "0.5"}, "d1", director_port));
  REQUIRE(procs.wait_for_line("d1", "director ready", 10s));
  auto d1_id = procs.wait_for_line("d1", "director registered itself in cluster as ", 0ms);
  REQUIRE(d1_id);
  std::map<std::string, std::string> director_ids{
    {"d1", word_after(*d1_id, "director registered itself in cluster as ")}};
  // From before the second director and the workers join: what they
  // announce of themselves, tags included, crosses the bridge then.
  auto capture = std::make_unique<udp_capture>(net.bridge().name());
  auto capture_started = clock_type::now();
  procs.start("d2", node_args({"director", "--pool-interval", "0.5", "--join",
                               director_address("d1")},
                              "d2", director_port));
  REQUIRE(procs.wait_for_line("d2", "joined the cluster through " + director_address("d1"), 15s));
  auto d2_id = procs.wait_for_line("d2", "director registered itself in cluster as ", 0ms);
  REQUIRE(d2_id);
  director_ids["d2"] = word_after(*d2_id, "director registered itself in cluster as ");
  for (int k = 1; k <= 3; ++k)
    procs.start("w" + std::to_string(k), worker_args(k));
  REQUIRE(procs.wait_for_line("d1", "worker pool status: 3 workers available", 20s));
  REQUIRE(procs.wait_for_line("d2", "worker pool status: 3 workers available", 20s));
  procs.pump_for(3s);
  auto captured = capture->stop();
  auto capture_seconds = ms_between(capture_started, clock_type::now()) / 1000;
  capture.reset();
  auto traffic = summarise(captured, {"worker-", "role", "director"});
  std::cout << "bridge capture, " << capture_seconds << " s: " << traffic.datagrams
            << " datagrams (" << traffic.sealed_gossip << " sealed gossip, " << traffic.quic
            << " QUIC, " << traffic.plain_gossip << " unsealed gossip, " << traffic.fragments
            << " fragments), " << traffic.in_clear.size() << " with a label or tag in clear\n";
  for (const auto& what : traffic.in_clear)
    std::cout << "  in clear: " << what << "\n";
  for (const auto& what : traffic.unsealed)
    std::cout << "  unsealed gossip: " << what << "\n";
  CHECK(traffic.sealed_gossip > 0); // or the check below proves nothing
  CHECK(traffic.plain_gossip == 0);
  CHECK(traffic.in_clear.empty());

  // -- the client, and the kills ------------------------------------------------
  auto started = clock_type::now();
  procs.start("c", {"client", "--certs", certs, "--director", directors, "--tasks", "0",
                    "--duration", "60", "--call-timeout-ms", "2000"});
  auto connected = procs.wait_for_line("c", "connected to director at ", 15s);
  REQUIRE(connected);
  auto used = word_after(*connected, "connected to director at ");
  REQUIRE((used == director_address("d1") || used == director_address("d2")));
  const std::string killed_director = used == director_address("d1") ? "d1" : "d2";
  const std::string survivor = killed_director == "d1" ? "d2" : "d1";
  REQUIRE(procs.pump_until([&] { return procs.completions() >= 20; }, 20s));

  procs.pump_until_time(started + 12s);
  procs[survivor].drain();
  auto director_killed_line = procs[survivor].lines().size();
  auto [director_from, director_killed] = kill_node(procs, killed_director);
  REQUIRE(procs.wait_for_line("c", "connected to director at " + director_address(survivor),
                              15s, director_from));
  procs.pump_until_time(director_killed + resume_window);
  auto after_director = resumption_after(procs, director_from, director_killed);

  procs.pump_until_time(started + 25s);
  procs[survivor].drain();
  auto worker_killed_line = procs[survivor].lines().size();
  auto [worker_from, worker_killed] = kill_node(procs, "w2");
  procs.pump_for(resume_window);
  auto after_worker = resumption_after(procs, worker_from, worker_killed);

  // The worker's first life: the ids the survivor knew it by.
  std::set<std::string> killed_worker_ids;
  procs[survivor].drain();
  for (const auto& kind : {"joined", "updated", "suspect", "recovered", "failed"})
    for (const auto& ev : events_of(procs[survivor], kind))
      if (ev.label == "worker-2")
        killed_worker_ids.insert(ev.id);
  REQUIRE_FALSE(killed_worker_ids.empty());
  procs.pump_until_time(worker_killed + 8s);
  auto restarted_line = procs[survivor].lines().size();
  auto restarted_from = procs.client_stamps().size();
  procs.start("w2", worker_args(2));
  REQUIRE(procs.wait_for_line("w2", "worker 'worker-2' joined cluster", 20s));
  REQUIRE(procs.wait_for_line(survivor, "worker pool status: 3 workers available", 20s,
                              restarted_line));

  // -- the end of the run ------------------------------------------------------
  std::optional<std::string> done;
  bool finished = procs.pump_until(
    [&] {
      done = wait_for_text(procs["c"], "done: ", 0ms);
      return done.has_value();
    },
    75s);
  if (!finished) {
    // What the client said last is what tells why it did not finish.
    const auto& lines = procs["c"].lines();
    for (size_t i = lines.size() > 40 ? lines.size() - 40 : 0; i < lines.size(); ++i)
      std::cout << "client: " << lines[i] << '\n';
  }
  REQUIRE(finished);
  REQUIRE(procs["c"].wait_exit(10s) == 0);
  auto summary = parse_summary(*done);
  REQUIRE(summary);
  procs.pump_for(200ms);

  auto dropped = net.bridge().dropped();
  size_t served_after_restart = 0;
  {
    const auto& lines = procs["c"].lines();
    for (size_t i = restarted_from; i < lines.size(); ++i)
      if (is_completion(lines[i]) && lines[i].find(" completed by worker-2") != std::string::npos)
        ++served_after_restart;
  }
  std::cout << "netns cluster, 5% loss on the bridge (" << dropped << " datagrams dropped), "
            << (silent ? "closed ports silent" : "closed ports answer ICMP") << ": "
            << summary->tasks << " tasks (";
  for (const auto& [label, n] : summary->by_worker)
    std::cout << label << "=" << n << " ";
  std::cout << "), " << summary->duplicates << " duplicates, " << summary->worker_failures
            << " worker failures; worker-2 served " << served_after_restart
            << " after its restart\n"
            << "director " << killed_director << " killed: next task completed after "
            << after_director.next_ms << " ms, longest stall " << after_director.longest_gap_ms
            << " ms (bound " << director_kill_bound.count() << " ms)\n"
            << client_said_after(procs, director_from, director_killed)
            << "worker-2 killed: next task completed after " << after_worker.next_ms
            << " ms, longest stall " << after_worker.longest_gap_ms << " ms (bound "
            << worker_kill_bound.count() << " ms)\n"
            << client_said_after(procs, worker_from, worker_killed);

  // 1. Every task once.
  CHECK(summary->tasks > 0);
  CHECK(summary->duplicates == 0);
  check_each_task_once(procs["c"], summary->tasks);
  CHECK(dropped > 0);
  CHECK(served_after_restart > 0);

  // 2. Nobody alive declared failed, nothing failed before its kill.
  for (const auto& node : {killed_director, survivor}) {
    for (const auto& ev : events_of(procs[node], "failed")) {
      bool the_director = node == survivor && ev.id == director_ids[killed_director]
                          && ev.line >= director_killed_line;
      bool the_worker = node == survivor && killed_worker_ids.count(ev.id) > 0
                        && ev.line >= worker_killed_line;
      std::cout << node << " declared failed: " << ev.label << " " << ev.id << " at "
                << ev.address << (the_director || the_worker ? " (killed)" : " (ALIVE)") << "\n";
      INFO(node << " declared " << ev.label << " " << ev.id << " at " << ev.address
                << " failed (line " << ev.line << "; the director was killed at line "
                << director_killed_line << ", the worker at line " << worker_killed_line
                << ")");
      CHECK((the_director || the_worker));
    }
  }

  // 4. The stream resumes within its bounds.
  CHECK(after_director.completions > 0);
  CHECK(after_worker.completions > 0);
  CHECK(after_director.longest_gap_ms <= static_cast<double>(director_kill_bound.count()));
  CHECK(after_worker.longest_gap_ms <= static_cast<double>(worker_kill_bound.count()));
}

int main(int argc, char* argv[]) {
  if (auto why = bridged_networks_unavailable()) {
    std::cout << "skipped: " << *why << std::endl;
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
