// The failure scenarios of the cluster example of the Rust RpcNet library
// (which the CLI follows) on real processes on loopback: the `rpcnet` director,
// workers and clients, each a process of its own, with test timings (500 ms
// pool reports, 20 ms tasks and tokens), gossip sealed with the key of the
// director's join token (or of a key file). Each scenario is bounded in time
// and prints what it measured.
#include <catch2/catch.hpp>

#include <algorithm>
#include <iostream>
#include <numeric>
#include <set>
#include <signal.h>

#include "rpcnet_processes.hpp"

using namespace std::chrono_literals;
using namespace rpcnet::test;
using clock_type = std::chrono::steady_clock;

namespace {

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

void wait_joined(test_cluster& cluster, const std::string& label) {
  REQUIRE(wait_for_text(cluster.worker(label), "joined cluster with role=worker", 10s));
  REQUIRE(wait_for_text(cluster.director(), "cluster event joined: " + label + " ", 10s));
}

/// A director and worker-a and worker-b, joined.
void start_two_workers(test_cluster& cluster, std::vector<std::string> director_args = {},
                       std::vector<std::string> worker_a_args = {}) {
  cluster.start_director(std::move(director_args));
  cluster.start_worker("worker-a", std::move(worker_a_args));
  cluster.start_worker("worker-b");
  wait_joined(cluster, "worker-a");
  wait_joined(cluster, "worker-b");
}

} // namespace

TEST_CASE("normal: two workers both serve tasks and the token stream is complete",
          "[cluster]") {
  test_cluster cluster;
  start_two_workers(cluster);
  auto start = clock_type::now();
  // While the stream holds one worker, least connections gives the tasks to
  // the other; once it is released, to both in turn.
  auto client = cluster.client({"--tasks", "40", "--tokens", "10"});
  auto summary = finish_client(*client, 30s);
  std::cout << "normal: 40 tasks and 10 tokens in " << seconds_since(start) << " s\n";
  CHECK(summary.tasks == 40);
  CHECK(summary.by_worker["worker-a"] > 0);
  CHECK(summary.by_worker["worker-b"] > 0);
  CHECK(summary.tokens == 10);
  CHECK(summary.duplicates == 0);
  check_each_task_once(*client, 40);
  CHECK(count_text(cluster.worker("worker-a"), "processing task") > 0);
  CHECK(count_text(cluster.worker("worker-b"), "processing task") > 0);
}

TEST_CASE("shutdown: SIGTERM leaves (NodeLeft at the director within 1 s), drains the call in "
          "flight and exits 0",
          "[cluster]") {
  test_cluster cluster;
  cluster.start_director();
  cluster.start_worker("worker-a", {"--work-ms", "1500"});
  wait_joined(cluster, "worker-a");
  auto client = cluster.client({"--tasks", "1"});
  REQUIRE(wait_for_text(cluster.worker("worker-a"), "processing task 1", 10s));
  auto from = cluster.director().lines().size();
  auto start = clock_type::now();
  cluster.worker("worker-a").kill(SIGTERM);
  REQUIRE(wait_for_text(cluster.director(), "cluster event left: worker-a", 1s, from));
  std::cout << "shutdown: NodeLeft after " << seconds_since(start) << " s\n";
  // The task in flight when the signal came is answered, not dropped.
  auto summary = finish_client(*client, 10s);
  CHECK(summary.by_worker["worker-a"] == 1);
  CHECK(summary.worker_failures == 0);
  CHECK(cluster.worker("worker-a").wait_exit(10s) == 0);
  CHECK(wait_for_text(cluster.worker("worker-a"), "stopped", 1s));
  cluster.director().kill(SIGINT);
  CHECK(cluster.director().wait_exit(10s) == 0);
}

TEST_CASE("kill -9 of a worker under load: the client carries on, every task once, and the "
          "pool shows one worker within 6 s",
          "[cluster]") {
  test_cluster cluster;
  // Round robin: the tasks alternate over both workers whichever holds the
  // stream, so the killed worker is serving both tasks and the stream.
  start_two_workers(cluster, {"--strategy", "round_robin"});
  auto client = cluster.client({"--tasks", "200", "--tokens", "150"});
  // Under load: tasks served and the stream flowing.
  auto token = wait_for_text(*client, "received token (sequence=20,", 20s);
  REQUIRE(token);
  auto victim = token->find("from worker-a") != std::string::npos ? "worker-a" : "worker-b";
  auto survivor = std::string{victim} == "worker-a" ? "worker-b" : "worker-a";
  REQUIRE(wait_for_text(*client, std::string{"completed by "} + victim, 20s));
  auto from = cluster.director().lines().size();
  auto start = clock_type::now();
  cluster.worker(victim).kill(SIGKILL);
  REQUIRE(cluster.wait_for_pool(1, 6s, from));
  auto dropped = seconds_since(start);
  std::cout << "kill -9: pool shows one worker available after " << dropped << " s\n";
  CHECK(dropped < 6.0);
  auto summary = finish_client(*client, 60s);
  CHECK(summary.tasks == 200);
  CHECK(summary.tokens == 150);
  CHECK(summary.duplicates == 0);
  CHECK(summary.worker_failures >= 1);
  CHECK(summary.by_worker[survivor] > 0);
  check_each_task_once(*client, 200);
  // Suspected first (out of the available pool), then declared failed.
  REQUIRE(wait_for_text(cluster.director(), std::string{"cluster event failed: "} + victim, 20s,
                        from));
  std::cout << "kill -9: NodeFailed after " << seconds_since(start) << " s\n";
}

TEST_CASE("restart of a killed worker: it is rediscovered and serves again", "[cluster]") {
  test_cluster cluster;
  start_two_workers(cluster);
  auto addr = cluster.address_of("worker-a");
  cluster.worker("worker-a").kill(SIGKILL);
  auto from = cluster.director().lines().size();
  REQUIRE(cluster.wait_for_pool(1, 10s, from));
  from = cluster.director().lines().size();
  auto start = clock_type::now();
  cluster.start_worker("worker-a", {}, addr);
  REQUIRE(wait_for_text(cluster.director(), "cluster event joined: worker-a ", 10s, from));
  REQUIRE(cluster.wait_for_pool(2, 5s, from));
  std::cout << "restart: back in the pool after " << seconds_since(start) << " s\n";
  auto client = cluster.client({"--tasks", "20"});
  auto summary = finish_client(*client, 30s);
  CHECK(summary.tasks == 20);
  CHECK(summary.by_worker["worker-a"] > 0);
  CHECK(summary.by_worker["worker-b"] > 0);
  check_each_task_once(*client, 20);
}

TEST_CASE("failure simulation: the client keeps going through the worker's failed phases",
          "[cluster]") {
  test_cluster cluster;
  start_two_workers(cluster, {},
                    {"--simulate-failures", "--healthy-ms", "1500", "--warning-ms", "500",
                     "--failed-ms", "1500"});
  auto client = cluster.client({"--duration", "7", "--tokens", "250", "--task-pause-ms", "10"});
  auto summary = finish_client(*client, 30s);
  auto& a = cluster.worker("worker-a");
  CHECK(count_text(a, "simulating worker failure in 500 ms") >= 1);
  CHECK(count_text(a, "worker failed (simulated") >= 1);
  CHECK(count_text(a, "worker recovered and ready to serve") >= 1);
  std::cout << "failure simulation: " << summary.tasks << " tasks, " << summary.tokens
            << " tokens, " << summary.worker_failures << " worker failures seen by the client\n";
  CHECK(summary.worker_failures >= 1);
  CHECK(summary.duplicates == 0);
  CHECK(summary.tokens == 250);
  CHECK(summary.tasks >= 50);
  CHECK(summary.by_worker["worker-b"] > 0);
  check_each_task_once(*client, summary.tasks);
}

TEST_CASE("workers started before the director keep retrying and join once it is up",
          "[cluster]") {
  // No token before the director is up: the workers read the key file.
  test_cluster cluster{cluster_keying::key_file};
  cluster.start_worker("worker-a");
  cluster.start_worker("worker-b");
  for (auto label : {"worker-a", "worker-b"})
    REQUIRE(wait_for_text(cluster.worker(label), "not reachable", 10s));
  REQUIRE(wait_for_text(cluster.worker("worker-a"), "retry 2", 10s));
  auto start = clock_type::now();
  cluster.start_director();
  wait_joined(cluster, "worker-a");
  wait_joined(cluster, "worker-b");
  std::cout << "late director: both workers joined " << seconds_since(start)
            << " s after it started\n";
  auto client = cluster.client({"--tasks", "10"});
  auto summary = finish_client(*client, 30s);
  CHECK(summary.by_worker["worker-a"] > 0);
  CHECK(summary.by_worker["worker-b"] > 0);
}

TEST_CASE("ten workers: tasks spread over all of them", "[cluster]") {
  test_cluster cluster;
  cluster.start_director();
  std::vector<std::string> labels;
  for (int i = 0; i < 10; ++i) {
    labels.push_back("worker-" + std::to_string(i));
    cluster.start_worker(labels.back());
  }
  for (const auto& label : labels)
    wait_joined(cluster, label);
  REQUIRE(cluster.wait_for_pool(10, 5s));
  auto start = clock_type::now();
  auto client = cluster.client({"--tasks", "60"});
  auto summary = finish_client(*client, 60s);
  std::cout << "ten workers: 60 tasks in " << seconds_since(start) << " s:";
  for (const auto& [label, n] : summary.by_worker)
    std::cout << ' ' << label << '=' << n;
  std::cout << '\n';
  CHECK(summary.tasks == 60);
  CHECK(summary.by_worker.size() == 10);
  for (const auto& label : labels)
    CHECK(summary.by_worker[label] >= 3);
  check_each_task_once(*client, 60);
}

TEST_CASE("a restarted director is joined again by its workers", "[cluster]") {
  // A key file keeps the key across the restart; a made key would not be.
  test_cluster cluster{cluster_keying::key_file};
  start_two_workers(cluster);
  cluster.director().kill(SIGKILL);
  // The workers notice the director's failure and go back to joining it.
  for (auto label : {"worker-a", "worker-b"})
    REQUIRE(wait_for_text(cluster.worker(label), "is gone, joining again", 20s));
  auto start = clock_type::now();
  cluster.start_director();
  for (auto label : {"worker-a", "worker-b"})
    REQUIRE(wait_for_text(cluster.director(), std::string{"cluster event joined: "} + label + " ",
                          20s));
  std::cout << "director restart: both workers back after " << seconds_since(start) << " s\n";
  auto client = cluster.client({"--tasks", "10"});
  auto summary = finish_client(*client, 30s);
  CHECK(summary.by_worker["worker-a"] > 0);
  CHECK(summary.by_worker["worker-b"] > 0);
}
