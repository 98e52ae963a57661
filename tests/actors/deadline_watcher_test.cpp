// Tests the server's deadline watcher: callbacks run at their deadlines in
// deadline order, a forgotten deadline never fires, and a callback may drop
// the last reference to the watcher itself.
#include <catch2/catch.hpp>

#include <mutex>
#include <vector>

#include "deadline_watcher.hpp"
#include "handler_sync.hpp"

using namespace std::chrono_literals;
using rpcnet::deadline_watcher;
using rpcnet::test::arrivals;

TEST_CASE("deadlines fire in their order, not in the order they were watched",
          "[deadline_watcher]") {
  deadline_watcher watcher;
  std::mutex mtx;
  std::vector<int> order;
  arrivals fired;
  auto now = deadline_watcher::clock::now();
  for (auto [n, after] : {std::pair{1, 60ms}, std::pair{2, 20ms}, std::pair{3, 40ms}})
    watcher.watch(now + after, [&, n = n] {
      {
        std::lock_guard<std::mutex> guard{mtx};
        order.push_back(n);
      }
      fired.arrive();
    });
  REQUIRE(fired.wait_for(3, 5s));
  std::lock_guard<std::mutex> guard{mtx};
  CHECK(order == std::vector<int>{2, 3, 1});
  CHECK(deadline_watcher::clock::now() >= now + 60ms);
  CHECK(watcher.size() == 0);
}

TEST_CASE("a forgotten deadline never fires", "[deadline_watcher]") {
  deadline_watcher watcher;
  arrivals fired;
  auto now = deadline_watcher::clock::now();
  auto forgotten = watcher.watch(now + 10ms, [&] { fired.arrive(); });
  watcher.watch(now + 50ms, [&] { fired.arrive(); });
  watcher.forget(forgotten);
  CHECK(watcher.size() == 1);
  REQUIRE(fired.wait_for(1, 5s));
  // The later one fired; had the forgotten one, the count would be 2.
  CHECK(fired.count() == 1);
}

TEST_CASE("a callback may drop the last reference to its watcher", "[deadline_watcher]") {
  auto watcher = std::make_shared<deadline_watcher>();
  arrivals done;
  auto* raw = watcher.get();
  raw->watch(deadline_watcher::clock::now() + 5ms, [&done, keep = watcher]() mutable {
    keep.reset();
    done.arrive();
  });
  watcher.reset(); // the callback's capture is the last reference
  REQUIRE(done.wait_for(1, 5s));
}
