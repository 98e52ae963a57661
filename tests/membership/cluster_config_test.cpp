// Tests the configuration idiom on cluster_config and swim_config with its
// parts (configuration.hpp): builders return a changed copy, and
// validate() names every bad field in one error, those of the nested
// settings under their path ("swim.limits.max_members").
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <rpcnet/membership/cluster_config.hpp>
#include <rpcnet/transport/configuration.hpp>
#include <rpcnet/transport/error.hpp>

using namespace rpcnet;
using namespace std::chrono_literals;

TEST_CASE("the default cluster_config is valid, and a builder returns a changed copy",
          "[config]") {
  cluster_config original;
  CHECK_FALSE(original.validate());
  auto changed = original.with_gossip_interval(2s).with_tag("role", "worker");
  CHECK(changed.swim.gossip_interval == 2s);
  CHECK(changed.tags.at("role") == "worker");
  CHECK(original.swim.gossip_interval == 1s);
  CHECK(original.tags.empty());
  auto swim = swim_config{}.with_limits(gossip_limits{}.with_max_members(10));
  CHECK(swim.limits.max_members == 10);
  CHECK(swim_config{}.limits.max_members == gossip_limits{}.max_members);
}

TEST_CASE("a cluster_config with several bad fields names every one of them, nested ones "
          "under their path",
          "[config]") {
  auto swim = swim_config{}
                .with_probe_timeout(2s)
                .with_push_pull_cycles(0)
                .with_health(health_check_config{}.with_history_size(0))
                .with_lifeguard(lifeguard_config{}.with_max_awareness(0))
                .with_limits(gossip_limits{}.with_max_members(0).with_verification_pings(0));
  auto cfg = cluster_config{}
               .with_swim(swim)
               .with_bind_address("localhost")
               .with_cluster_key(std::vector<uint8_t>(7, 1))
               .with_join_timeout(0s)
               .with_max_pending_datagrams(0);
  auto err = cfg.validate();
  REQUIRE(err);
  CHECK(code_of(err) == error::config);
  CHECK(config_errors::problems_of(err)
        == std::vector<std::string>{
          "swim.probe_timeout must be positive and shorter than gossip_interval",
          "swim.push_pull_cycles must be at least 1",
          "swim.health.history_size must be at least 1",
          "swim.lifeguard.max_awareness must be at least 1",
          "swim.limits.max_members must be at least 1",
          "swim.limits.verification_pings must be at least 1",
          "bind_address 'localhost' is not a host:port (it has no ':port')",
          "cluster_keys: a key must be 16, 24 or 32 bytes, not 7",
          "join_timeout must be positive",
          "max_pending_datagrams must be positive",
        });
}
