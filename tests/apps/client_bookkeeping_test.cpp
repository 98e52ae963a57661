// Tests the client's bookkeeping across failovers: the token cursor keeps a
// stream exactly-once when it resumes on another worker, the task ledger
// catches a second completion, and failed workers are avoided for a while.
#include <catch2/catch.hpp>

#include "recent_failures.hpp"
#include "task_ledger.hpp"
#include "token_cursor.hpp"

using namespace rpcnet::cli;
using namespace std::chrono_literals;
using verdict = token_cursor::verdict;

TEST_CASE("a stream resumed on another worker continues after the last token",
          "[token_cursor]") {
  token_cursor cursor{6};
  CHECK(cursor.accept(1) == verdict::accepted);
  CHECK(cursor.accept(2) == verdict::accepted);
  CHECK(cursor.accept(3) == verdict::accepted);
  // The worker dies; the next one is asked to start after token 3.
  CHECK(cursor.resume_after() == 3);
  // A worker that starts too early repeats tokens: they are dropped.
  CHECK(cursor.accept(3) == verdict::duplicate);
  CHECK(cursor.duplicates() == 1);
  CHECK(cursor.accept(4) == verdict::accepted);
  // One that skips ahead is refused and the cursor stays put.
  CHECK(cursor.accept(6) == verdict::gap);
  CHECK(cursor.resume_after() == 4);
  CHECK(cursor.accept(5) == verdict::accepted);
  CHECK_FALSE(cursor.complete());
  CHECK(cursor.accept(6) == verdict::accepted);
  CHECK(cursor.complete());
  CHECK(cursor.accept(7) == verdict::gap);
}

TEST_CASE("every task completes once, whoever completes it", "[task_ledger]") {
  task_ledger ledger{3};
  CHECK(ledger.current() == 1);
  CHECK(ledger.complete(1, "worker-a"));
  CHECK_FALSE(ledger.complete(1, "worker-b"));
  CHECK(ledger.rejected() == 1);
  CHECK(ledger.complete(2, "worker-b"));
  CHECK_FALSE(ledger.complete(7, "worker-b"));
  CHECK(ledger.complete(3, "worker-a"));
  CHECK(ledger.done());
  CHECK_FALSE(ledger.complete(4, "worker-a"));
  CHECK(ledger.by_worker() == std::map<std::string, uint64_t>{{"worker-a", 2}, {"worker-b", 1}});
  CHECK_FALSE(task_ledger{0}.done());
}

TEST_CASE("a failed worker is avoided until the memory passes", "[recent_failures]") {
  recent_failures failures{6s};
  auto t0 = recent_failures::clock::time_point{} + 100s;
  failures.add("a", t0);
  failures.add("b", t0 + 2s);
  failures.add("a", t0 + 3s);
  CHECK(failures.current(t0 + 4s) == std::vector<std::string>{"a", "b"});
  CHECK(failures.current(t0 + 8s) == std::vector<std::string>{"a"});
  CHECK(failures.current(t0 + 9s).empty());
}
