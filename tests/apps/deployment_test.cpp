// The CLI as an operator deploys it, on real processes on loopback: several
// directors that are peers (a client and the workers keep going when the
// director they used is killed), nodes bound to the wildcard address that
// advertise the address others reach them at, and mutual TLS between every
// node and client with the operator's own certificate files.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <iostream>

#include "rpcnet_processes.hpp"
#include "test_pki.hpp"

using namespace std::chrono_literals;
using namespace rpcnet::test;

namespace {

const std::string certs = RPCNET_CERT_DIR;

/// The test timings of rpcnet_processes.hpp's workers.
std::vector<std::string> worker_args(const std::string& label, const std::string& bind) {
  return {"worker",      label.empty() ? "" : "--label", label,        "--bind", bind,
          "--work-ms",   "20",                           "--token-interval-ms", "20",
          "--join-timeout-ms", "500"};
}

/// `args` without the empty strings worker_args leaves for defaults.
std::vector<std::string> compact(std::vector<std::string> args) {
  args.erase(std::remove(args.begin(), args.end(), std::string{}), args.end());
  return args;
}

std::vector<std::string> operator+(std::vector<std::string> x, const std::vector<std::string>& y) {
  x.insert(x.end(), y.begin(), y.end());
  return x;
}

/// A key file every process of one test reads.
std::string make_key_file(temp_dir& dir) {
  auto path = dir.file("cluster.key");
  auto keygen = run_rpcnet({"keygen", "--out", path});
  REQUIRE(keygen->wait_exit(10s) == 0);
  return path;
}

std::string read_file(const std::string& path) {
  std::ifstream in{path};
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Replaces the file at `path` with `text` as deployment tools do: written
/// beside it, then renamed over it.
void replace_file(temp_dir& dir, const std::string& path, const std::string& text) {
  auto staged = dir.write("staged.tmp", text);
  std::filesystem::rename(staged, path);
}

/// `rpcnet health` of `node` with `flags`: its exit code (-1 if it hung).
int health_of(const std::string& node, std::vector<std::string> flags) {
  auto health = run_rpcnet(std::vector<std::string>{"health", node, "--timeout", "2000"} + flags);
  return health->wait_exit(15s).value_or(-1);
}

} // namespace

TEST_CASE("two directors are peers: killing the one a client uses leaves the client and the "
          "workers working",
          "[deploy]") {
  temp_dir dir;
  auto key = make_key_file(dir);
  std::vector<std::string> sealed{"--certs", certs, "--cluster-key-file", key};
  auto a = loopback(free_udp_port());
  auto b = loopback(free_udp_port());
  auto director_a = run_rpcnet(std::vector<std::string>{"director", "--bind", a,
                                                        "--pool-interval", "0.5"}
                               + sealed);
  REQUIRE(wait_for_text(*director_a, "director ready", 10s));
  auto director_b = run_rpcnet(std::vector<std::string>{"director", "--bind", b, "--join", a,
                                                        "--pool-interval", "0.5"}
                               + sealed);
  REQUIRE(wait_for_text(*director_b, "joined the cluster through " + a, 10s));
  auto directors = a + "," + b;
  auto worker_1 = run_rpcnet(compact(worker_args("worker-1", loopback(free_udp_port()))
                                     + std::vector<std::string>{"--director", directors}
                                     + sealed));
  auto worker_2 = run_rpcnet(compact(worker_args("worker-2", loopback(free_udp_port()))
                                     + std::vector<std::string>{"--director", directors}
                                     + sealed));
  // Each director sees both workers, whichever of them they joined through.
  REQUIRE(wait_for_text(*director_a, "worker pool status: 2 workers available", 15s));
  REQUIRE(wait_for_text(*director_b, "worker pool status: 2 workers available", 15s));
  auto client = run_rpcnet({"client", "--certs", certs, "--director", directors, "--tasks", "150",
                            "--call-timeout-ms", "2000"});
  REQUIRE(wait_for_text(*client, "connected to director at " + a, 15s));
  REQUIRE(wait_for_text(*client, "client: task 20 completed by", 20s));
  auto from_b = director_b->lines().size();
  director_a->kill(SIGKILL);
  // The client moves to the other director and finishes every task once.
  REQUIRE(wait_for_text(*client, "connected to director at " + b, 15s));
  auto summary = finish_client(*client, 60s);
  CHECK(summary.tasks == 150);
  CHECK(summary.duplicates == 0);
  CHECK(summary.by_worker["worker-1"] > 0);
  CHECK(summary.by_worker["worker-2"] > 0);
  check_each_task_once(*client, 150);
  // The surviving director still sees both workers serving, and a new
  // client served by it alone completes its tasks.
  REQUIRE(wait_for_text(*director_b, "worker pool status: 2 workers available", 10s, from_b));
  auto late = run_rpcnet({"client", "--certs", certs, "--director", directors, "--tasks", "10",
                          "--call-timeout-ms", "2000"});
  CHECK(finish_client(*late, 30s).tasks == 10);
  CHECK_FALSE(worker_1->wait_exit(0ms));
  CHECK_FALSE(worker_2->wait_exit(0ms));
}

TEST_CASE("nodes bound to the wildcard address advertise the address given and serve",
          "[deploy]") {
  temp_dir dir;
  auto key = make_key_file(dir);
  std::vector<std::string> sealed{"--certs", certs, "--cluster-key-file", key};
  auto director_port = std::to_string(free_udp_port());
  auto worker_port = std::to_string(free_udp_port());
  auto director = run_rpcnet(std::vector<std::string>{"director", "--bind",
                                                      "0.0.0.0:" + director_port, "--advertise",
                                                      "127.0.0.1", "--pool-interval", "0.5"}
                             + sealed);
  REQUIRE(wait_for_text(*director,
                        "bound to 0.0.0.0:" + director_port + ", advertised as 127.0.0.1:"
                          + director_port,
                        10s));
  REQUIRE(wait_for_text(*director, "director ready - listening on 127.0.0.1:" + director_port,
                        10s));
  auto worker = run_rpcnet(
    compact(worker_args("worker-w", "0.0.0.0:" + worker_port)
            + std::vector<std::string>{"--advertise", "localhost", "--director",
                                       "127.0.0.1:" + director_port}
            + sealed));
  auto joined = wait_for_text(*director, "cluster event joined: worker-w", 15s);
  REQUIRE(joined);
  CHECK(joined->find(" at 127.0.0.1:" + worker_port) != std::string::npos);
  auto members = run_rpcnet({"members", "--certs", certs, "--node", "127.0.0.1:" + worker_port});
  REQUIRE(members->wait_exit(10s) == 0);
  CHECK(count_text(*members, "127.0.0.1:" + director_port) == 1);
  CHECK(count_text(*members, "0.0.0.0") == 0);
  auto client = run_rpcnet({"client", "--certs", certs, "--director",
                            "localhost:" + director_port, "--tasks", "5"});
  CHECK(finish_client(*client, 30s).by_worker["worker-w"] == 5);
}

TEST_CASE("a wildcard bind without --advertise is refused with one line", "[deploy]") {
  for (auto bind : {"0.0.0.0:7946", "[::]:7946"}) {
    INFO(bind);
    auto director = run_rpcnet({"director", "--certs", certs, "--bind", bind});
    CHECK(director->wait_exit(10s).value_or(0) != 0);
    CHECK(wait_for_text(*director,
                        "rpcnet: error: invalid --advertise / RPCNET_ADVERTISE: required when "
                        "--bind is the wildcard",
                        0s));
  }
}

TEST_CASE("with --cert --key --ca TLS is mutual: nodes and clients present their certificate "
          "and a caller without one is refused",
          "[deploy]") {
  temp_dir dir;
  auto key = make_key_file(dir);
  std::vector<std::string> pki{"--cert",        certs + "/test_cert.pem", "--key",
                               certs + "/test_key.pem", "--ca", certs + "/ca.pem",
                               "--server-name", "localhost"};
  auto director_addr = loopback(free_udp_port());
  auto worker_addr = loopback(free_udp_port());
  auto director = run_rpcnet(std::vector<std::string>{"director", "--bind", director_addr,
                                                      "--cluster-key-file", key,
                                                      "--pool-interval", "0.5"}
                             + pki);
  REQUIRE(wait_for_text(*director, "mutual TLS", 10s));
  REQUIRE(wait_for_text(*director, "director ready", 10s));
  auto worker = run_rpcnet(compact(worker_args("worker-m", worker_addr)
                                   + std::vector<std::string>{"--director", director_addr,
                                                              "--cluster-key-file", key}
                                   + pki));
  REQUIRE(wait_for_text(*director, "worker pool status: 1 workers available", 15s));
  auto client = run_rpcnet(std::vector<std::string>{"client", "--director", director_addr,
                                                    "--tasks", "5"}
                           + pki);
  CHECK(finish_client(*client, 30s).by_worker["worker-m"] == 5);
  // The development CA alone, without a certificate to present: refused.
  auto bare = run_rpcnet({"health", director_addr, "--certs", certs, "--timeout", "2000"});
  CHECK(bare->wait_exit(15s).value_or(0) != 0);
  auto with_cert = run_rpcnet(std::vector<std::string>{"health", director_addr} + pki);
  CHECK(with_cert->wait_exit(15s) == 0);
  CHECK(wait_for_text(*with_cert, "SERVING", 0s));
}

TEST_CASE("a --cert without --key and --ca is one line of error", "[deploy]") {
  auto director
    = run_rpcnet({"director", "--cert", certs + "/test_cert.pem", "--bind", "127.0.0.1:0"});
  CHECK(director->wait_exit(10s).value_or(0) != 0);
  CHECK(wait_for_text(*director, "rpcnet: error: --cert, --key and --ca go together", 0s));
}

TEST_CASE("a changed certificate applies to new connections without a restart and a bad one "
          "is refused",
          "[deploy][reload]") {
  temp_dir dir;
  auto key = make_key_file(dir);
  test_pki pki{dir};
  auto a = pki.server("a", "node-a.test", 2);
  auto b = pki.server("b", "node-b.test", 3);
  key_pair live{dir.file("live_cert.pem"), dir.file("live_key.pem")};
  install(a, live);
  auto tls_as = [&](const std::string& name) {
    return std::vector<std::string>{"--cert", live.cert, "--key",         live.key,
                                    "--ca",   pki.ca,    "--server-name", name};
  };
  auto addr = loopback(free_udp_port());
  auto director = run_rpcnet(std::vector<std::string>{"director", "--bind", addr,
                                                      "--cluster-key-file", key}
                             + tls_as("node-a.test"));
  REQUIRE(wait_for_text(*director, "director ready", 10s));
  CHECK(health_of(addr, tls_as("node-a.test")) == 0);
  CHECK(health_of(addr, tls_as("node-b.test")) != 0);
  // Replaced on disk: seen within a second or two, no signal needed.
  auto from = director->lines().size();
  install(b, live);
  REQUIRE(wait_for_text(*director, "tls: reloaded credentials", 10s, from));
  CHECK(health_of(addr, tls_as("node-b.test")) == 0);
  CHECK(health_of(addr, tls_as("node-a.test")) != 0);
  // A broken certificate and SIGHUP: refused, and the one in use stays.
  from = director->lines().size();
  replace_file(dir, live.cert, "-----BEGIN CERTIFICATE-----\nnot base64\n");
  director->kill(SIGHUP);
  REQUIRE(wait_for_text(*director, "SIGHUP: reloading", 10s, from));
  REQUIRE(wait_for_text(*director, "tls: refused to reload", 10s, from));
  // (The caller presents b's own files: the live ones are broken.)
  CHECK(health_of(addr, std::vector<std::string>{"--cert", b.cert, "--key", b.key, "--ca",
                                                 pki.ca, "--server-name", "node-b.test"})
        == 0);
  CHECK_FALSE(director->wait_exit(0ms));
}

TEST_CASE("a cluster key rotated in three steps through the key files keeps the cluster "
          "together and then refuses the old key",
          "[deploy][reload]") {
  temp_dir dir;
  auto old_key = read_file(make_key_file(dir));
  auto new_key_file = dir.file("new.key");
  REQUIRE(run_rpcnet({"keygen", "--out", new_key_file})->wait_exit(10s) == 0);
  auto new_key = read_file(new_key_file);
  auto director_keys = dir.write("director.key", old_key);
  auto worker_keys = dir.write("worker.key", old_key);
  auto director_addr = loopback(free_udp_port());
  auto director = run_rpcnet({"director", "--bind", director_addr, "--certs", certs,
                              "--cluster-key-file", director_keys, "--pool-interval", "0.5"});
  REQUIRE(wait_for_text(*director, "director ready", 10s));
  auto worker = run_rpcnet(compact(worker_args("worker-k", loopback(free_udp_port()))
                                   + std::vector<std::string>{"--director", director_addr,
                                                              "--certs", certs,
                                                              "--cluster-key-file", worker_keys}));
  REQUIRE(wait_for_text(*director, "worker pool status: 1 workers available", 15s));
  struct step {
    std::string keys;
    std::string logged;
  };
  // 1: every node opens the new key; 2: every node seals with it; 3: the
  // old one goes. The director is told by SIGHUP, the worker sees its file
  // change.
  for (const auto& [keys, logged] : {step{old_key + new_key, "2 keys, sealing with the same key"},
                                     step{new_key + old_key, "2 keys, sealing with a new key"},
                                     step{new_key, "1 key, sealing with the same key"}}) {
    INFO(logged);
    auto director_from = director->lines().size();
    auto worker_from = worker->lines().size();
    replace_file(dir, director_keys, keys);
    replace_file(dir, worker_keys, keys);
    director->kill(SIGHUP);
    REQUIRE(wait_for_text(*director, "cluster keys reloaded from " + director_keys + ": " + logged,
                          10s, director_from));
    REQUIRE(wait_for_text(*worker, "cluster keys reloaded from " + worker_keys + ": " + logged,
                          10s, worker_from));
  }
  // Gossip flowed throughout: the worker was never suspected or lost.
  auto from = director->lines().size();
  REQUIRE(wait_for_text(*director, "worker pool status: 1 workers available", 5s, from));
  CHECK(count_text(*director, "cluster event failed") == 0);
  CHECK(count_text(*director, "suspect") == 0);
  // A node with the old key alone is now refused; one with the new key joins.
  auto stale = run_rpcnet(compact(
    worker_args("worker-old", loopback(free_udp_port()))
    + std::vector<std::string>{"--director", director_addr, "--certs", certs, "--cluster-key-file",
                               dir.write("stale.key", old_key)}));
  CHECK(stale->wait_exit(30s).value_or(0) != 0);
  CHECK(wait_for_text(*stale, "the cluster key is not the director's", 0s));
  auto fresh = run_rpcnet(compact(
    worker_args("worker-new", loopback(free_udp_port()))
    + std::vector<std::string>{"--director", director_addr, "--certs", certs,
                               "--cluster-key-file", new_key_file}));
  REQUIRE(wait_for_text(*director, "worker pool status: 2 workers available", 15s, from));
  // A key file that went bad is refused and the keys in use stay.
  from = director->lines().size();
  replace_file(dir, director_keys, "not a key\n");
  director->kill(SIGHUP);
  REQUIRE(wait_for_text(*director, "the cluster keys in use stay", 10s, from));
  REQUIRE(wait_for_text(*director, "worker pool status: 2 workers available", 5s,
                        director->lines().size()));
}

TEST_CASE("a rolling restart of every worker under load loses no task", "[deploy][rolling]") {
  temp_dir dir;
  auto key = make_key_file(dir);
  std::vector<std::string> sealed{"--certs", certs, "--cluster-key-file", key};
  auto director_addr = loopback(free_udp_port());
  auto director = run_rpcnet(std::vector<std::string>{"director", "--bind", director_addr,
                                                      "--pool-interval", "0.5"}
                             + sealed);
  REQUIRE(wait_for_text(*director, "director ready", 10s));
  std::vector<std::string> labels{"worker-1", "worker-2", "worker-3"};
  std::map<std::string, std::string> addresses;
  std::map<std::string, std::unique_ptr<child_process>> workers;
  auto start = [&](const std::string& label) {
    workers[label] = run_rpcnet(compact(
      worker_args(label, addresses[label])
      + std::vector<std::string>{"--director", director_addr, "--grace-ms", "2000"} + sealed));
    REQUIRE(wait_for_text(*workers[label], "joined cluster with role=worker", 15s));
  };
  for (const auto& label : labels) {
    addresses[label] = loopback(free_udp_port());
    start(label);
  }
  REQUIRE(wait_for_text(*director, "worker pool status: 3 workers available", 15s));
  auto client = run_rpcnet({"client", "--certs", certs, "--director", director_addr, "--tasks",
                            "0", "--duration", "60", "--call-timeout-ms", "2000"});
  REQUIRE(wait_for_text(*client, "client: task 10 completed by", 20s));
  // The procedure of docs/deployment.md: one worker at a time, SIGTERM (it
  // leaves, then drains), start it again, wait until it has joined and the
  // director counts it before the next.
  for (const auto& label : labels) {
    INFO(label);
    auto from = director->lines().size();
    workers[label]->kill(SIGTERM);
    REQUIRE(workers[label]->wait_exit(15s) == 0);
    REQUIRE(wait_for_text(*director, "cluster event left: " + label, 10s, from));
    start(label);
    REQUIRE(wait_for_text(*director, "worker pool status: 3 workers available", 15s,
                          director->lines().size()));
    auto done = completed_tasks(*client).size();
    REQUIRE(wait_for_text(*client, "client: task " + std::to_string(done + 5) + " completed by",
                          20s));
  }
  client->kill(SIGTERM);
  auto line = wait_for_text(*client, "done: ", 20s);
  REQUIRE(line);
  REQUIRE(client->wait_exit(20s) == 0);
  auto summary = parse_summary(*line);
  REQUIRE(summary);
  std::cout << "rolling restart: " << summary->tasks << " tasks, " << summary->worker_failures
            << " failovers\n";
  CHECK(summary->duplicates == 0);
  for (const auto& label : labels)
    CHECK(summary->by_worker[label] > 0);
  check_each_task_once(*client, summary->tasks);
}

TEST_CASE("a truncated certificate or an advertise address of another host stops a node at "
          "start with one line",
          "[deploy]") {
  temp_dir dir;
  auto full = read_file(certs + "/test_cert.pem");
  auto cut = dir.write("cut_cert.pem", full.substr(0, full.size() / 2));
  auto director = run_rpcnet({"director", "--bind", loopback(free_udp_port()), "--cert", cut,
                              "--key", certs + "/test_key.pem", "--ca", certs + "/ca.pem"});
  CHECK(director->wait_exit(10s).value_or(0) != 0);
  CHECK(wait_for_text(*director, "rpcnet: error: ", 0s));
  CHECK(wait_for_text(*director, cut, 0s)); // the error names the file
  // 192.0.2.1 (TEST-NET-1) is nobody's address here.
  auto elsewhere = run_rpcnet({"director", "--certs", certs, "--bind", "0.0.0.0:7946",
                               "--advertise", "192.0.2.1"});
  CHECK(elsewhere->wait_exit(10s).value_or(0) != 0);
  CHECK(wait_for_text(*elsewhere,
                      "rpcnet: error: invalid --advertise / RPCNET_ADVERTISE: '192.0.2.1:7946' "
                      "is not an address of this host",
                      0s));
}

TEST_CASE("a cluster on IPv6 addresses serves a client", "[deploy]") {
  temp_dir dir;
  auto key = make_key_file(dir);
  std::vector<std::string> sealed{"--certs", certs, "--cluster-key-file", key};
  auto director_addr = "[::1]:" + std::to_string(free_udp_port());
  auto worker_addr = "[::1]:" + std::to_string(free_udp_port());
  auto director = run_rpcnet(std::vector<std::string>{"director", "--bind", director_addr,
                                                      "--pool-interval", "0.5"}
                             + sealed);
  REQUIRE(wait_for_text(*director, "director ready - listening on " + director_addr, 10s));
  auto worker = run_rpcnet(compact(worker_args("worker-6", worker_addr)
                                   + std::vector<std::string>{"--director", director_addr}
                                   + sealed));
  auto joined = wait_for_text(*director, "cluster event joined: worker-6", 15s);
  REQUIRE(joined);
  CHECK(joined->find(" at " + worker_addr) != std::string::npos);
  auto client = run_rpcnet({"client", "--certs", certs, "--director", director_addr, "--tasks",
                            "5"});
  CHECK(finish_client(*client, 30s).by_worker["worker-6"] == 5);
}

TEST_CASE("a director told to join others without their cluster key refuses to start",
          "[deploy]") {
  auto director = run_rpcnet({"director", "--certs", certs, "--bind", loopback(free_udp_port()),
                              "--join", loopback(free_udp_port())});
  CHECK(director->wait_exit(10s).value_or(0) != 0);
  CHECK(wait_for_text(*director, "rpcnet: error: no cluster key", 0s));
}
