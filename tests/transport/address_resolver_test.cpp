// Tests what users may type as an address (address_resolver.hpp): IP
// literals and names are taken apart strictly and every malformed spelling
// is a config error saying why; literals resolve without a look-up,
// "localhost" resolves to loopback from /etc/hosts, and a name under
// ".invalid" fails with connection at once. Nothing here needs a network or
// a DNS server.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include <rpcnet/transport/address_resolver.hpp>
#include <rpcnet/transport/error.hpp>

#include "eventually.hpp"

using namespace rpcnet;
using namespace std::string_literals;

TEST_CASE("literal IPv4 and IPv6 addresses are taken apart without a look-up",
          "[address_resolver]") {
  auto v4 = parse_host_port("10.1.2.3:7946");
  REQUIRE(v4);
  CHECK(v4->host == "10.1.2.3");
  CHECK(v4->port == 7946);
  CHECK_FALSE(v4->is_name());
  CHECK(v4->literal->to_string() == "10.1.2.3:7946");

  auto v6 = parse_host_port("[::1]:0");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 0);
  CHECK(v6->literal->family() == AF_INET6);

  CHECK(resolve_address("[fe80::1]:65535")->to_string() == "[fe80::1]:65535");
  CHECK(*resolve_address("127.0.0.1:8080") == *socket_address::parse("127.0.0.1:8080"));
}

TEST_CASE("names are taken apart and checked as DNS names", "[address_resolver]") {
  for (const std::string& text :
       {"localhost:1"s, "db-1.internal:7000"s, "a.b.c.example.com.:443"s, "x:0"s,
        "1password.com:80"s, std::string(63, 'a') + ".example:1"}) {
    CAPTURE(text);
    auto parsed = parse_host_port(text);
    REQUIRE(parsed);
    CHECK(parsed->is_name());
  }
  auto longest = std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c')
                 + "." + std::string(61, 'd');
  REQUIRE(longest.size() == 253);
  CHECK(parse_host_port(longest + ":1"));
  CHECK(parse_host_port("db.internal:7000")->host == "db.internal");
}

TEST_CASE("malformed addresses are config errors that say what is wrong",
          "[address_resolver]") {
  struct bad_case {
    std::string text;
    std::string why;
  };
  auto [text, why] = GENERATE(
    bad_case{"", "it is empty"},
    bad_case{"localhost", "it has no ':port'"},
    bad_case{"127.0.0.1", "it has no ':port'"},
    bad_case{"localhost:", "the port is not a number from 0 to 65535"},
    bad_case{"localhost:65536", "the port is not a number from 0 to 65535"},
    bad_case{"localhost:123456", "the port is not a number from 0 to 65535"},
    bad_case{"localhost:-1", "the port is not a number from 0 to 65535"},
    bad_case{"localhost:+80", "the port is not a number from 0 to 65535"},
    bad_case{"localhost:80 ", "the port is not a number from 0 to 65535"},
    bad_case{":80", "the host is empty"},
    bad_case{"[]:80", "the host is empty"},
    bad_case{"[::1", "no ']' closes the IPv6 address"},
    bad_case{"[::1]", "no ':port' follows the ']'"},
    bad_case{"[::1]80", "no ':port' follows the ']'"},
    bad_case{"::1:80", "an IPv6 address is written in brackets"},
    bad_case{"[127.0.0.1]:80", "the brackets do not hold an IPv6 address"},
    bad_case{"[localhost]:80", "the brackets do not hold an IPv6 address"},
    bad_case{std::string(64, 'a') + ".example:1", "longer than 63 characters"},
    bad_case{std::string(254, 'a') + ":1", "longer than 253 characters"},
    bad_case{"my host:80", "neither an IP address nor a name"},
    bad_case{" localhost:80", "neither an IP address nor a name"},
    bad_case{"local\0host:80"s, "neither an IP address nor a name"},
    bad_case{"under_score.example:80", "neither an IP address nor a name"},
    bad_case{"a..b:80", "empty label"},
    bad_case{".:80", "empty label"},
    bad_case{"-db.example:80", "starts or ends with '-'"},
    bad_case{"db-.example:80", "starts or ends with '-'"},
    bad_case{"10.1:80", "neither an IPv4 address nor a name"},
    bad_case{"256.1.1.1:80", "neither an IPv4 address nor a name"},
    bad_case{"2130706433:80", "neither an IPv4 address nor a name"});
  CAPTURE(text);
  auto parsed = parse_host_port(text);
  REQUIRE_FALSE(parsed);
  CHECK(code_of(parsed.error()) == error::config);
  auto message = message_of(parsed.error());
  CAPTURE(message);
  CHECK(message.find(" is not a host:port (") != std::string::npos);
  CHECK(message.find(why) != std::string::npos);
  // The same text given to the resolver fails the same way, without a look-up.
  auto resolved = resolve_address(text);
  REQUIRE_FALSE(resolved);
  CHECK(code_of(resolved.error()) == error::config);
}

TEST_CASE("a NUL or a control character in an address is escaped in the error",
          "[address_resolver]") {
  auto parsed = parse_host_port("db\0\x1b[2J:80"s);
  REQUIRE_FALSE(parsed);
  CHECK(message_of(parsed.error())
        == "'db\\x00\\x1b[2J:80' is not a host:port (the host is neither an IP address nor a "
           "name of letters, digits, '-' and '.')");
}

TEST_CASE("localhost resolves to the IPv4 loopback address", "[address_resolver]") {
  // /etc/hosts names it; IPv4 comes first, where rpcnet binds by default.
  auto addr = resolve_address("localhost:7946");
  INFO((addr ? addr->to_string() : describe(addr.error())));
  REQUIRE(addr);
  CHECK(addr->is_loopback());
  CHECK(addr->port() == 7946);
  CHECK(addr->family() == AF_INET);
  CHECK(addr->to_string() == "127.0.0.1:7946");
  CHECK(resolve_address("LOCALHOST:1"));
}

TEST_CASE("a name under .invalid fails with connection at once, saying it does not resolve",
          "[address_resolver]") {
  auto name = GENERATE("foo.invalid"s, "invalid"s, "a.b.INVALID."s);
  CAPTURE(name);
  auto start = std::chrono::steady_clock::now();
  auto addr = resolve_address(name + ":7000");
  REQUIRE_FALSE(addr);
  CHECK(code_of(addr.error()) == error::connection);
  CHECK(message_of(addr.error()) == "cannot resolve '" + name + "': Name or service not known");
  // RFC 6761: no DNS server is asked, so no DNS timeout is waited out.
  CHECK(test::elapsed_ms(start) < 100);
}
