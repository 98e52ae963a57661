// Tests the client's bookkeeping across failovers: the token cursor keeps a
// stream exactly-once when it resumes on another worker, the task ledger
// catches a second completion, and the director in use is told of exactly
// the calls it counted.
#include <catch2/catch.hpp>

#include "assigned_calls.hpp"
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

TEST_CASE("a director is told of the calls it assigned as they end, never more",
          "[assigned_calls]") {
  assigned_calls calls;
  calls.assigned("a");
  calls.assigned("a");
  calls.assigned("b");
  CHECK(calls.counted("a") == 2);
  // Two calls ended on a in one report: both are released.
  CHECK(calls.ended("a", 2) == 2);
  CHECK(calls.counted("a") == 0);
  // More ends than assignments (a call the director in use did not count):
  // only what it counted.
  CHECK(calls.ended("b", 3) == 1);
  CHECK(calls.ended("c", 1) == 0);
  CHECK(calls.take_all().empty());
}

TEST_CASE("a director that took over is not told of the last one's calls, and what is still "
          "counted at the end is released at once",
          "[assigned_calls]") {
  assigned_calls calls;
  calls.assigned("a");
  calls.forget(); // the director failed; another one is asked from now on
  CHECK(calls.ended("a", 1) == 0);
  calls.assigned("a");
  calls.assigned("b");
  calls.assigned("b");
  // An assignment no call began on (the worker was unreachable) is never
  // reported ended: the end of the run releases it.
  CHECK(calls.take_all() == std::map<std::string, uint32_t>{{"a", 1}, {"b", 2}});
  CHECK(calls.counted("b") == 0);
}
