// Code generated at build time from everything.rpc.hpp (rpcnet_generate),
// compiled and called over real QUIC: every supported type survives the
// round trip (unicode, empty and large vectors, nested structs, absent and
// present optionals, maps), all four method kinds work, a handler's typed
// error reaches the client as its type, a second service shares the server
// and the connection (so does a service of another input), and a typed actor
// can be the service.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <caf/typed_event_based_actor.hpp>

#include <rpcnet/rpcnet.hpp>

#include "greeting/greeting.hpp"
#include "kitchen/kitchen.hpp"
#include "ping/ping.hpp"
#include "test_certs.hpp"

using namespace codegen_test::everything;
using namespace std::chrono_literals;

namespace {

constexpr uint64_t echo_limit = 4 << 20;

/// The shared rules of echo, for the handler and the actor form.
rpcnet::result<Everything, EchoError> echo_rules(Everything request) {
  if (request.text == "reject")
    return EchoError{EchoError::Rejected{}};
  if (request.bytes.size() > echo_limit)
    return EchoError{EchoError::TooLarge{request.bytes.size(), echo_limit}};
  if (request.flag && request.text.empty())
    return EchoError{EchoError::Invalid{"text", "empty while flag is set"}};
  return request;
}

class kitchen_service : public KitchenHandler {
public:
  rpcnet::result<Everything, EchoError> echo(Everything request) override {
    return echo_rules(std::move(request));
  }

  caf::error download(Summary request, rpcnet::typed::writer<Chunk>& responses) override {
    for (uint32_t i = 0; i < request.chunks; ++i) {
      Chunk chunk{i, std::vector<uint8_t>(request.bytes, static_cast<uint8_t>(i))};
      if (auto err = responses.write(chunk))
        return err;
    }
    return {};
  }

  caf::expected<rpcnet::result<Summary, EchoError>>
  upload(rpcnet::typed::reader<Chunk>& requests) override {
    Summary summary;
    for (;;) {
      auto chunk = requests.next();
      if (!chunk)
        return std::move(chunk.error());
      if (!*chunk)
        return summary;
      if ((*chunk)->index != summary.chunks)
        return EchoError{EchoError::Invalid{"index", "out of order"}};
      ++summary.chunks;
      summary.bytes += (*chunk)->data.size();
    }
  }

  caf::error mirror(rpcnet::typed::reader<Point>& requests,
                    rpcnet::typed::writer<Point>& responses) override {
    for (;;) {
      auto point = requests.next();
      if (!point)
        return std::move(point.error());
      if (!*point)
        return {};
      if (auto err = responses.write(Point{-(*point)->x, -(*point)->y}))
        return err;
    }
  }
};

class ping_service : public PingHandler {
public:
  rpcnet::result<Point, Color> ping(Point p) override {
    if (p.x < 0)
      return Color::blue;
    return Point{p.y, p.x};
  }
};

/// The Kitchen service as a typed actor: echo with `prefix` before the text.
KitchenActor::behavior_type kitchen_actor(std::string prefix) {
  return {
    [prefix](kitchen_methods::echo, Everything& request) -> rpcnet::result<Everything, EchoError> {
      auto reply = echo_rules(std::move(request));
      if (reply)
        reply->text = prefix + reply->text;
      return reply;
    },
  };
}

/// Starts `server` and connects a client to it.
KitchenClient start_and_connect(rpcnet::runtime& rt, KitchenServer& server) {
  auto addr = server.bind();
  REQUIRE(addr);
  REQUIRE_FALSE(server.start());
  auto connected = KitchenClient::connect(rt.system(), addr->to_string(),
                                          rpcnet::test::client_config().with_call_timeout(10s));
  REQUIRE(connected);
  return std::move(*connected);
}

/// A Kitchen server with Ping on the same rpc_server, and clients of both
/// sharing one connection.
struct kitchen_fixture {
  kitchen_fixture()
    : server(rt.system(), std::make_shared<kitchen_service>(), rpcnet::test::server_config()) {
    PingServer::register_handler(server.raw(), std::make_shared<ping_service>());
    client.emplace(start_and_connect(rt, server));
  }

  rpcnet::runtime rt;
  KitchenServer server;
  std::optional<KitchenClient> client;
};

/// Every remaining response of `stream`, up to the server's clean end.
template <class Request, class Response>
std::vector<Response> drain(rpcnet::typed::call_stream<Request, Response>& stream) {
  std::vector<Response> out;
  for (;;) {
    auto next = stream.next();
    REQUIRE(next);
    if (!*next)
      return out;
    out.push_back(std::move(**next));
  }
}

Everything rich_value() {
  Everything x;
  x.flag = true;
  x.i8 = -128;
  x.i16 = -32768;
  x.i32 = -2147483647 - 1;
  x.i64 = -9223372036854775807LL - 1;
  x.u8 = 255;
  x.u16 = 65535;
  x.u32 = 4294967295u;
  x.u64 = 18446744073709551615ull;
  x.f32 = 1.5f;
  x.f64 = -2.25e300;
  x.text = "Grüße, 世界! 🌍 — ✓";
  for (int i = 0; i < 100'000; ++i)
    x.numbers.push_back(i * 7 - 350'000);
  x.bytes.assign(1 << 20, 0);
  for (size_t i = 0; i < x.bytes.size(); ++i)
    x.bytes[i] = static_cast<uint8_t>(i * 31);
  x.maybe_text = "présent";
  x.maybe_inner = Inner{"inside", {{1, 2}, {3, 4}}};
  x.counts = {{"zero", 0}, {"négatif", -5}, {"", 1}};
  x.by_color = {{Color::red, Inner{"r", {}}}, {Color::blue, Inner{"b", {{0.5, -0.5}}}}};
  x.inner = Inner{"nested ✓", {{-1, -2}}};
  x.color = Color::green;
  x.level = Level::high;
  x.grid = {{}, {"a"}, {"b", "ç", ""}};
  x.maybe_points = std::vector<Point>{};
  return x;
}

} // namespace

TEST_CASE("echo returns a value using every supported type unchanged", "[end_to_end]") {
  kitchen_fixture f;
  auto request = rich_value();
  auto reply = f.client->echo(request);
  REQUIRE(reply);
  REQUIRE(reply->has_value());
  CHECK(reply->value() == request);
  CHECK((*reply)->text == "Grüße, 世界! 🌍 — ✓");
  CHECK((*reply)->bytes.size() == (1u << 20));
  CHECK((*reply)->maybe_points.has_value());
  CHECK((*reply)->maybe_points->empty());
}

TEST_CASE("echo returns a value of empty strings, vectors and maps and absent optionals",
          "[end_to_end]") {
  kitchen_fixture f;
  Everything empty;
  auto reply = f.client->echo(empty);
  REQUIRE(reply);
  REQUIRE(*reply);
  CHECK(reply->value() == empty);
  CHECK_FALSE((*reply)->maybe_text);
  CHECK_FALSE((*reply)->maybe_inner);
  CHECK_FALSE((*reply)->maybe_points);
}

TEST_CASE("a handler's typed error reaches the client as its type, with its data",
          "[end_to_end]") {
  kitchen_fixture f;
  SECTION("an alternative without data") {
    Everything request;
    request.text = "reject";
    auto reply = f.client->echo(request);
    REQUIRE(reply); // the call itself succeeded
    REQUIRE_FALSE(*reply);
    CHECK(reply->error().is<EchoError::Rejected>());
  }
  SECTION("an alternative with numbers") {
    Everything request;
    request.bytes.resize(echo_limit + 1);
    auto reply = f.client->echo(request);
    REQUIRE(reply);
    REQUIRE_FALSE(*reply);
    const auto* too_large = reply->error().get_if<EchoError::TooLarge>();
    REQUIRE(too_large);
    CHECK(too_large->size == echo_limit + 1);
    CHECK(too_large->limit == echo_limit);
  }
  SECTION("an alternative with strings") {
    Everything request;
    request.flag = true;
    auto reply = f.client->echo(request);
    REQUIRE(reply);
    REQUIRE_FALSE(*reply);
    CHECK(reply->error() == EchoError{EchoError::Invalid{"text", "empty while flag is set"}});
  }
}

TEST_CASE("echo_async delivers the same result through a future", "[end_to_end]") {
  kitchen_fixture f;
  Everything request;
  request.text = "async ✓";
  auto pending = f.client->echo_async(request);
  Everything rejected;
  rejected.text = "reject";
  auto pending_error = f.client->echo_async(rejected);
  REQUIRE(pending.wait_for(10s) == std::future_status::ready);
  auto reply = pending.get();
  REQUIRE(reply);
  REQUIRE(*reply);
  CHECK((*reply)->text == "async ✓");
  auto error_reply = pending_error.get();
  REQUIRE(error_reply);
  CHECK(error_reply->error().is<EchoError::Rejected>());
}

TEST_CASE("download streams typed chunks from the server until its end", "[end_to_end]") {
  kitchen_fixture f;
  auto stream = f.client->download(Summary{5, 1000});
  REQUIRE(stream);
  auto chunks = drain(*stream);
  REQUIRE(chunks.size() == 5);
  for (uint32_t i = 0; i < 5; ++i) {
    CHECK(chunks[i].index == i);
    CHECK(chunks[i].data == std::vector<uint8_t>(1000, static_cast<uint8_t>(i)));
  }
  auto empty = f.client->download(Summary{0, 0});
  REQUIRE(empty);
  CHECK(drain(*empty).empty());
}

TEST_CASE("upload streams typed chunks to the server and gets its typed result",
          "[end_to_end]") {
  kitchen_fixture f;
  std::vector<Chunk> chunks{{0, {1, 2, 3}}, {1, {}}, {2, std::vector<uint8_t>(70'000, 9)}};
  auto reply = f.client->upload(chunks);
  REQUIRE(reply);
  REQUIRE(*reply);
  CHECK((*reply)->chunks == 3);
  CHECK((*reply)->bytes == 70'003);
  auto none = f.client->upload({});
  REQUIRE(none);
  REQUIRE(*none);
  CHECK((*none)->chunks == 0);
  auto pending = f.client->upload_async(chunks);
  REQUIRE(pending.wait_for(10s) == std::future_status::ready);
  auto later = pending.get();
  REQUIRE(later);
  REQUIRE(*later);
  CHECK(later->value() == reply->value());
  auto disordered = f.client->upload({{1, {}}});
  REQUIRE(disordered);
  REQUIRE_FALSE(*disordered);
  CHECK(disordered->error() == EchoError{EchoError::Invalid{"index", "out of order"}});
}

TEST_CASE("mirror answers each point of a bidirectional stream", "[end_to_end]") {
  kitchen_fixture f;
  auto stream = f.client->mirror();
  REQUIRE(stream);
  for (double v : {1.0, -2.5, 0.0})
    REQUIRE_FALSE(stream->send(Point{v, v * 2}));
  REQUIRE_FALSE(stream->finish());
  CHECK(drain(*stream) == std::vector<Point>{{-1.0, -2.0}, {2.5, 5.0}, {-0.0, -0.0}});
}

TEST_CASE("a second service of the definition shares the server and the connection",
          "[end_to_end]") {
  kitchen_fixture f;
  PingClient ping{f.client->raw()};
  auto swapped = ping.ping(Point{1, 2});
  REQUIRE(swapped);
  REQUIRE(*swapped);
  CHECK(swapped->value() == Point{2, 1});
  auto refused = ping.ping(Point{-1, 0});
  REQUIRE(refused);
  REQUIRE_FALSE(*refused);
  CHECK(refused->error() == Color::blue);
}

TEST_CASE("a service generated from another input serves beside them", "[end_to_end]") {
  struct polite : greeting::GreetingHandler {
    rpcnet::result<greeting::GreetResponse, greeting::GreetingError>
    greet(greeting::GreetRequest request) override {
      if (request.name.find('<') != std::string::npos)
        return greeting::GreetingError{greeting::GreetingError::InvalidInput{request.name}};
      return greeting::GreetResponse{"Hello, " + request.name + "!"};
    }
  };
  kitchen_fixture f;
  greeting::GreetingServer::register_handler(f.server.raw(), std::make_shared<polite>());
  greeting::GreetingClient greeter{f.client->raw()};
  auto hello = greeter.greet({"Wörld"});
  REQUIRE(hello);
  REQUIRE(*hello);
  CHECK((*hello)->message == "Hello, Wörld!");
  auto invalid = greeter.greet({"<script>"});
  REQUIRE(invalid);
  REQUIRE_FALSE(*invalid);
  const auto* input = invalid->error().get_if<greeting::GreetingError::InvalidInput>();
  REQUIRE(input);
  CHECK(input->text == "<script>");
}

TEST_CASE("failures of the call stay rpcnet errors, apart from typed results",
          "[end_to_end]") {
  kitchen_fixture f;
  f.client->close();
  auto reply = f.client->echo(Everything{});
  REQUIRE_FALSE(reply);
  CHECK(rpcnet::code_of(reply.error()) == rpcnet::error::connection);
}

TEST_CASE("a spawned typed actor serves the unary methods", "[end_to_end]") {
  rpcnet::runtime rt;
  auto service = rt.system().spawn(kitchen_actor, std::string{"actor: "});
  KitchenServer server{rt.system(), service, rpcnet::test::server_config()};
  std::optional<KitchenClient> client{start_and_connect(rt, server)};
  auto request = rich_value();
  request.text = "ünïcode";
  auto reply = client->echo(request);
  REQUIRE(reply);
  REQUIRE(*reply);
  CHECK((*reply)->text == "actor: ünïcode");
  CHECK((*reply)->by_color == request.by_color);
  Everything rejected;
  rejected.text = "reject";
  auto refused = client->echo(rejected);
  REQUIRE(refused);
  REQUIRE_FALSE(*refused);
  CHECK(refused->error().is<EchoError::Rejected>());
  SECTION("streaming methods need a handler: an actor-only server does not know them") {
    auto stream = client->download(Summary{1, 1});
    REQUIRE(stream);
    auto first = stream->next();
    REQUIRE_FALSE(first);
    CHECK(rpcnet::code_of(first.error()) == rpcnet::error::unknown_method);
  }
  client->close();
  server.stop();
  caf::anon_send_exit(service, caf::exit_reason::user_shutdown);
}

TEST_CASE("results, variants and optionals have the documented wire form", "[wire]") {
  using reply = rpcnet::result<Point, Color>;
  auto ok = rpcnet::encode(reply{Point{1, 2}});
  REQUIRE(ok.size() == 1 + 2 * sizeof(double)); // tag, then the fields, nothing else
  CHECK(ok[0] == 0);
  auto failed = rpcnet::encode(reply{Color::blue});
  REQUIRE(failed.size() >= 2);
  CHECK(failed[0] == 1);
  auto too_large = rpcnet::encode(EchoError{EchoError::TooLarge{1, 2}});
  REQUIRE(too_large.size() == 1 + 2 * sizeof(uint64_t)); // the alternative's index first
  CHECK(too_large[0] == 1);
  CHECK(rpcnet::encode(std::optional<Point>{}) == rpcnet::byte_buffer{0});
  auto present = rpcnet::encode(std::optional<Point>{Point{}});
  REQUIRE(present.size() == 1 + 2 * sizeof(double));
  CHECK(present[0] == 1);
  auto back = rpcnet::decode<reply>(failed);
  REQUIRE(back);
  CHECK(back->error() == Color::blue);
}

TEST_CASE("a result or variant with a bad tag, or cut short, fails to decode", "[wire]") {
  auto bytes = rpcnet::encode(rpcnet::result<Point, Color>{Point{1, 2}});
  bytes[0] = 2;
  auto bad_tag = rpcnet::decode<rpcnet::result<Point, Color>>(bytes);
  REQUIRE_FALSE(bad_tag);
  CHECK(rpcnet::code_of(bad_tag.error()) == rpcnet::error::serialization);
  auto variant = rpcnet::encode(EchoError{EchoError::Rejected{}});
  variant[0] = 3;
  CHECK_FALSE(rpcnet::decode<EchoError>(variant));
  auto whole = rpcnet::encode(EchoError{EchoError::Invalid{"field", "reason"}});
  for (size_t cut = 0; cut < whole.size(); ++cut) {
    rpcnet::byte_buffer prefix(whole.begin(), whole.begin() + static_cast<ptrdiff_t>(cut));
    CHECK_FALSE(rpcnet::decode<EchoError>(prefix));
  }
}
