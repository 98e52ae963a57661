// Tests that what used to throw inside membership's actors now costs a
// datagram, a start or an event, never the actor: a datagram that cannot be
// encoded is counted and logged while the actor goes on answering and, once
// datagrams encode again, joins; sealing that fails inside the membership
// actor of a node in a cluster -- refused, or thrown and caught at the
// actor's boundary -- costs datagrams while it lasts, is counted and logged,
// and the node keeps its membership: nobody is declared failed and it
// gossips on once sealing works; a configuration the SWIM core refuses is an
// error of cluster_membership::start, not an actor that dies as it starts; an
// event callback that throws is logged and counted and still gets the next
// event.
#include <catch2/catch.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/membership/cluster_membership.hpp>
#include <rpcnet/transport/aead_keyring.hpp>
#include <rpcnet/transport/error.hpp>

#include "captured_log.hpp"
#include "eventually.hpp"
#include "gossip_codec.hpp"
#include "membership_spawn.hpp"

using namespace rpcnet;
using namespace std::chrono_literals;

namespace {

cluster_config node_config() {
  return cluster_config{}.with_bind_address("127.0.0.1:0").with_join_timeout(1s);
}

/// Asks `actor` and waits; the actor's answer or error.
template <class Result, class... Ts>
caf::expected<Result> ask(caf::actor_system& sys, const membership_actor& actor, Ts&&... xs) {
  caf::scoped_actor self{sys};
  caf::expected<Result> result = make_error(error::timeout, "no answer");
  self->request(actor, caf::timespan{10s}, std::forward<Ts>(xs)...)
    .receive([&](Result& value) { result = std::move(value); },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

bool logged(test::captured_log& log, log_level level, const std::string& text) {
  for (const auto& [at, line] : log.lines())
    if (at == level && line.find(text) != std::string::npos)
      return true;
  return false;
}

/// rpcnet_actor_exceptions_total{actor="<actor>"} in `metrics`, or -1.
double actor_exceptions(const metrics_registry& metrics, const std::string& actor) {
  auto page = metrics.expose();
  auto sample = "rpcnet_actor_exceptions_total{actor=\"" + actor + "\"} ";
  auto at = page.find(sample);
  return at == std::string::npos ? -1 : std::stod(page.substr(at + sample.size()));
}

/// How the test's sealer fails while it does.
enum class seal_fault { refuses, throws };

/// Seals as the node would, except that the next `failing` seals fail.
/// Called on the membership actor only.
struct faulty_sealer {
  seal_fault how;
  std::shared_ptr<std::atomic<int>> failing = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::atomic<int>> failed = std::make_shared<std::atomic<int>>(0);

  wire_steps steps() const {
    wire_steps wire;
    wire.seal = [how = how, failing = failing, failed = failed](
                  const aead_keyring& keys,
                  std::span<const uint8_t> plain) -> caf::expected<byte_buffer> {
      if (failing->load() <= 0)
        return keys.seal(plain);
      --*failing;
      ++*failed;
      if (how == seal_fault::throws)
        throw std::runtime_error("sealing broke in the test");
      return make_error(error::io, "sealing refused by the test");
    };
    return wire;
  }
};

/// Gossip every 200 ms, so that a few failed seals span several probes
/// while suspicions (5 s) outlast them.
cluster_config sealed_config(const aead_keyring::key& key) {
  return node_config()
    .with_gossip_interval(200ms)
    .with_probe_timeout(100ms)
    .with_cluster_key(key)
    .with_join_timeout(5s);
}

/// True if `view` holds `id` alive.
bool alive_in(const std::vector<member>& view, const node_id& id) {
  for (const auto& m : view)
    if (m.id == id)
      return m.state == member_state::alive;
  return false;
}

/// Proves that a node whose seals fail for a while keeps its membership.
void seals_fail_and_membership_holds(seal_fault how) {
  test::captured_log log;
  runtime rt;
  auto key = generate_cluster_key();
  REQUIRE(key);
  auto cfg = sealed_config(*key);
  auto seed = cluster_membership::start(rt.system(), cfg);
  REQUIRE(seed);
  // Every member declared failed or gone, by either node.
  auto lost = std::make_shared<std::atomic<int>>(0);
  auto count_losses = [lost](const membership_event& ev) {
    if (ev.what == membership_event::kind::failed || ev.what == membership_event::kind::left)
      ++*lost;
  };
  seed->on_event(count_losses);
  auto metrics = std::make_shared<metrics_registry>();
  faulty_sealer sealer{how};
  auto counted = cfg;
  counted.metrics = metrics;
  auto node = spawn_membership(rt.system(), counted, nullptr, sealer.steps());
  REQUIRE(node);
  auto recorder = rt.system().spawn(
    [](caf::event_based_actor*, std::function<void(const membership_event&)> f) -> caf::behavior {
      return {[f](const membership_event& ev) { f(ev); }};
    },
    std::function<void(const membership_event&)>{count_losses});
  caf::anon_send(*node, subscribe_atom::value, recorder);
  std::vector<std::string> seeds{seed->local_member().address};
  REQUIRE(ask<uint64_t>(rt.system(), *node, join_atom::value, seeds));
  auto local = ask<member>(rt.system(), *node, local_atom::value);
  REQUIRE(local);
  auto both_alive = [&] {
    auto view = ask<std::vector<member>>(rt.system(), *node, members_atom::value);
    return view && alive_in(*view, seed->local_node_id())
           && alive_in(seed->members(), local->id);
  };
  INFO("the nodes never saw each other alive");
  REQUIRE(test::eventually(both_alive, 10s));

  sealer.failing->store(8);
  INFO("the node sealed fewer than 8 datagrams");
  REQUIRE(test::eventually([&] { return sealer.failed->load() == 8; }, 10s));
  auto after_failures = ask<gossip_stats>(rt.system(), *node, stats_atom::value);
  REQUIRE(after_failures);
  if (how == seal_fault::refuses) {
    CHECK(after_failures->unsendable == 8);
    CHECK(logged(log, log_level::warn, "sealing refused by the test"));
    CHECK(actor_exceptions(*metrics, "membership") == 0);
  } else {
    CHECK(actor_exceptions(*metrics, "membership") == 8);
    CHECK(logged(log, log_level::error,
                 "membership: a handler threw (sealing broke in the test)"));
  }

  // Sealing works again: the node gossips on, its datagrams open at the
  // seed, and each still holds the other alive.
  auto seed_before = seed->stats();
  INFO("the node did not gossip on once sealing worked");
  CHECK(test::eventually(
    [&] {
      auto now = ask<gossip_stats>(rt.system(), *node, stats_atom::value);
      return now && now->datagrams_sent >= after_failures->datagrams_sent + 10
             && seed->stats().datagrams_received >= seed_before.datagrams_received + 10;
    },
    10s));
  CHECK(test::eventually(both_alive, 10s));
  CHECK(seed->stats().rejected_unauthenticated == 0);
  CHECK(lost->load() == 0);
  caf::anon_send_exit(*node, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(recorder, caf::exit_reason::user_shutdown);
}

} // namespace

TEST_CASE("a datagram the encoder refuses is counted and logged, and the membership actor "
          "lives on",
          "[membership_faults]") {
  test::captured_log log;
  runtime rt;
  auto seed = cluster_membership::start(rt.system(), node_config());
  REQUIRE(seed);
  auto refusing = std::make_shared<std::atomic<bool>>(true);
  wire_steps wire;
  wire.encode = [refusing](const gossip::datagram& dg) -> caf::expected<byte_buffer> {
    if (refusing->load())
      return make_error(error::protocol, "refused by the test");
    return gossip::encode(dg);
  };
  auto node = spawn_membership(rt.system(), node_config(), nullptr, wire);
  REQUIRE(node);
  std::vector<std::string> seeds{seed->local_member().address};

  // Nothing it sends leaves, so the seed never answers: the join times out,
  // and the answer proves the actor alive.
  auto failed = ask<uint64_t>(rt.system(), *node, join_atom::value, seeds);
  REQUIRE_FALSE(failed);
  CHECK(code_of(failed.error()) == error::timeout);
  auto stats = ask<gossip_stats>(rt.system(), *node, stats_atom::value);
  REQUIRE(stats);
  CHECK(stats->unsendable >= 1);
  CHECK(stats->datagrams_sent == 0);
  CHECK(logged(log, log_level::warn, "was not sent (protocol: refused by the test)"));

  // The same actor joins once its datagrams encode again.
  refusing->store(false);
  auto joined = ask<uint64_t>(rt.system(), *node, join_atom::value, seeds);
  REQUIRE(joined);
  CHECK(*joined == 1);
  caf::anon_send_exit(*node, caf::exit_reason::user_shutdown);
}

TEST_CASE("seals refused inside the membership actor cost datagrams, are counted and logged, "
          "and the node keeps its membership",
          "[membership_faults]") {
  seals_fail_and_membership_holds(seal_fault::refuses);
}

TEST_CASE("a seal that throws inside the membership actor is caught at its boundary, counted "
          "and logged, and the node keeps its membership",
          "[membership_faults]") {
  seals_fail_and_membership_holds(seal_fault::throws);
}

TEST_CASE("an advertise address the SWIM core refuses fails the start with a config error",
          "[membership_faults]") {
  runtime rt;
  // Parses as an address, but is not the one canonical spelling gossip
  // carries ("[::1]:7946"); the core used to throw on it inside the actor.
  auto node = cluster_membership::start(
    rt.system(), node_config().with_advertise_address("[0:0:0:0:0:0:0:1]:7946"));
  REQUIRE_FALSE(node);
  CHECK(code_of(node.error()) == error::config);
  CHECK(message_of(node.error()).find("canonical") != std::string::npos);
}

TEST_CASE("an event callback that throws is logged and counted, and the next event still comes",
          "[membership_faults]") {
  test::captured_log log;
  runtime rt;
  auto counted = node_config();
  counted.metrics = std::make_shared<metrics_registry>();
  auto seed = cluster_membership::start(rt.system(), counted);
  REQUIRE(seed);
  auto events = std::make_shared<std::atomic<int>>(0);
  seed->on_event([events](const membership_event&) {
    ++*events;
    throw std::runtime_error("callback broke");
  });
  std::vector<std::string> seeds{seed->local_member().address};
  auto b = cluster_membership::start(rt.system(), node_config());
  auto c = cluster_membership::start(rt.system(), node_config());
  REQUIRE(b);
  REQUIRE(c);
  REQUIRE_FALSE(b->join(seeds));
  REQUIRE_FALSE(c->join(seeds));
  // Two joins, two events: the callback outlived its first exception.
  CHECK(test::eventually([&] { return events->load() >= 2; }, 10s));
  CHECK(logged(log, log_level::error, "membership_events: a handler threw (callback broke)"));
  CHECK(actor_exceptions(*counted.metrics, "membership_events") == events->load());
}
