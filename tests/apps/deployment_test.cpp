// The CLI as an operator deploys it, on real processes on loopback: several
// directors that are peers (a client and the workers keep going when the
// director they used is killed), nodes bound to the wildcard address that
// advertise the address others reach them at, and mutual TLS between every
// node and client with the operator's own certificate files.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <iostream>

#include "rpcnet_processes.hpp"

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
                            "--reassign-every", "1", "--call-timeout-ms", "2000"});
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
