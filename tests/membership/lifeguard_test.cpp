// Tests the pieces of Lifeguard on their own: the suspicion timer that
// shrinks with independent confirmations (memberlist's formula), and the
// local health score that stretches timeouts.
#include <catch2/catch.hpp>

#include <chrono>

#include "awareness.hpp"
#include "suspicion.hpp"

using namespace std::chrono_literals;
using rpcnet::awareness;
using rpcnet::duration;
using rpcnet::node_id;
using rpcnet::suspicion;
using rpcnet::time_point;

namespace {

const time_point start = time_point{} + 1h;

} // namespace

TEST_CASE("a fresh suspicion lasts the maximum and shrinks to the minimum after k "
          "confirmations",
          "[suspicion]") {
  suspicion s{node_id{0, 1}, 2, 5s, 30s, start};
  CHECK(s.deadline() == start + 30s);
  CHECK(s.confirm(node_id{0, 2}));
  // 30 - log(2)/log(3) * 25 = 14.226 s, in whole milliseconds.
  CHECK(s.deadline() == start + 14226ms);
  CHECK(s.confirm(node_id{0, 3}));
  CHECK(s.deadline() == start + 5s);
  CHECK(s.confirmations() == 2);
}

TEST_CASE("only independent confirmations count", "[suspicion]") {
  suspicion s{node_id{0, 1}, 3, 5s, 30s, start};
  CHECK_FALSE(s.confirm(node_id{0, 1})); // the accuser itself
  CHECK(s.confirm(node_id{0, 2}));
  CHECK_FALSE(s.confirm(node_id{0, 2})); // the same member again
  CHECK(s.confirmations() == 1);
  CHECK(s.confirm(node_id{0, 3}));
  CHECK(s.confirm(node_id{0, 4}));
  // Beyond k nothing changes.
  CHECK_FALSE(s.confirm(node_id{0, 5}));
  CHECK(s.deadline() == start + 5s);
}

TEST_CASE("a suspicion expecting no confirmations lasts the minimum", "[suspicion]") {
  suspicion s{node_id{0, 1}, 0, 5s, 30s, start};
  CHECK(s.deadline() == start + 5s);
  CHECK_FALSE(s.confirm(node_id{0, 2}));
}

TEST_CASE("the suspicion timeout never drops below the minimum", "[suspicion]") {
  for (unsigned k = 1; k < 8; ++k)
    for (unsigned n = 0; n <= k; ++n) {
      auto t = suspicion::timeout_after(n, k, 5s, 30s);
      CHECK(t >= 5s);
      CHECK(t <= 30s);
      if (n > 0)
        CHECK(t < suspicion::timeout_after(n - 1, k, 5s, 30s));
    }
}

TEST_CASE("local health stretches timeouts by score + 1 within its bounds", "[awareness]") {
  awareness a{8};
  CHECK(a.scale(500ms) == 500ms);
  a.apply_delta(3);
  CHECK(a.score() == 3);
  CHECK(a.scale(500ms) == 2s);
  a.apply_delta(100);
  CHECK(a.score() == 7);
  CHECK(a.scale(1s) == 8s);
  a.apply_delta(-100);
  CHECK(a.score() == 0);
}

TEST_CASE("local health with a maximum of 1 never stretches anything", "[awareness]") {
  awareness a{1};
  a.apply_delta(5);
  CHECK(a.score() == 0);
  CHECK(a.scale(1s) == 1s);
}
