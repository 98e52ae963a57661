// Tests that what used to throw inside membership's actors now costs a
// datagram, a start or an event, never the actor: a datagram that cannot be
// encoded (or sealed) is counted and logged while the actor goes on
// answering and, once datagrams encode again, joins; a configuration the
// SWIM core refuses is an error of cluster_membership::start, not an actor
// that dies as it starts; an event callback that throws is logged and still
// gets the next event.
#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>

#include <caf/scoped_actor.hpp>

#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/membership/cluster_membership.hpp>
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

} // namespace

TEST_CASE("a datagram the encoder refuses is counted and logged, and the membership actor "
          "lives on",
          "[membership_faults]") {
  test::captured_log log;
  runtime rt;
  auto seed = cluster_membership::start(rt.system(), node_config());
  REQUIRE(seed);
  auto refusing = std::make_shared<std::atomic<bool>>(true);
  datagram_encoder encoder = [refusing](const gossip::datagram& dg) -> caf::expected<byte_buffer> {
    if (refusing->load())
      return make_error(error::protocol, "refused by the test");
    return gossip::encode(dg);
  };
  auto node = spawn_membership(rt.system(), node_config(), nullptr, encoder);
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
  bool logged = false;
  for (const auto& [level, line] : log.lines())
    logged |= level == log_level::warn && line.find("was not sent") != std::string::npos
              && line.find("refused by the test") != std::string::npos;
  CHECK(logged);

  // The same actor joins once its datagrams encode again.
  refusing->store(false);
  auto joined = ask<uint64_t>(rt.system(), *node, join_atom::value, seeds);
  REQUIRE(joined);
  CHECK(*joined == 1);
  caf::anon_send_exit(*node, caf::exit_reason::user_shutdown);
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

TEST_CASE("an event callback that throws is logged, and the next event still comes",
          "[membership_faults]") {
  test::captured_log log;
  runtime rt;
  auto seed = cluster_membership::start(rt.system(), node_config());
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
  bool logged = false;
  for (const auto& [level, line] : log.lines())
    logged |= level == log_level::error
              && line.find("membership event callback threw: callback broke") != std::string::npos;
  CHECK(logged);
}
