// Code generated at build time from everything.rpc.hpp (rpcnet_generate),
// compiled and called over real QUIC: every supported type survives the
// round trip (unicode, empty and large vectors, nested structs, absent and
// present optionals, maps), all four method kinds work, a handler's typed
// error reaches the client as its type, a second service shares the server
// and the connection (so does a service of another input), and a typed actor
// can be the service. Methods of several parameters round-trip them; call
// options reach the handler's context (metadata, deadline), a deadline too
// short fails the call with `timeout`, and trailers come back.
#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <caf/deep_to_string.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <rpcnet/rpcnet.hpp>

#include "greeting/greeting.hpp"
#include "kitchen/kitchen.hpp"
#include "ping/ping.hpp"
#include "tasks/tasks.hpp"
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

/// What handlers saw of their calls' contexts, by method.
class context_log {
public:
  struct entry {
    std::optional<std::string> tenant; ///< the "tenant" metadata
    std::chrono::milliseconds remaining{0};

    static entry of(const rpcnet::call_context& ctx) {
      entry seen;
      if (auto tenant = ctx.metadata().get("tenant"))
        seen.tenant = std::string{*tenant};
      seen.remaining = std::chrono::duration_cast<std::chrono::milliseconds>(ctx.remaining());
      return seen;
    }
  };

  void record(const rpcnet::call_context& ctx) {
    auto seen = entry::of(ctx);
    std::lock_guard guard{mutex_};
    entries_[ctx.method()] = std::move(seen);
  }

  /// What the last call of `method` saw; an empty entry when none came.
  entry of(const std::string& method) const {
    std::lock_guard guard{mutex_};
    auto i = entries_.find(method);
    return i == entries_.end() ? entry{} : i->second;
  }

private:
  mutable std::mutex mutex_;
  std::map<std::string, entry> entries_;
};

class kitchen_service : public KitchenHandler {
public:
  explicit kitchen_service(std::shared_ptr<context_log> log) : log_(std::move(log)) {
  }

  rpcnet::result<Everything, EchoError> echo(rpcnet::call_context& ctx,
                                             Everything request) override {
    log_->record(ctx);
    return echo_rules(std::move(request));
  }

  caf::error download(rpcnet::call_context& ctx, Summary request,
                      rpcnet::typed::writer<Chunk>& responses) override {
    log_->record(ctx);
    for (uint32_t i = 0; i < request.chunks; ++i) {
      Chunk chunk{i, std::vector<uint8_t>(request.bytes, static_cast<uint8_t>(i))};
      if (auto err = responses.write(chunk))
        return err;
    }
    return {};
  }

  caf::expected<rpcnet::result<Summary, EchoError>>
  upload(rpcnet::call_context& ctx, rpcnet::typed::reader<Chunk>& requests) override {
    log_->record(ctx);
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

  caf::error mirror(rpcnet::call_context& ctx, rpcnet::typed::reader<Point>& requests,
                    rpcnet::typed::writer<Point>& responses) override {
    log_->record(ctx);
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

private:
  std::shared_ptr<context_log> log_;
};

class ping_service : public PingHandler {
public:
  rpcnet::result<Point, Color> ping(rpcnet::call_context&, Point p) override {
    if (p.x < 0)
      return Color::blue;
    return Point{p.y, p.x};
  }

  rpcnet::result<Point, Color> origin(rpcnet::call_context& ctx) override {
    if (ctx.metadata().get("refuse"))
      return Color::blue;
    return Point{0, 0};
  }
};

/// Methods of several parameters, answering what their context held.
class tasks_service : public TasksHandler {
public:
  explicit tasks_service(std::shared_ptr<context_log> log) : log_(std::move(log)) {
  }

  rpcnet::result<TaskReceipt, EchoError> process_task(rpcnet::call_context& ctx,
                                                      std::string task_id,
                                                      std::vector<std::uint8_t> data) override {
    auto seen = context_log::entry::of(ctx);
    if (task_id == "reject")
      return EchoError{EchoError::Rejected{}};
    if (task_id == "slow") {
      // Stays until the deadline cancels the call (or 10 s, to end anyway).
      auto until = std::chrono::steady_clock::now() + 10s;
      while (!ctx.cancelled() && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(5ms);
      slow_cancelled_.set_value(ctx.cancelled());
      return EchoError{EchoError::Rejected{}};
    }
    ctx.trailers().add("served-by", "tasks");
    return TaskReceipt{std::move(task_id), std::move(data), seen.tenant, seen.remaining.count()};
  }

  caf::error repeat(rpcnet::call_context& ctx, std::uint32_t first, std::uint32_t count,
                    Chunk chunk, rpcnet::typed::writer<Chunk>& responses) override {
    log_->record(ctx);
    for (std::uint32_t i = 0; i < count; ++i)
      if (auto err = responses.write(Chunk{first + i, chunk.data}))
        return err;
    return {};
  }

  /// Whether the slow task's context was cancelled when it stopped waiting.
  std::future<bool> slow_outcome() {
    return slow_cancelled_.get_future();
  }

private:
  std::shared_ptr<context_log> log_;
  std::promise<bool> slow_cancelled_;
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

/// The Ping service as a typed actor: its method without parameters takes
/// the tag alone.
PingActor::behavior_type ping_actor(double offset) {
  return {
    [offset](ping_methods::ping, Point& p) -> rpcnet::result<Point, Color> {
      return Point{p.x + offset, p.y + offset};
    },
    [offset](ping_methods::origin) -> rpcnet::result<Point, Color> {
      return Point{offset, offset};
    },
  };
}

/// Starts `server` and connects a client to it.
template <class Client = KitchenClient, class Server>
Client start_and_connect(rpcnet::runtime& rt, Server& server) {
  auto addr = server.bind();
  REQUIRE(addr);
  REQUIRE_FALSE(server.start());
  auto connected = Client::connect(rt.system(), addr->to_string(),
                                   rpcnet::test::client_config().with_call_timeout(10s));
  REQUIRE(connected);
  return std::move(*connected);
}

/// A Kitchen server with Ping and Tasks on the same rpc_server, and clients
/// of each sharing one connection.
struct kitchen_fixture {
  kitchen_fixture()
    : server(rt.system(), std::make_shared<kitchen_service>(log), rpcnet::test::server_config()) {
    PingServer::register_handler(server.raw(), std::make_shared<ping_service>());
    TasksServer::register_handler(server.raw(), tasks_handler);
    client.emplace(start_and_connect(rt, server));
    tasks.emplace(client->raw());
  }

  rpcnet::runtime rt;
  std::shared_ptr<context_log> log = std::make_shared<context_log>();
  std::shared_ptr<tasks_service> tasks_handler = std::make_shared<tasks_service>(log);
  KitchenServer server;
  std::optional<KitchenClient> client;
  std::optional<TasksClient> tasks;
};

/// Options with the metadata the handlers look for and a timeout.
rpcnet::call_options blue_within(std::chrono::milliseconds timeout) {
  return rpcnet::call_options{}.with_timeout(timeout).with_metadata("tenant", "blue");
}

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

TEST_CASE("a method without parameters is called with none", "[end_to_end]") {
  kitchen_fixture f;
  PingClient ping{f.client->raw()};
  auto origin = ping.origin();
  REQUIRE(origin);
  REQUIRE(*origin);
  CHECK(origin->value() == Point{0, 0});
  auto refused = ping.origin(rpcnet::call_options{}.with_metadata("refuse", "yes"));
  REQUIRE(refused);
  REQUIRE_FALSE(*refused);
  CHECK(refused->error() == Color::blue);
  auto pending = ping.origin_async();
  REQUIRE(pending.wait_for(5s) == std::future_status::ready);
  auto later = pending.get();
  REQUIRE(later);
  REQUIRE(*later);
  CHECK(later->value() == Point{0, 0});
}

TEST_CASE("a typed actor serves a method without parameters from its tag alone",
          "[end_to_end]") {
  rpcnet::runtime rt;
  auto service = rt.system().spawn(ping_actor, 0.5);
  PingServer server{rt.system(), service, rpcnet::test::server_config()};
  std::optional<PingClient> client{start_and_connect<PingClient>(rt, server)};
  auto origin = client->origin();
  REQUIRE(origin);
  REQUIRE(*origin);
  CHECK(origin->value() == Point{0.5, 0.5});
  auto moved = client->ping(Point{1, 2});
  REQUIRE(moved);
  REQUIRE(*moved);
  CHECK(moved->value() == Point{1.5, 2.5});
}

TEST_CASE("a service generated from another input serves beside them", "[end_to_end]") {
  struct polite : greeting::GreetingHandler {
    rpcnet::result<greeting::GreetResponse, greeting::GreetingError>
    greet(rpcnet::call_context&, greeting::GreetRequest request) override {
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

TEST_CASE("a method of several parameters hands them to the handler as parameters",
          "[end_to_end][parameters]") {
  kitchen_fixture f;
  std::vector<std::uint8_t> data{1, 2, 3, 0, 255};
  auto reply = f.tasks->process_task("task-1 ✓", data);
  REQUIRE(reply);
  REQUIRE(*reply);
  CHECK((*reply)->task_id == "task-1 ✓");
  CHECK((*reply)->data == data);
  auto pending = f.tasks->process_task_async("task-2", {});
  REQUIRE(pending.wait_for(10s) == std::future_status::ready);
  auto later = pending.get();
  REQUIRE(later);
  REQUIRE(*later);
  CHECK((*later)->task_id == "task-2");
  CHECK((*later)->data.empty());
  auto refused = f.tasks->process_task("reject", data);
  REQUIRE(refused);
  REQUIRE_FALSE(*refused);
  CHECK(refused->error().is<EchoError::Rejected>());
}

TEST_CASE("a server-streaming method of several parameters streams what they ask for",
          "[end_to_end][parameters]") {
  kitchen_fixture f;
  auto stream = f.tasks->repeat(7, 3, Chunk{0, {9, 8}});
  REQUIRE(stream);
  auto chunks = drain(*stream);
  REQUIRE(chunks.size() == 3);
  for (std::uint32_t i = 0; i < 3; ++i)
    CHECK(chunks[i] == Chunk{7 + i, {9, 8}});
}

TEST_CASE("call options bring their metadata and deadline to the handler's context",
          "[end_to_end][context]") {
  kitchen_fixture f;
  // snippet-begin: typed-call-options
  auto opts = rpcnet::call_options{}.with_timeout(5s).with_metadata("tenant", "blue");
  auto reply = f.tasks->process_task("t", {1}, opts);
  // snippet-end: typed-call-options
  REQUIRE(reply);
  REQUIRE(*reply);
  CHECK((*reply)->tenant == "blue");
  CHECK((*reply)->remaining_ms > 0);
  CHECK((*reply)->remaining_ms <= 5000);
  SECTION("without options the client's call timeout (10 s) is the deadline") {
    auto plain = f.tasks->process_task("t", {1});
    REQUIRE(plain);
    REQUIRE(*plain);
    CHECK_FALSE((*plain)->tenant);
    CHECK((*plain)->remaining_ms > 5000);
    CHECK((*plain)->remaining_ms <= 10'000);
  }
  SECTION("the asynchronous form takes options too") {
    auto pending = f.tasks->process_task_async("t", {1}, blue_within(5s));
    REQUIRE(pending.wait_for(10s) == std::future_status::ready);
    auto later = pending.get();
    REQUIRE(later);
    REQUIRE(*later);
    CHECK((*later)->tenant == "blue");
    CHECK((*later)->remaining_ms <= 5000);
  }
  SECTION("a typed error still arrives as its type") {
    auto refused = f.tasks->process_task("reject", {}, blue_within(5s));
    REQUIRE(refused);
    REQUIRE_FALSE(*refused);
    CHECK(refused->error().is<EchoError::Rejected>());
  }
}

TEST_CASE("a deadline shorter than the handler takes fails the call with timeout",
          "[end_to_end][context]") {
  kitchen_fixture f;
  auto outcome = f.tasks_handler->slow_outcome();
  auto started = std::chrono::steady_clock::now();
  auto reply = f.tasks->process_task("slow", {}, blue_within(200ms));
  REQUIRE_FALSE(reply);
  CHECK(rpcnet::code_of(reply.error()) == rpcnet::error::timeout);
  CHECK(std::chrono::steady_clock::now() - started < 5s);
  // The handler's context is cancelled at the deadline, so it stops too.
  REQUIRE(outcome.wait_for(5s) == std::future_status::ready);
  CHECK(outcome.get());
}

TEST_CASE("trailers the handler sets come back with the typed reply", "[end_to_end][context]") {
  kitchen_fixture f;
  auto reply = f.tasks->process_task_with_trailers("t", {4, 2}, blue_within(5s));
  REQUIRE(reply);
  REQUIRE(reply->result);
  CHECK(reply->result->data == std::vector<std::uint8_t>{4, 2});
  CHECK(reply->result->tenant == "blue");
  CHECK(reply->trailers.get("served-by") == "tasks");
  auto defaults = f.tasks->process_task_with_trailers("t", {});
  REQUIRE(defaults);
  CHECK_FALSE(defaults->result->tenant);
  CHECK(defaults->trailers.get("served-by") == "tasks");
}

TEST_CASE("streaming calls of every kind bring their options to the handler's context",
          "[end_to_end][context]") {
  kitchen_fixture f;
  auto opts = blue_within(5s);
  SECTION("server streaming") {
    auto stream = f.client->download(Summary{2, 3}, opts);
    REQUIRE(stream);
    CHECK(drain(*stream).size() == 2);
    CHECK(f.log->of("download").tenant == "blue");
    CHECK(f.log->of("download").remaining <= 5s);
  }
  SECTION("server streaming with several parameters") {
    auto stream = f.tasks->repeat(0, 2, Chunk{}, opts);
    REQUIRE(stream);
    CHECK(drain(*stream).size() == 2);
    CHECK(f.log->of("repeat").tenant == "blue");
  }
  SECTION("client streaming, blocking and asynchronous") {
    auto reply = f.client->upload({{0, {1}}, {1, {2, 3}}}, opts);
    REQUIRE(reply);
    REQUIRE(*reply);
    CHECK((*reply)->bytes == 3);
    CHECK(f.log->of("upload").tenant == "blue");
    CHECK(f.log->of("upload").remaining <= 5s);
    auto pending = f.client->upload_async({{0, {}}}, opts.with_metadata("tenant", "green"));
    REQUIRE(pending.wait_for(10s) == std::future_status::ready);
    auto later = pending.get();
    REQUIRE(later);
    REQUIRE(*later);
    CHECK((*later)->chunks == 1);
    CHECK(f.log->of("upload").tenant == "blue"); // the first value of the key
  }
  SECTION("bidirectional") {
    auto stream = f.client->mirror(opts);
    REQUIRE(stream);
    REQUIRE_FALSE(stream->send(Point{1, 1}));
    REQUIRE_FALSE(stream->finish());
    CHECK(drain(*stream) == std::vector<Point>{{-1, -1}});
    CHECK(f.log->of("mirror").tenant == "blue");
  }
  SECTION("a client-streaming typed error still arrives as its type") {
    auto disordered = f.client->upload({{1, {}}}, opts);
    REQUIRE(disordered);
    REQUIRE_FALSE(*disordered);
    CHECK(disordered->error() == EchoError{EchoError::Invalid{"index", "out of order"}});
  }
}

TEST_CASE("a typed actor takes the parameters of a method as the elements of its message",
          "[end_to_end][parameters]") {
  rpcnet::runtime rt;
  // Spawned with an argument: CAF 0.17 starts a function spawned without
  // one by dereferencing a null tuple pointer, which UBSan reports.
  auto service = rt.system().spawn(
    [](std::string prefix) -> TasksActor::behavior_type {
      return {
        [prefix](tasks_methods::process_task, std::string& task_id,
                 std::vector<std::uint8_t>& data) -> rpcnet::result<TaskReceipt, EchoError> {
          return TaskReceipt{prefix + task_id, std::move(data), std::nullopt, 0};
        },
      };
    },
    std::string{"actor: "});
  TasksServer server{rt.system(), service, rpcnet::test::server_config()};
  std::optional<TasksClient> client{start_and_connect<TasksClient>(rt, server)};
  auto reply = client->process_task("t", {5, 6});
  REQUIRE(reply);
  REQUIRE(*reply);
  CHECK((*reply)->task_id == "actor: t");
  CHECK((*reply)->data == std::vector<std::uint8_t>{5, 6});
  client->close();
  server.stop();
  caf::anon_send_exit(service, caf::exit_reason::user_shutdown);
}

/// The Tasks service as a typed actor that reads the context: the tenant
/// and the time left go into the receipt, and the trailers say who served
/// it.
TasksContextActor::behavior_type tasks_context_actor(std::string served_by) {
  return {
    // snippet-begin: context_actor
    [served_by](tasks_methods::process_task, rpcnet::call_context& ctx, std::string& task_id,
                std::vector<std::uint8_t>& data) -> rpcnet::result<TaskReceipt, EchoError> {
      ctx.trailers().add("served-by", served_by);
      std::optional<std::string> tenant;
      if (auto t = ctx.metadata().get("tenant"))
        tenant = std::string{*t};
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(ctx.remaining());
      return TaskReceipt{std::move(task_id), std::move(data), std::move(tenant), left.count()};
    },
    // snippet-end: context_actor
  };
}

TEST_CASE("a typed actor that reads the context gets it after the tag of each message",
          "[end_to_end][context]") {
  rpcnet::runtime rt;
  auto service = rt.system().spawn(tasks_context_actor, std::string{"context actor"});
  TasksServer server{rt.system(), service, rpcnet::test::server_config()};
  std::optional<TasksClient> client{start_and_connect<TasksClient>(rt, server)};
  auto reply = client->process_task_with_trailers("t", {7}, blue_within(5s));
  REQUIRE(reply);
  REQUIRE(reply->result);
  CHECK(reply->result->task_id == "t");
  CHECK(reply->result->data == std::vector<std::uint8_t>{7});
  CHECK(reply->result->tenant == "blue");
  CHECK(reply->result->remaining_ms > 0);
  CHECK(reply->result->remaining_ms <= 5000);
  CHECK(reply->trailers.get("served-by") == "context actor");
  auto plain = client->process_task_with_trailers("u", {});
  REQUIRE(plain);
  REQUIRE(plain->result);
  CHECK_FALSE(plain->result->tenant);
  client->close();
  server.stop();
  caf::anon_send_exit(service, caf::exit_reason::user_shutdown);
}

TEST_CASE("the parameters of a method travel as one message: their fields in order", "[wire]") {
  tasks_requests::process_task request{"id", {1, 2}};
  auto fields = rpcnet::encode(std::string{"id"});
  auto data = rpcnet::encode(std::vector<std::uint8_t>{1, 2});
  fields.insert(fields.end(), data.begin(), data.end());
  CHECK(rpcnet::encode(request) == fields);
  auto back = rpcnet::decode<tasks_requests::process_task>(fields);
  REQUIRE(back);
  CHECK(*back == request);
}

TEST_CASE("fields named like serialize's and inspect's own names round-trip", "[wire]") {
  Awkward awkward{true, -7, "f", true, 9};
  auto back = rpcnet::decode<Awkward>(rpcnet::encode(awkward));
  REQUIRE(back);
  CHECK(*back == awkward);
  CHECK(caf::deep_to_string(awkward).find("-7") != std::string::npos);
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
