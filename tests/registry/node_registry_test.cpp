// Tests the node registry core: it lists the live members with address,
// tags and state as join, suspect, recover, update, fail and leave events
// arrive, and finds nodes by tag.
#include <catch2/catch.hpp>

#include "registry_fixture.hpp"

#include "node_registry.hpp"

using namespace registry_test;
using rpcnet::member_state;
using rpcnet::membership_event;
using rpcnet::node_registry;

namespace {

std::vector<uint64_t> numbers_of(const std::vector<rpcnet::member>& members) {
  std::vector<uint64_t> result;
  for (const auto& m : members)
    result.push_back(m.id.lo);
  return result;
}

} // namespace

TEST_CASE("joined members are listed with address, tags and state in id order",
          "[node_registry]") {
  node_registry registry;
  CHECK(registry.apply(joined(worker_member(2, {{"role", "worker"}}))));
  CHECK(registry.apply(joined(worker_member(1, {{"role", "director"}}))));
  CHECK_FALSE(registry.apply(joined(worker_member(1, {{"role", "director"}}))));
  REQUIRE(registry.node_count() == 2);
  auto nodes = registry.nodes();
  CHECK(numbers_of(nodes) == std::vector<uint64_t>{1, 2});
  CHECK(nodes[0].address == "10.0.0.1:62001");
  CHECK(nodes[0].tags.at("role") == "director");
  CHECK(nodes[0].state == member_state::alive);
}

TEST_CASE("suspect and recovered members stay listed with their state", "[node_registry]") {
  node_registry registry;
  registry.apply(joined(worker_member(1)));
  CHECK(registry.apply(became(worker_member(1), member_state::suspect)));
  CHECK(registry.find(id_of(1))->state == member_state::suspect);
  CHECK(registry.apply(became(worker_member(1), member_state::alive)));
  CHECK(registry.find(id_of(1))->state == member_state::alive);
  CHECK(registry.node_count() == 1);
}

TEST_CASE("failed and departed members are dropped, and listed again when they rejoin",
          "[node_registry]") {
  node_registry registry;
  for (uint64_t i = 1; i <= 3; ++i)
    registry.apply(joined(worker_member(i)));
  CHECK(registry.apply(became(worker_member(1), member_state::dead)));
  CHECK(registry.apply(became(worker_member(2), member_state::left)));
  CHECK_FALSE(registry.apply(became(worker_member(2), member_state::left)));
  CHECK(numbers_of(registry.nodes()) == std::vector<uint64_t>{3});
  CHECK(registry.find(id_of(1)) == nullptr);
  registry.apply(joined(worker_member(1)));
  CHECK(numbers_of(registry.nodes()) == std::vector<uint64_t>{1, 3});
}

TEST_CASE("an update replaces a member's address and tags", "[node_registry]") {
  node_registry registry;
  registry.apply(joined(worker_member(1, {{"gpu", "no"}})));
  auto changed = worker_member(1, {{"gpu", "yes"}});
  changed.address = "10.2.2.2:9";
  CHECK(registry.apply(event(membership_event::kind::updated, changed)));
  CHECK(*registry.find(id_of(1)) == changed);
}

TEST_CASE("nodes are found by tag value, by tag key and by filter", "[node_registry]") {
  node_registry registry;
  registry.apply(joined(worker_member(1, {{"role", "worker"}, {"gpu", "a100"}})));
  registry.apply(joined(worker_member(2, {{"role", "worker"}})));
  registry.apply(joined(worker_member(3, {{"role", "director"}, {"gpu", "t4"}})));
  CHECK(numbers_of(registry.nodes_with_tag("role", "worker")) == std::vector<uint64_t>{1, 2});
  CHECK(numbers_of(registry.nodes_with_tag("gpu")) == std::vector<uint64_t>{1, 3});
  CHECK(registry.nodes_with_tag("role", "nobody").empty());
  auto filter = rpcnet::tag_filter::parse("role=worker,gpu=a100");
  REQUIRE(filter);
  CHECK(numbers_of(registry.nodes_matching(*filter)) == std::vector<uint64_t>{1});
}

TEST_CASE("partition events leave the node registry as it is", "[node_registry]") {
  node_registry registry;
  registry.apply(joined(worker_member(1)));
  // Its subject is this node; the members it names come as their own events.
  CHECK_FALSE(registry.apply(event(membership_event::kind::partition_detected, worker_member(9))));
  CHECK(numbers_of(registry.nodes()) == std::vector<uint64_t>{1});
}
