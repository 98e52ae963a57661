// Tests that an exception thrown by an actor's handler costs that message and
// never the actor (actor_boundary.hpp): a request whose handler throws gets
// error::remote naming the actor and the exception, the throw is counted in
// rpcnet_actor_exceptions_total{actor} and logged, and the same actor answers
// the next request -- for typed and untyped behaviors, for messages nobody
// waits on and for the actor's own timers. What throws outside the guarded
// handlers (here a down handler) still ends the actor, but logged, counted
// and with error::remote as its exit reason. The threads that work for the
// server's actors -- the handler pool, the deadline watcher -- and a call's
// cancellation callbacks go on past what one task throws as well.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/transport/actor_boundary.hpp>
#include <rpcnet/transport/error.hpp>

#include "call_context_state.hpp"
#include "captured_log.hpp"
#include "deadline_watcher.hpp"
#include "eventually.hpp"
#include "handler_pool.hpp"

using namespace rpcnet;
using namespace std::chrono_literals;

namespace {

/// Halves even numbers; throws on odd ones. (put_atom, n) throws on odd n
/// too, and a (put_atom, n) the actor sends itself (its "timer") as well.
using halver = caf::typed_actor<caf::replies_to<caf::get_atom, int>::with<int>,
                                caf::reacts_to<caf::put_atom, int>,
                                caf::replies_to<caf::ok_atom>::with<int>>;

struct halver_state {
  int puts = 0;
};

int half(int n) {
  if (n % 2 != 0)
    throw std::invalid_argument("odd: " + std::to_string(n));
  return n / 2;
}

halver::behavior_type halving(halver::stateful_pointer<halver_state> self,
                              actor_boundary boundary) {
  return boundary.behavior<halver::behavior_type>(
    self, [](caf::get_atom, int n) { return half(n); },
    [self](caf::put_atom, int n) {
      half(n);
      ++self->state.puts;
    },
    [self](caf::ok_atom) -> caf::result<int> { return self->state.puts; });
}

/// The counter of `actor` in `metrics`.
double counted(metrics_registry& metrics, const std::string& actor) {
  auto page = metrics.expose();
  auto sample = "rpcnet_actor_exceptions_total{actor=\"" + actor + "\"} ";
  auto at = page.find(sample);
  if (at == std::string::npos)
    return -1;
  return std::stod(page.substr(at + sample.size()));
}

template <class Actor, class Result, class... Ts>
caf::expected<Result> ask(caf::actor_system& sys, const Actor& actor, Ts... xs) {
  caf::scoped_actor self{sys};
  caf::expected<Result> result = make_error(error::timeout, "no answer");
  self->request(actor, caf::timespan{5s}, xs...)
    .receive([&](Result& value) { result = std::move(value); },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

/// What the tests watch: the log, and a registry their boundaries count in.
struct watched {
  test::captured_log log;
  runtime rt;
  std::shared_ptr<metrics_registry> metrics = std::make_shared<metrics_registry>();
};

bool logged(test::captured_log& log, const std::string& text) {
  for (const auto& [level, line] : log.lines())
    if (level == log_level::error && line.find(text) != std::string::npos)
      return true;
  return false;
}

} // namespace

TEST_CASE_METHOD(watched,
                 "a request whose handler throws gets a remote error, is counted and logged, "
                 "and the actor answers the next request",
                 "[actor_boundary]") {
  actor_boundary boundary{"halver", metrics};
  // The series is there before anything threw.
  CHECK(counted(*metrics, "halver") == 0);
  auto actor = rt.system().spawn(halving, boundary);

  auto failed = ask<halver, int>(rt.system(), actor, caf::get_atom::value, 3);
  REQUIRE_FALSE(failed);
  CHECK(code_of(failed.error()) == error::remote);
  CHECK(message_of(failed.error()) == "halver failed: odd: 3");
  CHECK(counted(*metrics, "halver") == 1);
  CHECK(boundary.exceptions() == 1);
  CHECK(logged(log, "halver: a handler threw (odd: 3); halver goes on"));

  // A handler without a result answers a request's failure too.
  caf::scoped_actor self{rt.system()};
  caf::error put_failed;
  self->request(actor, caf::timespan{5s}, caf::put_atom::value, 5)
    .receive([] {}, [&](caf::error& err) { put_failed = std::move(err); });
  CHECK(message_of(put_failed) == "halver failed: odd: 5");
  CHECK(counted(*metrics, "halver") == 2);

  auto next = ask<halver, int>(rt.system(), actor, caf::get_atom::value, 8);
  REQUIRE(next);
  CHECK(*next == 4);
  CHECK(counted(*metrics, "halver") == 2);
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}

TEST_CASE("a message nobody waits on whose handler throws costs only itself, as does the "
          "actor's own timer",
          "[actor_boundary]") {
  runtime rt;
  actor_boundary boundary{"halver"};
  auto actor = rt.system().spawn(halving, boundary);
  caf::anon_send(actor, caf::put_atom::value, 1);
  caf::anon_send(actor, caf::put_atom::value, 2);
  // Sent, not requested: a reply would be a message of its own.
  caf::scoped_actor self{rt.system()};
  self->send(actor, caf::get_atom::value, 3);
  // An error sent back to the actor itself would end it (CAF's default
  // error handler): a timer that throws must answer nothing.
  auto untyped = caf::actor_cast<caf::actor>(actor);
  caf::send_as(untyped, untyped, caf::get_atom::value, 7);
  CHECK(test::eventually([&] { return boundary.exceptions() == 3; }));
  auto puts = ask<halver, int>(rt.system(), actor, caf::ok_atom::value);
  REQUIRE(puts);
  CHECK(*puts == 1);
  // Nothing came back to the sender of the message that failed.
  bool answered = false;
  self->receive([&](caf::error&) { answered = true; }, [&](int) { answered = true; },
                caf::after(std::chrono::milliseconds{50}) >> [] {});
  CHECK_FALSE(answered);
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}

TEST_CASE("an untyped actor's guarded handlers and response handlers survive what they throw",
          "[actor_boundary]") {
  runtime rt;
  actor_boundary boundary{"relay"};
  auto target = rt.system().spawn(halving, actor_boundary{"halver"});
  auto relay = rt.system().spawn(
    [](caf::event_based_actor* self, actor_boundary b, halver to) -> caf::behavior {
      return b.behavior<caf::behavior>(
        self, [](std::string& text) -> std::string { throw std::runtime_error(text); },
        [self, b, to](caf::get_atom, int n) {
          // The answer comes back in a response handler, which throws on
          // a result it does not like.
          self->request(to, caf::infinite, caf::get_atom::value, n)
            .then(b.guard(self, [](int halved) {
              if (halved == 1)
                throw std::runtime_error("one");
            }));
        });
    },
    boundary, target);
  auto failed = ask<caf::actor, std::string>(rt.system(), relay, std::string{"broken"});
  REQUIRE_FALSE(failed);
  CHECK(message_of(failed.error()) == "relay failed: broken");
  caf::anon_send(relay, caf::get_atom::value, 2);
  CHECK(test::eventually([&] { return boundary.exceptions() == 2; }));
  auto again = ask<caf::actor, std::string>(rt.system(), relay, std::string{"again"});
  REQUIRE_FALSE(again);
  CHECK(message_of(again.error()) == "relay failed: again");
  CHECK(boundary.exceptions() == 3);
  caf::anon_send_exit(relay, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(target, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(watched,
                 "what throws outside the guarded handlers ends the actor, logged, counted and "
                 "with a remote error as its reason",
                 "[actor_boundary]") {
  actor_boundary boundary{"watcher", metrics};
  auto watched = rt.system().spawn(halving, actor_boundary{"halver"});
  auto watcher = rt.system().spawn(
    [](caf::event_based_actor* self, actor_boundary b, halver other) -> caf::behavior {
      self->monitor(other);
      self->set_down_handler([](caf::down_msg&) { throw std::runtime_error("down"); });
      return b.behavior<caf::behavior>(self, [](caf::ok_atom) {});
    },
    boundary, watched);
  caf::scoped_actor self{rt.system()};
  self->monitor(watcher);
  caf::anon_send_exit(watched, caf::exit_reason::user_shutdown);
  caf::error reason;
  self->receive([&](caf::down_msg& down) { reason = down.reason; });
  CHECK(code_of(reason) == error::remote);
  CHECK(message_of(reason) == "watcher exited: down");
  CHECK(counted(*metrics, "watcher") == 1);
  CHECK(logged(log, "watcher: a handler threw (down); watcher exits"));
}

TEST_CASE_METHOD(watched,
                 "a handler pool task that throws is logged and counted, and its thread takes "
                 "the next task",
                 "[actor_boundary]") {
  // One thread: the task after the one that threw runs on the same thread.
  handler_pool pool{handler_pool::limits{1, std::chrono::milliseconds{10'000}},
                    actor_boundary{"handler_pool", metrics}};
  std::atomic<int> ran{0};
  REQUIRE(pool.post([] { throw std::runtime_error("task broke"); }));
  REQUIRE(pool.post([&] { ++ran; }));
  CHECK(test::eventually([&] { return ran.load() == 1; }));
  CHECK(counted(*metrics, "handler_pool") == 1);
  CHECK(logged(log, "handler_pool: a handler threw (task broke); handler_pool goes on"));
}

TEST_CASE("a deadline callback that throws is logged and counted, and later deadlines still "
          "fire",
          "[actor_boundary]") {
  actor_boundary boundary{"deadline_watcher"};
  deadline_watcher watcher{boundary};
  std::atomic<int> fired{0};
  auto now = deadline_watcher::clock::now();
  watcher.watch(now + 10ms, [] { throw std::runtime_error("deadline broke"); });
  watcher.watch(now + 30ms, [&] { ++fired; });
  CHECK(test::eventually([&] { return fired.load() == 1; }));
  CHECK(boundary.exceptions() == 1);
}

TEST_CASE("a cancellation callback that throws is logged, and the call's other callbacks still "
          "run",
          "[actor_boundary]") {
  test::captured_log log;
  auto ctx = make_call_context("m", {}, std::nullopt, {}, nullptr);
  std::atomic<int> ran{0};
  auto first = ctx.on_cancel([&] {
    ++ran;
    throw std::runtime_error("callback broke");
  });
  auto second = ctx.on_cancel([&] { ++ran; });
  CHECK(ctx.shared_state()->cancel(make_error(error::cancelled, "test")));
  CHECK(ran.load() == 2);
  CHECK(logged(log, "cancel_callback: a handler threw (callback broke)"));
}
