// Tests the retransmit-limited queue of membership updates: the limit of
// multiplier * ceil(log10(n + 1)) transmissions, least-sent and newest
// first, one update per member, and the byte budget of a datagram.
#include <catch2/catch.hpp>

#include "broadcast_queue.hpp"
#include "gossip_codec.hpp"

namespace gossip = rpcnet::gossip;
using rpcnet::broadcast_queue;
using rpcnet::node_id;

namespace {

node_id subject(uint64_t n) {
  return {0, n};
}

gossip::message suspect_of(uint64_t n, uint32_t incarnation = 0) {
  return gossip::suspect{subject(n), incarnation, subject(99)};
}

} // namespace

TEST_CASE("the retransmit limit grows with the log of the cluster size", "[broadcast_queue]") {
  CHECK(broadcast_queue::retransmit_limit(4, 1) == 4);
  CHECK(broadcast_queue::retransmit_limit(4, 9) == 4);
  CHECK(broadcast_queue::retransmit_limit(4, 10) == 8);
  CHECK(broadcast_queue::retransmit_limit(4, 100) == 12);
  CHECK(broadcast_queue::retransmit_limit(4, 1000) == 16);
}

TEST_CASE("an update is handed out exactly limit times, then leaves the queue",
          "[broadcast_queue]") {
  broadcast_queue q;
  q.enqueue(subject(1), suspect_of(1));
  for (int i = 0; i < 5; ++i)
    CHECK(q.take(1400, 5).size() == 1);
  CHECK(q.take(1400, 5).empty());
  CHECK(q.empty());
}

TEST_CASE("a newer update about a member replaces the queued one", "[broadcast_queue]") {
  broadcast_queue q;
  q.enqueue(subject(1), suspect_of(1, 0));
  q.take(1400, 10);
  q.enqueue(subject(1), gossip::alive{subject(1), 1, "a:1", {}});
  CHECK(q.size() == 1);
  auto taken = q.take(1400, 10);
  REQUIRE(taken.size() == 1);
  CHECK(std::holds_alternative<gossip::alive>(taken[0]));
}

TEST_CASE("least-sent updates go first, the newest among equals", "[broadcast_queue]") {
  broadcast_queue q;
  q.enqueue(subject(1), suspect_of(1));
  q.take(1400, 10); // subject 1 sent once
  q.enqueue(subject(2), suspect_of(2));
  q.enqueue(subject(3), suspect_of(3));
  // Room for one suspect message only (39 bytes).
  auto one = q.take(gossip::encoded_size(suspect_of(1)), 10);
  REQUIRE(one.size() == 1);
  CHECK(std::get<gossip::suspect>(one[0]).id == subject(3));
  one = q.take(gossip::encoded_size(suspect_of(1)), 10);
  CHECK(std::get<gossip::suspect>(one[0]).id == subject(2));
  one = q.take(gossip::encoded_size(suspect_of(1)), 10);
  CHECK(std::get<gossip::suspect>(one[0]).id == subject(3));
}

TEST_CASE("updates that do not fit the budget wait for the next datagram",
          "[broadcast_queue]") {
  broadcast_queue q;
  for (uint64_t i = 0; i < 100; ++i)
    q.enqueue(subject(i), suspect_of(i));
  auto budget = size_t{1400 - 18};
  auto taken = q.take(budget, 3);
  size_t used = 0;
  for (const auto& m : taken)
    used += gossip::encoded_size(m);
  CHECK(used <= budget);
  CHECK(taken.size() == budget / gossip::encoded_size(suspect_of(0)));
  CHECK(q.size() == 100);
  CHECK(q.take(6, 3).empty());
}
