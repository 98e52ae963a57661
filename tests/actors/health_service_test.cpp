// The health service (grpc.health.v1's Check and Watch) over real QUIC: a
// check answers the status the program set, service_unknown for a name
// never set; a watch starts with the current status, follows every change
// and ends when the service shuts down or its server stops; names that are
// too long or not UTF-8 are refused; watches and named services are
// bounded, and a cancelled watch gives its slot back.
#include <string>
#include <thread>
#include <vector>

#include <rpcnet/actors/health_service.hpp>

#include "eventually.hpp"
#include "loopback.hpp"

using namespace rpcnet;
using namespace rpcnet::test;

namespace {

/// A loopback server with a health service attached, and a client whose
/// every wait (a check, one message of a watch) ends within 5 s.
struct health_fixture {
  explicit health_fixture(health_limits limits = {})
    : health(health_service::attach(lb.server(), limits)),
      client(lb.connect(client_config().with_call_timeout(std::chrono::seconds{5}))) {
  }

  caf::expected<health_status> check(const std::string& service) {
    return check_health(client, service, std::chrono::seconds{5});
  }

  client_stream watch(const std::string& service) {
    auto stream = client.call_server_streaming(std::string{health_watch_method},
                                               to_bytes(service));
    REQUIRE(stream);
    return std::move(*stream);
  }

  loopback lb;
  std::shared_ptr<health_service> health;
  rpc_client client;
};

/// The next status a watch sends; nullopt when it ended cleanly.
std::optional<health_status> next_status(client_stream& stream) {
  auto message = stream.next();
  INFO("watch: " << (message ? "a message or the end" : describe(message.error())));
  REQUIRE(message);
  if (!*message)
    return std::nullopt;
  auto status = decode_health_status(**message);
  REQUIRE(status);
  return *status;
}

/// The error a watch ends with at once.
caf::error refusal_of(client_stream& stream) {
  auto message = stream.next();
  REQUIRE_FALSE(message);
  return message.error();
}

} // namespace

namespace Catch {

template <>
struct StringMaker<health_status> {
  static std::string convert(health_status status) {
    return std::string{to_string_view(status)};
  }
};

template <>
struct StringMaker<caf::expected<health_status>> {
  static std::string convert(const caf::expected<health_status>& status) {
    return status ? std::string{to_string_view(*status)} : describe(status.error());
  }
};

} // namespace Catch

TEST_CASE("a health check answers the status set for a service and service_unknown for "
          "names never set",
          "[health]") {
  health_fixture f;
  CHECK(f.check("") == health_status::not_serving);
  CHECK(f.check("compute") == health_status::service_unknown);
  REQUIRE_FALSE(f.health->set("", health_status::serving));
  REQUIRE_FALSE(f.health->set("compute", health_status::not_serving));
  CHECK(f.check("") == health_status::serving);
  CHECK(f.check("compute") == health_status::not_serving);
  CHECK(f.check("other") == health_status::service_unknown);
  CHECK(f.health->get("compute") == health_status::not_serving);
  CHECK(f.health->get("other") == health_status::service_unknown);
}

TEST_CASE("a health watch sends the current status then each change and ends when the "
          "service shuts down",
          "[health]") {
  health_fixture f;
  auto stream = f.watch("");
  auto named = f.watch("compute");
  CHECK(next_status(stream) == health_status::not_serving);
  CHECK(next_status(named) == health_status::service_unknown);
  REQUIRE_FALSE(f.health->set("", health_status::serving));
  CHECK(next_status(stream) == health_status::serving);
  // Each watch hears of its own service only.
  REQUIRE_FALSE(f.health->set("compute", health_status::serving));
  CHECK(next_status(named) == health_status::serving);
  REQUIRE_FALSE(f.health->set("", health_status::not_serving));
  CHECK(next_status(stream) == health_status::not_serving);
  REQUIRE_FALSE(f.health->set("", health_status::serving));
  CHECK(next_status(stream) == health_status::serving);
  f.health->shutdown();
  for (auto* watch : {&stream, &named}) {
    CHECK(next_status(*watch) == health_status::not_serving);
    CHECK(next_status(*watch) == std::nullopt);
  }
  CHECK(f.health->watchers() == 0);
  // Nothing holds the server's stop for its grace period.
  CHECK(eventually([&] { return f.lb.server().in_flight() == 0; }));
}

TEST_CASE("a health watch ends when its server stops", "[health]") {
  health_fixture f;
  auto stream = f.watch("");
  CHECK(next_status(stream) == health_status::not_serving);
  CHECK(f.health->watchers() == 1);
  f.lb.server().stop(std::chrono::milliseconds{100});
  CHECK_FALSE(stream.next());
  CHECK(eventually([&] { return f.health->watchers() == 0; }));
}

TEST_CASE("a health service name too long or not UTF-8 and an unknown status are refused",
          "[health]") {
  health_fixture f;
  std::string too_long(f.health->limits().max_name_bytes + 1, 'a');
  std::string not_utf8{"\xff\xfe"};
  for (const auto& name : {too_long, not_utf8}) {
    auto checked = f.check(name);
    REQUIRE_FALSE(checked);
    CHECK(code_of(checked.error()) == error::protocol);
    auto stream = f.watch(name);
    CHECK(code_of(refusal_of(stream)) == error::protocol);
    CHECK(code_of(f.health->set(name, health_status::serving)) == error::config);
  }
  // The longest name that is allowed is answered.
  CHECK(f.check(std::string(f.health->limits().max_name_bytes, 'a'))
        == health_status::service_unknown);
  CHECK(f.health->watchers() == 0);
  CHECK(code_of(f.health->set("", static_cast<health_status>(4))) == error::config);
  CHECK(f.check("") == health_status::not_serving);
}

TEST_CASE("a health watch beyond the limit is refused as overloaded and a cancelled watch "
          "frees its slot",
          "[health]") {
  health_limits limits;
  limits.max_watchers = 2;
  health_fixture f{limits};
  auto first = f.watch("");
  auto second = f.watch("compute");
  // A watch's first message comes once it holds its slot.
  CHECK(next_status(first) == health_status::not_serving);
  CHECK(next_status(second) == health_status::service_unknown);
  auto third = f.watch("");
  CHECK(code_of(refusal_of(third)) == error::overloaded);
  CHECK(f.health->watchers() == 2);
  first.cancel();
  REQUIRE(eventually([&] { return f.health->watchers() == 1; }));
  auto fourth = f.watch("");
  CHECK(next_status(fourth) == health_status::not_serving);
  CHECK(f.health->watchers() == 2);
}

TEST_CASE("named health services beyond the limit are refused and those set keep changing",
          "[health]") {
  health_limits limits;
  limits.max_services = 2;
  health_fixture f{limits};
  REQUIRE_FALSE(f.health->set("a", health_status::serving));
  REQUIRE_FALSE(f.health->set("b", health_status::serving));
  CHECK(code_of(f.health->set("c", health_status::serving)) == error::overloaded);
  CHECK(f.check("c") == health_status::service_unknown);
  // The whole server is not one of them.
  CHECK_FALSE(f.health->set("", health_status::serving));
  CHECK_FALSE(f.health->set("a", health_status::not_serving));
  CHECK(f.check("a") == health_status::not_serving);
}

TEST_CASE("after a health shutdown every service is not serving and set is refused",
          "[health]") {
  health_fixture f;
  REQUIRE_FALSE(f.health->set("", health_status::serving));
  REQUIRE_FALSE(f.health->set("compute", health_status::serving));
  f.health->shutdown();
  CHECK(f.check("") == health_status::not_serving);
  CHECK(f.check("compute") == health_status::not_serving);
  CHECK(f.check("other") == health_status::service_unknown);
  CHECK(code_of(f.health->set("", health_status::serving)) == error::cancelled);
  CHECK(f.check("") == health_status::not_serving);
  // A watch opened now is told and ends at once.
  auto late = f.watch("");
  CHECK(next_status(late) == health_status::not_serving);
  CHECK(next_status(late) == std::nullopt);
  CHECK(f.health->watchers() == 0);
}

TEST_CASE("a health watcher follows statuses set from many threads to the last one",
          "[health]") {
  health_fixture f;
  auto stream = f.watch("");
  REQUIRE(next_status(stream) == health_status::not_serving);
  std::vector<std::thread> setters;
  for (int t = 0; t < 4; ++t)
    setters.emplace_back([&f, t] {
      for (int i = 0; i < 200; ++i)
        (void) f.health->set("", (i + t) % 2 == 0 ? health_status::serving
                                                  : health_status::not_serving);
    });
  for (auto& t : setters)
    t.join();
  // A value none of the setters used: the watch must reach it.
  REQUIRE_FALSE(f.health->set("", health_status::unknown));
  std::optional<health_status> last = health_status::not_serving;
  size_t messages = 0;
  while (last != health_status::unknown) {
    auto status = next_status(stream);
    REQUIRE(status);
    // Changes collapse while a send is under way, never into repeats.
    CHECK(status != last);
    last = status;
    ++messages;
  }
  CHECK(messages <= 801);
  CHECK(f.health->get("") == health_status::unknown);
}

TEST_CASE("a health status decodes from one byte of a known value only", "[health]") {
  CHECK(decode_health_status(byte_buffer{1}) == health_status::serving);
  CHECK(decode_health_status(byte_buffer{3}) == health_status::service_unknown);
  for (const auto& bad : {byte_buffer{}, byte_buffer{4}, byte_buffer{1, 1}}) {
    auto status = decode_health_status(bad);
    REQUIRE_FALSE(status);
    CHECK(code_of(status.error()) == error::protocol);
  }
  CHECK(to_string_view(health_status::not_serving) == "NOT_SERVING");
}
