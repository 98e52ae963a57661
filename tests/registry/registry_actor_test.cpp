// Tests the worker registry actor and the cluster client in one process
// over real QUIC and real gossip: the pool follows membership, filters
// select and refuse, a user's routing actor is asked and never stalls the
// registry, calls spread and fail over, handler errors are not retried,
// an empty pool answers no_workers at once, and hedging races a slow
// worker.
#include <catch2/catch.hpp>

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include <map>
#include <mutex>
#include <thread>
#include <optional>

#include <rpcnet/actors/rpc_client.hpp>
#include <rpcnet/cluster/cluster_client.hpp>
#include <rpcnet/transport/error.hpp>

#include "cluster_nodes.hpp"

using namespace rpcnet;
using namespace rpcnet::test;
using namespace std::chrono_literals;

namespace {

caf::expected<worker> select(caf::actor_system& sys, const director_node& d,
                             std::string filter = "") {
  return ask<worker>(sys, d.registry, select_atom::value, worker_selection{std::move(filter), {}, {}, {}});
}

/// Joins every worker to the director and waits until its registry lists
/// them all.
/// A routing actor that answers every selection with `chosen`, or never
/// answers when there is none. It takes its choice as an argument: CAF 0.17
/// binds a reference to null when a function actor is spawned with no
/// arguments, which UBSan reports.
caf::actor spawn_router(caf::actor_system& sys, std::optional<node_id> chosen) {
  return sys.spawn(
    [](caf::event_based_actor* self, std::optional<node_id> choice) -> caf::behavior {
      return {[self, choice](select_atom, const routing_request& req) {
        CHECK(req.candidates.size() == 2);
        auto promise = self->make_response_promise<routing_answer>();
        if (choice)
          promise.deliver(routing_answer{*choice});
        return promise;
      }};
    },
    chosen);
}

void join_all(caf::actor_system& sys, const director_node& director,
              std::initializer_list<worker_node*> workers) {
  for (auto* w : workers)
    REQUIRE_FALSE(w->node->cluster().join({director.address()}));
  REQUIRE(eventually([&] { return worker_count(sys, director) == workers.size(); }, 10s));
}

cluster_client_config client_settings() {
  return cluster_client_config{client_config().with_call_timeout(5s)};
}

} // namespace

TEST_CASE("the registry's pool follows membership: joins, leaves and failures", "[registry_actor]") {
  runtime rt;
  auto& sys = rt.system();
  director_node director{sys};
  worker_node a{sys, "a"}, b{sys, "b"};
  join_all(sys, director, {&a, &b});
  // The director itself is a member but not a worker.
  auto nodes = ask<std::vector<member>>(sys, director.registry, nodes_atom::value);
  REQUIRE(nodes);
  CHECK(nodes->size() == 3);
  auto workers = ask<std::vector<member>>(sys, director.registry, nodes_atom::value,
                                          std::string{"role"}, std::string{"worker"});
  REQUIRE(workers);
  CHECK(workers->size() == 2);
  REQUIRE_FALSE(b.node->cluster().leave());
  CHECK(eventually([&] { return worker_count(sys, director) == 1; }, 2s));
  auto only = select(sys, director);
  REQUIRE(only);
  CHECK(only->tags.at("label") == "a");
}

TEST_CASE("filters: every tag must match, no match is no_workers, malformed is a config error",
          "[registry_actor]") {
  runtime rt;
  auto& sys = rt.system();
  director_node director{sys};
  worker_node gpu{sys, "gpu", {{"gpu", "true"}, {"zone", "eu"}}};
  worker_node cpu{sys, "cpu", {{"zone", "eu"}}};
  join_all(sys, director, {&gpu, &cpu});
  auto chosen = select(sys, director, "zone=eu,gpu=true");
  REQUIRE(chosen);
  CHECK(chosen->tags.at("label") == "gpu");
  auto none = select(sys, director, "zone=us");
  REQUIRE_FALSE(none);
  CHECK(code_of(none.error()) == error::no_workers);
  auto bad = select(sys, director, "zone=eu,,gpu");
  REQUIRE_FALSE(bad);
  CHECK(code_of(bad.error()) == error::config);
  auto listed = ask<std::vector<worker>>(sys, director.registry, workers_atom::value,
                                         std::string{"gpu=true"});
  REQUIRE(listed);
  CHECK(listed->size() == 1);
}

TEST_CASE("a user's routing actor chooses, and a hanging or nonsensical router falls back without "
          "stalling the registry",
          "[registry_actor]") {
  runtime rt;
  auto& sys = rt.system();
  director_node director{sys};
  worker_node a{sys, "a"}, b{sys, "b"};
  join_all(sys, director, {&a, &b});
  auto b_id = b.node->cluster().local_node_id();
  // Always b.
  auto always_b = spawn_router(sys, b_id);
  REQUIRE(ask<caf::ok_atom>(sys, director.registry, router_atom::value, always_b,
                            caf::timespan{500ms}));
  for (int i = 0; i < 5; ++i) {
    auto w = select(sys, director);
    REQUIRE(w);
    CHECK(w->id == b_id);
  }
  // Names a worker that does not exist.
  auto nonsense = spawn_router(sys, node_id{7, 7});
  REQUIRE(ask<caf::ok_atom>(sys, director.registry, router_atom::value, nonsense,
                            caf::timespan{500ms}));
  auto fallback = select(sys, director);
  REQUIRE(fallback);
  CHECK((fallback->tags.at("label") == "a" || fallback->tags.at("label") == "b"));
  // Never answers.
  auto hanging = spawn_router(sys, std::nullopt);
  REQUIRE(ask<caf::ok_atom>(sys, director.registry, router_atom::value, hanging,
                            caf::timespan{300ms}));
  auto start = std::chrono::steady_clock::now();
  caf::scoped_actor self{sys};
  // While a selection waits on the router, the registry answers others.
  self->request(director.registry, caf::timespan{10s}, select_atom::value, worker_selection{})
    .receive([](worker&) {}, [](caf::error&) {});
  auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= 300ms);
  CHECK(waited < 3s);
  auto during = ask<load_balancing_strategy>(sys, director.registry, strategy_atom::value);
  CHECK(during);
}

TEST_CASE("the cluster client spreads calls by round robin exactly evenly", "[cluster_client]") {
  runtime rt;
  auto& sys = rt.system();
  director_node director{sys, {"role=worker", load_balancing_strategy::round_robin, 0, nullptr}};
  worker_node a{sys, "a"}, b{sys, "b"}, c{sys, "c"};
  join_all(sys, director, {&a, &b, &c});
  auto client = cluster_client::start(sys, director.registry, client_settings());
  REQUIRE(client);
  std::map<std::string, int> by_label;
  for (int i = 0; i < 30; ++i) {
    auto reply = client->call_worker("whoami", {});
    REQUIRE(reply);
    ++by_label[std::string{as_string_view(*reply)}];
  }
  CHECK(by_label == std::map<std::string, int>{{"a", 10}, {"b", 10}, {"c", 10}});
  CHECK(client->stats().connections_opened == 3);
}

TEST_CASE("a handler's own error is returned, never retried", "[cluster_client]") {
  runtime rt;
  auto& sys = rt.system();
  director_node director{sys};
  worker_node a{sys, "a"}, b{sys, "b"};
  join_all(sys, director, {&a, &b});
  auto client = cluster_client::start(sys, director.registry, client_settings());
  REQUIRE(client);
  auto reply = client->call_worker("fail", {});
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::remote);
  CHECK(client->stats().failovers == 0);
}

TEST_CASE("with no worker in the pool a call fails with no_workers at once", "[cluster_client]") {
  runtime rt;
  auto& sys = rt.system();
  director_node director{sys};
  auto client = cluster_client::start(sys, director.registry, client_settings());
  REQUIRE(client);
  auto start = std::chrono::steady_clock::now();
  auto reply = client->call_worker("whoami", {});
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::no_workers);
  CHECK(std::chrono::steady_clock::now() - start < 1s);
}

TEST_CASE("a call to a worker that vanished fails over to another, and its circuit opens",
          "[cluster_client]") {
  runtime rt;
  auto& sys = rt.system();
  director_node director{sys, {"role=worker", load_balancing_strategy::round_robin, 0, nullptr}};
  worker_node a{sys, "a"};
  auto b = std::make_unique<worker_node>(sys, "b");
  join_all(sys, director, {&a, b.get()});
  auto cfg = client_settings();
  cfg.breaker.failure_threshold = 2;
  auto client = cluster_client::start(sys, director.registry, cfg);
  REQUIRE(client);
  for (int i = 0; i < 4; ++i)
    REQUIRE(client->call_worker("whoami", {}));
  auto b_id = b->node->cluster().local_node_id();
  // b's port closes without a word to the cluster (its membership stops
  // without leaving): the registry still lists it for a while.
  b->node->cluster().stop();
  b->node->server().stop(0ms);
  int failures = 0;
  for (int i = 0; i < 10; ++i) {
    auto reply = client->call_worker("whoami", {});
    failures += reply ? 0 : 1;
    if (reply)
      CHECK(as_string_view(*reply) == "a");
  }
  CHECK(failures == 0);
  CHECK(client->stats().failovers >= 1);
  CHECK(client->circuit(b_id) == circuit_breaker::state::open);
}

TEST_CASE("a call's exclusions keep it off the workers named, and naming them all is no_workers",
          "[cluster_client]") {
  runtime rt;
  auto& sys = rt.system();
  director_node director{sys, {"role=worker", load_balancing_strategy::round_robin, 0, nullptr}};
  worker_node a{sys, "a"}, b{sys, "b"};
  join_all(sys, director, {&a, &b});
  auto client = cluster_client::start(sys, director.registry, client_settings());
  REQUIRE(client);
  worker_call_options not_a;
  not_a.exclude = {a.node->cluster().local_node_id()};
  for (int i = 0; i < 4; ++i) {
    auto reply = client->call_worker("whoami", {}, not_a);
    REQUIRE(reply);
    CHECK(as_string_view(*reply) == "b");
  }
  for (auto* w : {&a, &b})
    w->node->server().register_streaming(
      "who", [label = w->label](stream_reader& in, stream_writer& out) -> caf::error {
        if (auto first = in.next(); !first || !*first)
          return make_error(error::protocol, "who wants one message");
        return out.write(to_bytes(label));
      });
  auto stream = client->call_worker_server_streaming("who", to_bytes("?"), not_a);
  REQUIRE(stream);
  auto first = stream->next();
  REQUIRE(first);
  REQUIRE(*first);
  CHECK(as_string_view(**first) == "b");
  auto neither = not_a;
  neither.exclude.push_back(b.node->cluster().local_node_id());
  auto refused = client->call_worker("whoami", {}, neither);
  REQUIRE_FALSE(refused);
  CHECK(code_of(refused.error()) == error::no_workers);
  CHECK(a.served->load() == 0);
  CHECK(client->stats().failovers == 0);
}

TEST_CASE("the failover observer is told which worker failed and why, once per failover",
          "[cluster_client]") {
  runtime rt;
  auto& sys = rt.system();
  director_node director{sys, {"role=worker", load_balancing_strategy::round_robin, 0, nullptr}};
  worker_node a{sys, "a"};
  auto b = std::make_unique<worker_node>(sys, "b");
  join_all(sys, director, {&a, b.get()});
  std::mutex mtx;
  std::vector<std::pair<std::string, error>> told;
  auto cfg = client_settings().with_on_failover([&](const worker& w, const caf::error& why) {
    std::lock_guard<std::mutex> guard{mtx};
    told.emplace_back(w.tags.at("label"), code_of(why));
  });
  auto client = cluster_client::start(sys, director.registry, cfg);
  REQUIRE(client);
  REQUIRE(client->call_worker("whoami", {}));
  REQUIRE(client->call_worker("whoami", {}));
  // b's port closes without a word to the cluster: calls chosen for it
  // fail over to a.
  b->node->cluster().stop();
  b->node->server().stop(0ms);
  for (int i = 0; i < 6; ++i)
    REQUIRE(client->call_worker("whoami", {}));
  // A handler's own error is no failover.
  worker_call_options on_a;
  on_a.exclude = {b->node->cluster().local_node_id()};
  REQUIRE_FALSE(client->call_worker("fail", {}, on_a));
  std::lock_guard<std::mutex> guard{mtx};
  REQUIRE_FALSE(told.empty());
  CHECK(told.size() == client->stats().failovers);
  for (const auto& [label, code] : told) {
    CHECK(label == "b");
    // What retry_policy counts safe to repeat.
    CHECK((code == error::connection || code == error::timeout));
  }
}

TEST_CASE("hedging sends a second request when the first worker is slow, and the first "
          "answer wins",
          "[cluster_client]") {
  runtime rt;
  auto& sys = rt.system();
  director_node director{sys, {"role=worker", load_balancing_strategy::round_robin, 0, nullptr}};
  worker_node slow{sys, "slow"}, fast{sys, "fast"};
  slow.node->server().register_unary("whoami", [](byte_buffer) {
    std::this_thread::sleep_for(1s);
    return caf::expected<byte_buffer>{to_bytes("slow")};
  });
  join_all(sys, director, {&slow, &fast});
  auto cfg = client_settings();
  cfg.hedge_after = 100ms;
  auto client = cluster_client::start(sys, director.registry, cfg);
  REQUIRE(client);
  for (int i = 0; i < 4; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto reply = client->call_worker("whoami", {});
    REQUIRE(reply);
    CHECK(as_string_view(*reply) == "fast");
    CHECK(std::chrono::steady_clock::now() - start < 900ms);
  }
  // Each slow loser is cancelled at once, long before its handler's 1 s.
  CHECK(eventually([&] { return client->stats().hedges_cancelled >= 2; }, 300ms));
  auto stats = client->stats();
  CHECK(stats.hedges >= 2);
  CHECK(stats.hedges_won >= 2);
}

TEST_CASE("the registry learns the cluster client's calls in flight, and their end",
          "[cluster_client]") {
  runtime rt;
  auto& sys = rt.system();
  director_node director{sys};
  worker_node busy{sys, "busy"};
  busy.node->server().register_unary("whoami", [](byte_buffer) {
    std::this_thread::sleep_for(800ms);
    return caf::expected<byte_buffer>{to_bytes("busy")};
  });
  join_all(sys, director, {&busy});
  auto client = cluster_client::start(sys, director.registry, client_settings());
  REQUIRE(client);
  auto id = busy.node->cluster().local_node_id();
  auto in_flight = [&] {
    auto n = ask<uint32_t>(sys, director.registry, in_flight_atom::value, id);
    return n ? *n : 0u;
  };
  std::vector<std::thread> callers;
  for (int i = 0; i < 3; ++i)
    callers.emplace_back([&] { CHECK(client->call_worker("whoami", {})); });
  CHECK(eventually([&] { return in_flight() == 3; }, 600ms));
  for (auto& t : callers)
    t.join();
  CHECK(eventually([&] { return in_flight() == 0; }, 1s));
}

TEST_CASE("a server-streaming call goes to a chosen worker", "[cluster_client]") {
  runtime rt;
  auto& sys = rt.system();
  director_node director{sys};
  worker_node w{sys, "w"};
  w.node->server().register_streaming("count", [](stream_reader& in, stream_writer& out) -> caf::error {
    auto first = in.next();
    if (!first || !*first)
      return make_error(error::protocol, "count wants one message");
    for (uint8_t i = 1; i <= 3; ++i)
      if (auto err = out.write(byte_buffer{i}))
        return err;
    return {};
  });
  join_all(sys, director, {&w});
  auto client = cluster_client::start(sys, director.registry, client_settings());
  REQUIRE(client);
  auto stream = client->call_worker_server_streaming("count", to_bytes("go"));
  REQUIRE(stream);
  std::vector<uint8_t> got;
  for (;;) {
    auto msg = stream->next();
    REQUIRE(msg);
    if (!*msg)
      break;
    got.push_back((**msg)[0]);
  }
  CHECK(got == std::vector<uint8_t>{1, 2, 3});
  // The stream counts as in flight on its worker until it is dropped.
  auto id = w.node->cluster().local_node_id();
  auto in_flight = [&] {
    auto n = ask<uint32_t>(sys, director.registry, in_flight_atom::value, id);
    return n ? *n : 0u;
  };
  CHECK(eventually([&] { return in_flight() == 1; }, 1s));
  stream = make_error(error::cancelled, "dropped");
  CHECK(eventually([&] { return in_flight() == 0; }, 1s));
}

TEST_CASE("the cluster client carries a handler's deadline, cancellation and metadata to the "
          "worker it calls",
          "[cluster_client][call_context]") {
  runtime rt;
  auto& sys = rt.system();
  director_node director{sys};
  worker_node a{sys, "a"};
  join_all(sys, director, {&a});
  auto cancelled = std::make_shared<std::atomic<int>>(0);
  auto tenant = std::make_shared<std::string>();
  auto tenant_mtx = std::make_shared<std::mutex>();
  a.node->server().register_unary(
    "slow", [cancelled, tenant, tenant_mtx](call_context& ctx, byte_buffer) -> caf::expected<byte_buffer> {
      {
        std::lock_guard<std::mutex> guard{*tenant_mtx};
        *tenant = std::string{ctx.metadata().get("tenant").value_or("")};
      }
      auto until = std::chrono::steady_clock::now() + 5s;
      while (!ctx.cancelled() && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(1ms);
      if (ctx.cancelled())
        ++*cancelled;
      return make_error(error::remote, "slow");
    });
  auto workers = cluster_client::start(sys, director.registry, client_settings());
  REQUIRE(workers);
  // A front server whose handler hands its call on to a worker.
  rpc_server front{sys, server_config()};
  front.register_unary("front", [&workers](call_context& ctx, byte_buffer req) {
    worker_call_options opts;
    opts.parent = ctx;
    opts.metadata.add("tenant", "blue");
    return workers->call_worker("slow", std::move(req), opts);
  });
  auto addr = front.bind();
  REQUIRE(addr);
  REQUIRE_FALSE(front.start());
  auto caller = rpc_client::connect(sys, addr->to_string(), client_config());
  REQUIRE(caller);
  auto start = std::chrono::steady_clock::now();
  auto reply = caller->call("front", {}, call_options{}.with_timeout(150ms));
  CHECK(code_of(reply.error()) == error::timeout);
  CHECK(std::chrono::steady_clock::now() - start < 150ms + 500ms);
  CHECK(eventually([&] { return cancelled->load() == 1; }, 5s));
  std::lock_guard<std::mutex> guard{*tenant_mtx};
  CHECK(*tenant == "blue");
  CHECK(workers->stats().failovers == 0);
  front.stop(0ms);
}
