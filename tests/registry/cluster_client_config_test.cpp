// Tests the configuration idiom on the cluster layer's settings
// (configuration.hpp): cluster_client_config with the rpc_config,
// retry_policy and circuit_breaker::settings it holds, and
// worker_registry_config. Builders return a changed copy; validate() names
// every bad field in one error, nested ones under their field; and
// cluster_node::open reports both of its configurations' at once.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/cluster/cluster_client.hpp>
#include <rpcnet/cluster/cluster_node.hpp>
#include <rpcnet/cluster/worker_registry_actor.hpp>
#include <rpcnet/transport/configuration.hpp>
#include <rpcnet/transport/error.hpp>

#include "test_certs.hpp"

using namespace rpcnet;
using namespace std::chrono_literals;

TEST_CASE("the default cluster settings are valid, and a builder returns a changed copy",
          "[config]") {
  cluster_client_config original{test::client_config()};
  CHECK_FALSE(original.validate());
  CHECK_FALSE(worker_registry_config{}.validate());
  auto changed = original.with_hedge_after(50ms).with_retry(retry_policy{}.with_max_attempts(5));
  CHECK(changed.hedge_after == 50ms);
  CHECK(changed.retry.max_attempts == 5);
  CHECK_FALSE(original.hedge_after);
  CHECK(original.retry.max_attempts == 3);
}

TEST_CASE("a cluster_client_config with several bad fields names every one of them, nested "
          "ones under their field",
          "[config]") {
  auto cfg = cluster_client_config{test::client_config().with_call_timeout(0ms)}
               .with_retry(retry_policy{}.with_max_attempts(0).with_max_delay(1ms))
               .with_breaker(circuit_breaker::settings{}.with_half_open_probes(0))
               .with_hedge_after(0ms);
  auto err = cfg.validate();
  REQUIRE(err);
  CHECK(code_of(err) == error::config);
  CHECK(config_errors::problems_of(err)
        == std::vector<std::string>{
          "rpc.call_timeout must be positive",
          "retry.max_attempts must be at least 1 (the first attempt)",
          "retry.max_delay must not be shorter than base_delay",
          "breaker.half_open_probes must be at least 1",
          "hedge_after must be positive when set",
        });
}

TEST_CASE("a worker_registry_config with several bad fields names every one of them",
          "[config]") {
  auto cfg = worker_registry_config{}
               .with_pool_filter("role")
               .with_strategy(static_cast<load_balancing_strategy>(99));
  auto problems = config_errors::problems_of(cfg.validate());
  REQUIRE(problems.size() == 2);
  CHECK(problems[0].rfind("pool_filter 'role' does not parse", 0) == 0);
  CHECK(problems[1] == "strategy is not a load_balancing_strategy");
}

TEST_CASE("cluster_node::open names the bad fields of both its configurations in one error",
          "[config]") {
  runtime rt;
  auto node = cluster_node::open(rt.system(), test::server_config().with_max_frame_size(0),
                                 cluster_config{}.with_join_timeout(0s));
  REQUIRE_FALSE(node);
  CHECK(config_errors::problems_of(node.error())
        == std::vector<std::string>{"server.max_frame_size must be positive",
                                    "cluster.join_timeout must be positive"});
}
