// The endpoint's memory budget as a plain class: takes what fits, refuses
// what does not without taking part of it, and remembers its peak.
#include <catch2/catch.hpp>

#include "buffer_budget.hpp"

using rpcnet::buffer_budget;

TEST_CASE("a budget takes bytes up to its limit and refuses what would go over",
          "[buffer_budget]") {
  buffer_budget budget{100};
  CHECK(budget.try_take(60));
  CHECK(budget.try_take(40));
  CHECK(budget.held() == 100);
  CHECK_FALSE(budget.try_take(1));
  CHECK(budget.held() == 100);
}

TEST_CASE("a refused request takes nothing, so a smaller one still fits", "[buffer_budget]") {
  buffer_budget budget{100};
  REQUIRE(budget.try_take(70));
  CHECK_FALSE(budget.try_take(31));
  CHECK(budget.held() == 70);
  CHECK(budget.try_take(30));
}

TEST_CASE("bytes given back make room again and the peak stays", "[buffer_budget]") {
  buffer_budget budget{100};
  REQUIRE(budget.try_take(90));
  budget.give_back(50);
  CHECK(budget.held() == 40);
  CHECK(budget.try_take(60));
  budget.give_back(100);
  CHECK(budget.held() == 0);
  CHECK(budget.peak() == 100);
  CHECK(budget.limit() == 100);
}

TEST_CASE("a request larger than the whole budget is refused even when empty",
          "[buffer_budget]") {
  buffer_budget budget{100};
  CHECK_FALSE(budget.try_take(101));
  CHECK(budget.held() == 0);
  CHECK(budget.peak() == 0);
}
