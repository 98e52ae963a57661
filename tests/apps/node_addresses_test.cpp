// Tests of what an operator may give as a node's addresses: a wildcard bind
// needs an advertise address, which takes the bind port when it has none,
// must be reachable (no wildcard), have a port and the bind's family; and
// the lists of directors or seeds, whose items may be join tokens.
#include <catch2/catch.hpp>

#include <algorithm>

#include <rpcnet/transport/error.hpp>

#include "join_token.hpp"
#include "node_addresses.hpp"

using namespace rpcnet;
using namespace rpcnet::cli;

namespace {

constexpr env_option bind_flag{"--bind", "WORKER_ADDR", ""};

/// The interfaces of a host the tests make up: loopback, a LAN address and
/// an IPv6 one.
const std::vector<socket_address> host_addresses{
  *socket_address::parse("127.0.0.1:0"), *socket_address::parse("10.1.2.3:0"),
  *socket_address::parse("[::1]:0"), *socket_address::parse("[fd00::5]:0")};

caf::expected<node_addresses> addresses(std::string_view bind, std::string_view advertise) {
  return parse_node_addresses(bind_flag, bind, advertise, host_addresses);
}

std::string error_of(const caf::expected<node_addresses>& addrs) {
  REQUIRE_FALSE(addrs);
  return message_of(addrs.error());
}

std::vector<uint8_t> key_of(uint8_t fill) {
  return std::vector<uint8_t>(32, fill);
}

} // namespace

TEST_CASE("a node binds and advertises one address unless told otherwise", "[addresses]") {
  auto plain = addresses("127.0.0.1:7000", "");
  REQUIRE(plain);
  CHECK(plain->bind.to_string() == "127.0.0.1:7000");
  CHECK(plain->advertise.to_string() == "127.0.0.1:7000");
  auto named = addresses("localhost:7000", "localhost");
  REQUIRE(named);
  CHECK(named->advertise.to_string() == "127.0.0.1:7000");
}

TEST_CASE("a wildcard bind needs an advertise address which takes the bind port",
          "[addresses]") {
  CHECK(error_of(addresses("0.0.0.0:7000", ""))
        == "invalid --advertise / RPCNET_ADVERTISE: required when --bind is the wildcard "
           "0.0.0.0:7000: give the address other nodes reach this one at, e.g. --advertise "
           "10.0.0.5");
  CHECK(error_of(addresses("[::]:7000", "")).find("[::]:7000")
        != std::string::npos);
  auto v4 = addresses("0.0.0.0:7000", "10.1.2.3");
  REQUIRE(v4);
  CHECK(v4->bind.to_string() == "0.0.0.0:7000");
  CHECK(is_wildcard(v4->bind));
  CHECK(v4->advertise.to_string() == "10.1.2.3:7000");
  auto v6 = addresses("[::]:7000", "[fd00::5]");
  REQUIRE(v6);
  CHECK(v6->advertise.to_string() == "[fd00::5]:7000");
  auto v6_port = addresses("[::]:7000", "[fd00::5]:7000");
  REQUIRE(v6_port);
  CHECK(v6_port->advertise.port() == 7000);
}

TEST_CASE("this host's own interfaces are found", "[addresses]") {
  auto local = local_interface_addresses();
  CHECK(std::any_of(local.begin(), local.end(),
                    [](const socket_address& a) { return a.host() == "127.0.0.1"; }));
}

TEST_CASE("an advertise address nobody can reach is refused", "[addresses]") {
  CHECK(error_of(addresses("0.0.0.0:7000", "0.0.0.0")).find("wildcard")
        != std::string::npos);
  CHECK(error_of(addresses("0.0.0.0:0", "10.1.2.3"))
          .find("port 0 is not known before binding")
        != std::string::npos);
  // Addresses that are not this node's: its peers would send elsewhere.
  CHECK(error_of(addresses("0.0.0.0:7000", "10.9.9.9"))
        == "invalid --advertise / RPCNET_ADVERTISE: '10.9.9.9:7000' is not an address of this "
           "host: the other nodes would send to somebody else");
  CHECK(error_of(addresses("0.0.0.0:7000", "10.1.2.3:8000")).find("the ports differ")
        != std::string::npos);
  CHECK(error_of(addresses("127.0.0.1:7000", "10.1.2.3"))
          .find("is not where --bind 127.0.0.1:7000 receives")
        != std::string::npos);
  CHECK(error_of(addresses("0.0.0.0:7000", "[fd00::5]"))
          .find("is not of the family of --bind 0.0.0.0:7000")
        != std::string::npos);
  CHECK(error_of(addresses("0.0.0.0:7000", "nowhere.invalid"))
          .find("invalid --advertise / RPCNET_ADVERTISE value 'nowhere.invalid:7000'")
        != std::string::npos);
  CHECK(error_of(addresses("0.0.0.0:7000", "10.1.2.3:99999"))
          .find("--advertise")
        != std::string::npos);
}

TEST_CASE("a list of directors is resolved in order and refuses empty items and repeats",
          "[addresses]") {
  constexpr env_option directors{"--director", "DIRECTOR_ADDR", ""};
  auto list = parse_address_list(directors, "127.0.0.1:1,localhost:2,[::1]:3");
  REQUIRE(list);
  REQUIRE(list->size() == 3);
  CHECK((*list)[0].to_string() == "127.0.0.1:1");
  CHECK((*list)[1].to_string() == "127.0.0.1:2");
  CHECK((*list)[2].to_string() == "[::1]:3");
  CHECK(describe_addresses(*list) == "127.0.0.1:1, 127.0.0.1:2 and [::1]:3");
  CHECK(to_strings(*list) == std::vector<std::string>{"127.0.0.1:1", "127.0.0.1:2", "[::1]:3"});
  for (auto bad : {"", "127.0.0.1:1,", ",127.0.0.1:1", "127.0.0.1:1,,127.0.0.1:2",
                   "127.0.0.1:1,127.0.0.1:1", "127.0.0.1:1,nowhere"}) {
    INFO(bad);
    auto refused = parse_address_list(directors, bad);
    REQUIRE_FALSE(refused);
    CHECK(message_of(refused.error()).find("--director / DIRECTOR_ADDR") != std::string::npos);
  }
  std::string many;
  for (int i = 1; i <= 17; ++i)
    many += (i > 1 ? "," : "") + std::string{"127.0.0.1:"} + std::to_string(i);
  CHECK_FALSE(parse_address_list(directors, many));
}

TEST_CASE("a --join list mixes join tokens and addresses and takes the tokens' one key",
          "[addresses]") {
  auto a = format_join_token({*socket_address::parse("127.0.0.1:61000"), key_of(1)});
  auto b = format_join_token({*socket_address::parse("127.0.0.1:61001"), key_of(1)});
  auto joined = parse_join_list(a + ",127.0.0.1:61002," + b);
  REQUIRE(joined);
  CHECK(to_strings(joined->seeds)
        == std::vector<std::string>{"127.0.0.1:61000", "127.0.0.1:61002", "127.0.0.1:61001"});
  REQUIRE(joined->key);
  CHECK(*joined->key == key_of(1));
  auto plain = parse_join_list("127.0.0.1:61000");
  REQUIRE(plain);
  CHECK_FALSE(plain->key);
  // Two clusters' tokens in one list: one of them is a mistake.
  auto other = format_join_token({*socket_address::parse("127.0.0.1:61003"), key_of(2)});
  auto mixed = parse_join_list(a + "," + other);
  REQUIRE_FALSE(mixed);
  auto why = message_of(mixed.error());
  CHECK(why.find("item 2 carries another cluster key") != std::string::npos);
  CHECK(why.find(other) == std::string::npos); // a token is a secret
  // A cut token in a list says which item; alone it is the token's error.
  auto cut = a.substr(0, a.size() - 3);
  auto listed = parse_join_list("127.0.0.1:61002," + cut);
  REQUIRE_FALSE(listed);
  CHECK(message_of(listed.error()).find("(--join item 2)") != std::string::npos);
  CHECK(message_of(listed.error()).find(cut) == std::string::npos);
  auto alone = parse_join_list(cut);
  REQUIRE_FALSE(alone);
  CHECK(message_of(alone.error()).rfind("invalid --join token: ", 0) == 0);
  CHECK_FALSE(parse_join_list(a + "," + a));
  CHECK_FALSE(parse_join_list(""));
}
