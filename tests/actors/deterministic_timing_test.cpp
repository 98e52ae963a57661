// Timing under CAF's test_coordinator: an in-process client and server in
// one actor system whose scheduler and clock the test steps, so a deadline
// is checked at the exact instant it falls rather than raced against a
// wall clock. Everything here runs on the test's thread: the service is an
// actor, the client's caller is an actor, and the in-process transport has
// no thread of its own. The call's timeout is long in real time, so the
// server's deadline watcher (a real thread) never fires during a case.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <optional>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include <rpcnet/actors/in_process.hpp>
#include <rpcnet/rpcnet.hpp>

#include "catch_printers.hpp"

using namespace rpcnet;
using namespace std::chrono_literals;

namespace {

/// How a call ended, once it did.
struct outcome {
  std::optional<caf::error> error; // set (possibly empty) once the call ended
  byte_buffer reply;
};

/// A system on the deterministic scheduler, with rpcnet's error category.
struct stepped_system {
  stepped_system() : cfg(1), sys(with_testing_policy(cfg)) {
  }

  static runtime_config& with_testing_policy(runtime_config& c) {
    c.set("scheduler.policy", caf::atom("testing"));
    return c;
  }

  caf::scheduler::test_coordinator& sched() {
    return dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  }

  runtime_config cfg;
  caf::actor_system sys;
};

/// Answers the call it holds only when sent the reply's one byte. Untyped,
/// so the test can send it that; the server sees it as a service_actor.
struct holding_state {
  caf::response_promise held;
};

caf::behavior holding_service(caf::stateful_actor<holding_state>* self, int /*unused*/) {
  return {
    [self](call_atom, std::string&, byte_buffer&) {
      self->state.held = self->make_response_promise();
      return self->state.held;
    },
    [self](uint8_t reply) { self->state.held.deliver(byte_buffer{reply}); },
  };
}

/// Makes one call through `client` and records how it ended.
caf::behavior caller(caf::event_based_actor* self, rpc_client_actor client,
                     std::shared_ptr<outcome> result, caf::timespan timeout) {
  self->request(client, caf::infinite, call_atom::value, std::string{"hold"}, byte_buffer{},
                timeout)
    .then([result](byte_buffer& reply) {
      result->error = caf::error{};
      result->reply = std::move(reply);
    },
          [result](caf::error& err) { result->error = std::move(err); });
  return {[](int) {}};
}

/// A server whose "hold" service keeps its one call, an in-process client,
/// and that call made with a 10 s timeout, all run until idle. Everything is
/// torn down on the stepped scheduler before the system goes.
struct held_call {
  held_call() {
    server.emplace(s.sys, rpc_config{});
    service = s.sys.spawn(holding_service, 0);
    server->register_actor("hold", caf::actor_cast<service_actor>(service));
    auto connected = testing::spawn_in_process_client(s.sys, *server);
    REQUIRE(connected);
    client = std::move(*connected);
    call = s.sys.spawn(caller, client, result, caf::timespan{10s});
    sched().run();
  }

  ~held_call() {
    for (auto& actor : {caf::actor_cast<caf::actor>(client), call, service})
      caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    server->stop(std::chrono::milliseconds{0});
    sched().run();
    server.reset();
    sched().run();
  }

  caf::scheduler::test_coordinator& sched() {
    return s.sched();
  }

  /// Moves the clock on by `delta` and runs what that made due.
  void advance(caf::timespan delta) {
    sched().advance_time(delta);
    sched().run();
  }

  stepped_system s;
  std::optional<rpc_server> server;
  caf::actor service;
  rpc_client_actor client;
  caf::actor call;
  std::shared_ptr<outcome> result = std::make_shared<outcome>();
};

} // namespace

TEST_CASE("a call's timeout falls at its deadline on the stepped clock", "[deterministic]") {
  held_call f;
  // The call reached the service, which holds it: nothing ended.
  REQUIRE_FALSE(f.result->error);
  CHECK(f.server->in_flight() == 1);
  // Not before: the server's own wait for the service is the client's
  // deadline less the real time the call took to reach it, a few stepped
  // milliseconds early on a loaded or sanitized machine, never 100.
  f.advance(9'900ms);
  CHECK_FALSE(f.result->error);
  f.advance(100ms);
  REQUIRE(f.result->error);
  CHECK(code_of(*f.result->error) == error::timeout);
  // The server let the call go: its own wait for the service timed out at
  // the same instant, or the client's reset made it give the call up.
  CHECK(f.server->in_flight() == 0);
}

TEST_CASE("a reply that comes before the deadline wins and the late timer changes nothing",
          "[deterministic]") {
  held_call f;
  // The server's deadline is the client's less the real time the call took
  // to reach it (a wire deadline is a remaining time), so on a loaded or
  // sanitized machine it falls a few stepped milliseconds early: the reply
  // comes 100 ms before the client's deadline, not in its last one.
  f.advance(9'900ms);
  REQUIRE_FALSE(f.result->error);
  // The service answers just before the deadline...
  caf::anon_send(f.service, uint8_t{42});
  f.sched().run();
  REQUIRE(f.result->error);
  CHECK_FALSE(*f.result->error);
  CHECK(f.result->reply == byte_buffer{42});
  // ...and the timer that then falls finds nothing to fail.
  f.advance(100ms);
  CHECK_FALSE(*f.result->error);
  CHECK(f.server->abandoned_calls() == 0);
}
