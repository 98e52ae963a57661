// Tests failover on real processes: three worker processes under
// continuous load from a cluster client in this process; one is killed with
// kill -9. Every call succeeds (the client fails over), the dead worker's
// circuit opens, the registry drops it, and once restarted it serves again.
#include <catch2/catch.hpp>

#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <caf/scoped_actor.hpp>

#include <rpcnet/cluster/cluster_client.hpp>

#include "child_process.hpp"
#include "cluster_nodes.hpp"

using namespace rpcnet;
using namespace rpcnet::test;
using namespace std::chrono_literals;

namespace {

struct worker_process {
  std::unique_ptr<child_process> proc;
  std::string id;
  std::string address;
};

worker_process start_worker(const std::string& label, const std::string& bind,
                            const std::string& seed) {
  worker_process w;
  w.proc = std::make_unique<child_process>(
    RPCNET_CLUSTER_WORKER,
    std::vector<std::string>{"--bind", bind, "--seed", seed, "--label", label, "--certs",
                             cert_dir()});
  auto ready = w.proc->wait_for_prefix("ready ", 10s);
  REQUIRE(ready);
  std::istringstream in{*ready};
  std::string word;
  in >> word >> w.id >> w.address;
  REQUIRE(w.proc->wait_for_prefix("join-ok", 10s));
  return w;
}

/// Calls from several threads until stopped, counting answers by label.
class load {
public:
  load(cluster_client& client, size_t threads) {
    for (size_t i = 0; i < threads; ++i)
      threads_.emplace_back([this, &client] {
        while (!stop_) {
          auto reply = client.call_worker("whoami", {});
          std::lock_guard<std::mutex> guard{mtx_};
          if (reply) {
            ++served_[std::string{as_string_view(*reply)}];
          } else {
            ++failures_;
            first_failure_ = first_failure_.empty() ? describe(reply.error()) : first_failure_;
          }
        }
      });
  }

  ~load() {
    stop();
  }

  void stop() {
    stop_ = true;
    for (auto& t : threads_)
      if (t.joinable())
        t.join();
  }

  size_t served_by(const std::string& label) {
    std::lock_guard<std::mutex> guard{mtx_};
    return served_[label];
  }

  size_t failures() {
    std::lock_guard<std::mutex> guard{mtx_};
    return failures_;
  }

  std::string first_failure() {
    std::lock_guard<std::mutex> guard{mtx_};
    return first_failure_;
  }

private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  std::mutex mtx_;
  std::map<std::string, size_t> served_;
  size_t failures_ = 0;
  std::string first_failure_;
};

} // namespace

TEST_CASE("with three worker processes under load, kill -9 of one loses no call, its circuit "
          "opens, and after a restart it serves again",
          "[failover][process]") {
  runtime rt;
  auto& sys = rt.system();
  director_node director{sys};
  auto seed = director.address();
  std::vector<worker_process> workers;
  for (auto label : {"w1", "w2", "w3"})
    workers.push_back(start_worker(label, "127.0.0.1:0", seed));
  auto count = [&] { return worker_count(sys, director); };
  REQUIRE(eventually([&] { return count() == 3; }, 10s));
  auto client = cluster_client::start(sys, director.registry,
                                      cluster_client_config{client_config().with_call_timeout(5s)});
  REQUIRE(client);
  load calls{*client, 4};
  REQUIRE(eventually([&] {
    return calls.served_by("w1") > 20 && calls.served_by("w2") > 20 && calls.served_by("w3") > 20;
  }, 10s));
  auto& victim = workers[1];
  auto victim_address = victim.address;
  node_id victim_id = *node_id::parse(victim.id);
  auto killed_at = std::chrono::steady_clock::now();
  victim.proc->kill(SIGKILL);
  auto served_before = calls.served_by("w2");
  CHECK(eventually([&] { return client->circuit(victim_id) == circuit_breaker::state::open; }, 3s));
  CHECK(eventually([&] { return count() == 2; }, 8s));
  auto dropped_after = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at);
  std::cout << "kill -9 of w2: out of the registry after " << dropped_after.count()
            << " s; failovers " << client->stats().failovers << ", circuit rejections "
            << client->stats().circuit_rejections << "\n";
  // Restarted at its old address, under a new id: found and used again.
  victim = start_worker("w2", victim_address, seed);
  CHECK(eventually([&] { return count() == 3; }, 10s));
  CHECK(eventually([&] { return calls.served_by("w2") > served_before + 20; }, 15s));
  calls.stop();
  INFO("first failure: " << calls.first_failure());
  CHECK(calls.failures() == 0);
}
