// Membership given host names on real UDP: a node joins through a seed
// written "localhost:<port>", binds and advertises "localhost:<port>" and
// gossips the numeric address it resolved, skips a seed whose name does not
// resolve while another does, and fails a join at once when none resolves.
// The membership actor itself takes numeric seeds only: it must never
// block on a look-up.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <caf/scoped_actor.hpp>

#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/membership/cluster_membership.hpp>
#include <rpcnet/transport/error.hpp>
#include <rpcnet/transport/socket_address.hpp>

#include "eventually.hpp"

using namespace rpcnet;
using namespace std::chrono_literals;

namespace {

cluster_config node_config() {
  return cluster_config{}.with_bind_address("127.0.0.1:0").with_join_timeout(5s);
}

/// "localhost:<port>" of a node bound to 127.0.0.1.
std::string by_name(const cluster_membership& node) {
  auto addr = socket_address::parse(node.local_member().address);
  REQUIRE(addr);
  return "localhost:" + std::to_string(addr->port());
}

bool knows(const cluster_membership& node, const node_id& id) {
  for (const auto& m : node.members())
    if (m.id == id && m.state == member_state::alive)
      return true;
  return false;
}

} // namespace

TEST_CASE("a node joins through a seed given as localhost:<port>", "[host_names]") {
  runtime rt;
  auto seed = cluster_membership::start(rt.system(), node_config());
  REQUIRE(seed);
  auto joiner = cluster_membership::start(rt.system(), node_config());
  REQUIRE(joiner);
  auto err = joiner->join({by_name(*seed)});
  INFO((err ? describe(err) : std::string{"joined"}));
  REQUIRE_FALSE(err);
  CHECK(knows(*joiner, seed->local_node_id()));
  INFO("the seed never saw the joiner as alive");
  CHECK(test::eventually([&] { return knows(*seed, joiner->local_node_id()); }));
}

TEST_CASE("a node binds and advertises localhost:<port> and gossips the numeric address",
          "[host_names]") {
  runtime rt;
  auto bound =
    cluster_membership::start(rt.system(), node_config().with_bind_address("localhost:0"));
  REQUIRE(bound);
  auto addr = socket_address::parse(bound->local_member().address);
  REQUIRE(addr);
  CHECK(addr->to_string().rfind("127.0.0.1:", 0) == 0);

  auto advertised = cluster_membership::start(
    rt.system(), node_config().with_advertise_address("localhost:7946"));
  REQUIRE(advertised);
  CHECK(advertised->local_member().address == "127.0.0.1:7946");

  auto nowhere = cluster_membership::start(
    rt.system(), node_config().with_advertise_address("nowhere.invalid:7946"));
  REQUIRE_FALSE(nowhere);
  CHECK(code_of(nowhere.error()) == error::config);
  CHECK(message_of(nowhere.error())
        == "advertise_address: cannot resolve 'nowhere.invalid': Name or service not known");
}

TEST_CASE("a seed whose name does not resolve is skipped while another seed answers",
          "[host_names]") {
  runtime rt;
  auto seed = cluster_membership::start(rt.system(), node_config());
  REQUIRE(seed);
  auto joiner = cluster_membership::start(rt.system(), node_config());
  REQUIRE(joiner);
  REQUIRE_FALSE(joiner->join({"gone.invalid:7946", by_name(*seed)}));
  CHECK(knows(*joiner, seed->local_node_id()));
}

TEST_CASE("a join fails at once with connection when no seed resolves, and with config for "
          "a malformed seed",
          "[host_names]") {
  runtime rt;
  auto node = cluster_membership::start(rt.system(), node_config());
  REQUIRE(node);
  auto start = std::chrono::steady_clock::now();
  auto err = node->join({"a.invalid:7946", "b.invalid:7946"});
  REQUIRE(err);
  CHECK(code_of(err) == error::connection);
  CHECK(message_of(err)
        == "join: no seed resolves: cannot resolve 'a.invalid': Name or service not known; "
           "cannot resolve 'b.invalid': Name or service not known");
  // Well within the 5 s join timeout: nothing was waited out.
  CHECK(test::elapsed_ms(start) < 1000);
  auto malformed = node->join({"localhost"});
  REQUIRE(malformed);
  CHECK(code_of(malformed) == error::config);
  CHECK(message_of(malformed) == "join: seed 'localhost' is not a host:port (it has no ':port')");
}

TEST_CASE("the membership actor refuses a seed that is a name instead of resolving it",
          "[host_names]") {
  runtime rt;
  auto node = cluster_membership::start(rt.system(), node_config());
  REQUIRE(node);
  caf::scoped_actor self{rt.system()};
  caf::error refused;
  self->request(node->actor(), caf::timespan{10s}, join_atom::value,
                std::vector<std::string>{"localhost:7946"})
    .receive([](uint64_t) {}, [&](caf::error& err) { refused = std::move(err); });
  REQUIRE(refused);
  CHECK(code_of(refused) == error::config);
  CHECK(message_of(refused).find("seed 'localhost:7946' is not a numeric host:port")
        != std::string::npos);
}

TEST_CASE("cluster_config accepts names for its addresses and refuses malformed ones",
          "[host_names]") {
  CHECK_FALSE(cluster_config{}.with_bind_address("localhost:7946").validate());
  CHECK_FALSE(cluster_config{}.with_advertise_address("node-1.cluster.internal:7946").validate());
  auto err = cluster_config{}
               .with_bind_address("localhost")
               .with_advertise_address("[node-1]:7946")
               .validate();
  REQUIRE(err);
  CHECK(code_of(err) == error::config);
  CHECK(message_of(err)
        == "invalid cluster_config: bind_address 'localhost' is not a host:port (it has no "
           "':port'); advertise_address '[node-1]:7946' is not a host:port (the brackets do "
           "not hold an IPv6 address)");
}
