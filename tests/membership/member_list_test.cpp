// Tests the member list's choices: the shuffled round-robin probes every
// live member once per round, skips the dead, takes newcomers into the
// current round; random choices exclude whom they must; tombstones are
// reaped after their time.
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <set>

#include "member_list.hpp"

using namespace std::chrono_literals;
using rpcnet::member;
using rpcnet::member_list;
using rpcnet::member_state;
using rpcnet::node_id;
using rpcnet::time_point;

namespace {

const time_point start = time_point{} + 1h;

member_list list_of(size_t n, member_list::rng_type& rng) {
  member_list list;
  for (uint64_t i = 1; i <= n; ++i)
    list.insert(member{node_id{0, i}, "m" + std::to_string(i), 0, member_state::alive, {}},
                start, rng);
  return list;
}

} // namespace

TEST_CASE("each round of probes visits every live member exactly once", "[member_list]") {
  member_list::rng_type rng{1};
  auto list = list_of(10, rng);
  for (int round = 0; round < 5; ++round) {
    std::set<node_id> seen;
    for (int i = 0; i < 10; ++i)
      seen.insert(list.next_probe_target(rng)->info.id);
    CHECK(seen.size() == 10);
  }
}

TEST_CASE("the probe order changes from round to round", "[member_list]") {
  member_list::rng_type rng{2};
  auto list = list_of(20, rng);
  std::vector<node_id> first, second;
  for (int i = 0; i < 20; ++i)
    first.push_back(list.next_probe_target(rng)->info.id);
  for (int i = 0; i < 20; ++i)
    second.push_back(list.next_probe_target(rng)->info.id);
  CHECK(first != second);
}

TEST_CASE("dead and departed members are not probed, and a newcomer is probed this round",
          "[member_list]") {
  member_list::rng_type rng{3};
  auto list = list_of(6, rng);
  list.next_probe_target(rng); // the round has started
  list.set_state(*list.find(node_id{0, 2}), member_state::dead, start);
  list.set_state(*list.find(node_id{0, 3}), member_state::left, start);
  list.insert(member{node_id{0, 7}, "m7", 0, member_state::alive, {}}, start, rng);
  std::map<node_id, int> probes;
  for (int i = 0; i < 5 * 20; ++i)
    ++probes[list.next_probe_target(rng)->info.id];
  CHECK(probes.count(node_id{0, 2}) == 0);
  CHECK(probes.count(node_id{0, 3}) == 0);
  CHECK(probes[node_id{0, 7}] >= 19);
  CHECK(list.live_count() == 5);
  CHECK(list.failed_count() == 1);
}

TEST_CASE("random choices are distinct and never the excluded member", "[member_list]") {
  member_list::rng_type rng{4};
  for (size_t n : {2, 3, 5, 50}) {
    auto list = list_of(n, rng);
    for (int i = 0; i < 200; ++i) {
      auto picked = list.random_live(3, node_id{0, 1}, rng);
      CHECK(picked.size() == std::min<size_t>(3, n - 1));
      std::set<node_id> ids;
      for (auto* rec : picked) {
        CHECK(rec->info.id != node_id{0, 1});
        ids.insert(rec->info.id);
      }
      CHECK(ids.size() == picked.size());
    }
  }
}

TEST_CASE("tombstones are forgotten once older than the cutoff", "[member_list]") {
  member_list::rng_type rng{5};
  auto list = list_of(3, rng);
  list.set_state(*list.find(node_id{0, 1}), member_state::dead, start);
  list.set_state(*list.find(node_id{0, 2}), member_state::left, start + 10s);
  list.reap(start + 5s);
  CHECK(list.find(node_id{0, 1}) == nullptr);
  CHECK(list.find(node_id{0, 2}) != nullptr);
  CHECK(list.find(node_id{0, 3}) != nullptr);
  CHECK(list.failed_count() == 0);
  CHECK(list.random_failed(rng) == nullptr);
  auto range = list.range(node_id::min(), node_id::max());
  CHECK(std::distance(range.first, range.second) == 2);
}
