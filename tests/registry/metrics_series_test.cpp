// Tests the series a node exports on its admin address, as docs/operations.md
// lists them, in one process: each one a process can produce is on the
// page with its documented type and labels (and nothing undocumented is),
// and each moves when its event happens: a call that succeeds or fails on
// both sides, a call in flight, a refused TLS handshake, a member joining
// and crashing, and a worker registry losing its worker.
#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <rpcnet/actors/rpc_client.hpp>
#include <rpcnet/cluster/cluster_client.hpp>

#include "admin_node.hpp"
#include "cluster_nodes.hpp"
#include "eventually.hpp"
#include "scraped_metrics.hpp"

using namespace rpcnet;
using namespace rpcnet::test;
using namespace std::chrono_literals;

namespace {

using labels = scraped_metrics::labels;

/// One family as docs/operations.md describes it.
struct documented_family {
  std::string name;
  std::string type;
  std::set<std::string> label_names;
};

std::vector<documented_family> documented_families() {
  std::vector<documented_family> families{
    {"rpc_requests_total", "counter", {"side", "method", "code"}},
    {"rpc_latency_seconds", "histogram", {"side", "method"}},
    {"rpc_request_bytes_total", "counter", {"side", "method"}},
    {"rpc_response_bytes_total", "counter", {"side", "method"}},
    {"rpc_errors_total", "counter", {"side", "type"}},
    {"rpc_in_flight_calls", "gauge", {"side"}},
    {"rpc_streams_open", "gauge", {"side"}},
    {"rpc_server_protocol_errors_total", "counter", {}},
    {"rpc_server_abandoned_calls_total", "counter", {}},
    {"rpc_server_deadlines_exceeded_total", "counter", {}},
    {"rpc_server_draining", "gauge", {}},
    {"rpcnet_transport_handshake_failures_total", "counter", {"endpoint", "reason"}},
    {"rpcnet_transport_credential_reloads_total", "counter", {"endpoint", "result"}},
    {"rpcnet_members", "gauge", {"state"}},
    {"rpcnet_member_phi", "gauge", {"member"}},
    {"rpcnet_gossip_datagrams_refused_total", "counter", {"reason"}},
    {"cluster_healthy_workers", "gauge", {}},
    {"cluster_suspect_workers", "gauge", {}},
    {"cluster_worker_in_flight", "gauge", {"worker", "label"}},
    {"cluster_worker_calls_total", "counter", {"worker", "label"}},
    {"cluster_selections_total", "counter", {"result"}},
    {"cluster_client_circuit_state", "gauge", {"worker"}},
    {"rpcnet_admin_requests_total", "counter", {"path", "code"}},
    {"rpcnet_admin_connections_refused_total", "counter", {}},
    {"rpcnet_actor_exceptions_total", "counter", {"actor"}},
  };
  for (std::string suffix :
       {"datagrams_received_total", "datagrams_sent_total", "datagrams_dropped_total",
        "received_bytes_total", "sent_bytes_total", "connections_accepted_total",
        "protocol_errors_total", "version_negotiations_total", "retries_sent_total",
        "new_tokens_sent_total",
        "connections_over_buffer_limit_total", "streams_over_budget_total",
        "requests_timed_out_total", "peers_unreachable_total", "congestion_events_total",
        "lost_packets_total"})
    families.push_back({"rpcnet_transport_" + suffix, "counter", {"endpoint"}});
  families.push_back({"rpcnet_transport_connections_refused_total", "counter",
                      {"endpoint", "reason"}});
  families.push_back({"rpcnet_transport_connections_validated_total", "counter",
                      {"endpoint", "token"}});
  for (std::string suffix : {"connections_open", "buffered_bytes", "smoothed_rtt_seconds",
                             "half_open_connections"})
    families.push_back({"rpcnet_transport_" + suffix, "gauge", {"endpoint"}});
  for (std::string name :
       {"rpcnet_gossip_suspicions_total", "rpcnet_gossip_refutations_total",
        "rpcnet_gossip_probe_round_trips_total", "rpcnet_gossip_probe_round_trip_seconds_total",
        "rpcnet_gossip_datagrams_received_total", "rpcnet_gossip_datagrams_sent_total",
        "rpcnet_gossip_received_bytes_total", "rpcnet_gossip_sent_bytes_total",
        "rpcnet_gossip_claims_refused_total", "cluster_client_calls_total",
        "cluster_client_failed_calls_total", "cluster_client_retries_total",
        "cluster_client_hedges_total", "cluster_client_hedges_won_total",
        "cluster_client_circuit_rejections_total"})
    families.push_back({name, "counter", {}});
  return families;
}

/// The family a sample belongs to: a histogram's _bucket, _sum and _count
/// are its family's.
std::string family_of(const scraped_metrics& page, const std::string& sample) {
  for (std::string suffix : {"_bucket", "_sum", "_count"})
    if (sample.size() > suffix.size()
        && sample.compare(sample.size() - suffix.size(), suffix.size(), suffix) == 0) {
      auto base = sample.substr(0, sample.size() - suffix.size());
      if (page.type_of(base) == "histogram")
        return base;
    }
  return sample;
}

/// How far `name{subset}` (summed over other labels) moved between pages.
double moved(const scraped_metrics& before, const scraped_metrics& after,
             const std::string& name, const labels& subset = {}) {
  return after.sum(name, subset) - before.sum(name, subset);
}

/// Scrapes `admin` until `done(page)` holds, failing the test with
/// `awaited` when `limit` passes first; the last page, for the checks
/// that say which series stayed put.
template <class Predicate>
scraped_metrics scrape_until(const socket_address& admin, const std::string& awaited,
                             Predicate done, std::chrono::milliseconds limit = 5s) {
  std::optional<scraped_metrics> page;
  bool reached = eventually(
    [&] {
      page.emplace(scrape(admin));
      return done(*page);
    },
    limit);
  INFO("no page showed " << awaited);
  CHECK(reached);
  return std::move(*page);
}

labels call_labels(const std::string& side, const std::string& method,
                   const std::string& code) {
  return {{"side", side}, {"method", method}, {"code", code}};
}

/// Gossip fast enough that a crashed peer is suspected within a second
/// and dead about a second later.
cluster_config quick_detection() {
  return cluster_config{}
    .with_gossip_interval(200ms)
    .with_probe_timeout(100ms)
    .with_suspicion_timeout(1s);
}

/// A director with an admin address and a worker registry counting into
/// its metrics, and one worker in the pool.
struct watched_pool {
  watched_pool() {
    auto& node = *director.node;
    auto counted = worker_registry_config{}.with_metrics(node.metrics());
    auto spawned = spawn_worker_registry(director.sys, node.cluster().actor(), counted);
    REQUIRE(spawned);
    registry = std::move(*spawned);
    node.show_workers(registry);
    member = std::make_unique<worker_node>(director.sys, "w");
    REQUIRE_FALSE(member->node->cluster().join({node.local_address().to_string()}));
    INFO("the registry never listed the worker");
    REQUIRE(eventually(
      [&] {
        auto pool = ask<std::vector<worker>>(director.sys, registry, workers_atom::value);
        return pool && pool->size() == 1;
      },
      10s));
  }

  admin_scene director{{}, quick_detection().with_tag("role", "director")};
  worker_registry_actor registry;
  std::unique_ptr<worker_node> member;
};

} // namespace

TEST_CASE("every documented series one process can produce is on the page with its type and "
          "labels",
          "[metrics]") {
  watched_pool pool;
  auto& sys = pool.director.sys;
  auto& director = *pool.director.node;
  const auto& admin = pool.director.admin;
  auto client = pool.director.client();
  require_echo(client, "present");
  CHECK_FALSE(client.call("fail", {}));
  CHECK_FALSE(rpc_client::connect(sys, director.local_address().to_string(),
                                  client_config().with_server_name("not-localhost")));
  auto through_pool = cluster_client::start(
    sys, pool.registry,
    cluster_client_config{client_config().with_metrics(director.metrics()).with_call_timeout(5s)});
  REQUIRE(through_pool);
  REQUIRE(through_pool->call_worker("whoami", {}));
  REQUIRE(ask<worker>(sys, pool.registry, select_atom::value, worker_selection{}));
  CHECK(http_status(admin, "/nope") == 404);
  auto worker_id = pool.member->node->cluster().local_node_id().to_string();
  auto page = scrape_until(admin, "the worker's phi", [&](const auto& p) {
    return p.count("rpcnet_member_phi", {{"member", worker_id}}) == 1;
  });

  for (const auto& family : documented_families()) {
    INFO("series " << family.name);
    CHECK(page.type_of(family.name) == family.type);
    auto sample = family.type == "histogram" ? family.name + "_count" : family.name;
    CHECK(page.count(sample) > 0);
    CHECK(page.label_names(sample) == std::set<std::set<std::string>>{family.label_names});
  }
  std::set<std::string> known;
  for (const auto& family : documented_families())
    known.insert(family.name);
  for (const auto& sample : page.sample_names()) {
    INFO("series " << sample << " is on the page but not in docs/operations.md");
    CHECK(known.count(family_of(page, sample)) == 1);
  }
  auto verdict = promtool_check(page.text());
  INFO("promtool said:\n" << verdict.output);
  CHECK(verdict.status == 0);
}

TEST_CASE("a successful call moves the requests and latency series of both sides", "[metrics]") {
  admin_scene scene;
  labels at_node{{"endpoint", scene.node->local_address().to_string()}};
  auto before = scrape(scene.admin);
  auto client = scene.client();
  require_echo(client, "moved");
  auto after = scrape_until(scene.admin, "the call counted on both sides", [&](const auto& p) {
    return moved(before, p, "rpc_requests_total", call_labels("server", "echo", "ok")) == 1
           && moved(before, p, "rpc_requests_total", call_labels("client", "echo", "ok")) == 1;
  });
  for (std::string side : {"server", "client"}) {
    INFO("side " << side);
    CHECK(moved(before, after, "rpc_requests_total", call_labels(side, "echo", "ok")) == 1);
    labels call{{"side", side}, {"method", "echo"}};
    CHECK(moved(before, after, "rpc_latency_seconds_count", call) == 1);
    auto infinite = call;
    infinite.emplace("le", "+Inf");
    CHECK(moved(before, after, "rpc_latency_seconds_bucket", infinite) == 1);
    CHECK(moved(before, after, "rpc_latency_seconds_sum", call) > 0);
    // "moved" both ways.
    CHECK(moved(before, after, "rpc_request_bytes_total", call) == 5);
    CHECK(moved(before, after, "rpc_response_bytes_total", call) == 5);
    CHECK(after.sum("rpc_errors_total", {{"side", side}}) == 0);
  }
  CHECK(moved(before, after, "rpcnet_transport_connections_accepted_total", at_node) == 1);
  CHECK(moved(before, after, "rpcnet_transport_datagrams_received_total", at_node) > 0);
  CHECK(moved(before, after, "rpcnet_transport_received_bytes_total", at_node) > 0);
  CHECK(after.value("rpcnet_transport_connections_open", at_node) == std::optional<double>{1});
}

TEST_CASE("a call in flight shows in rpc_in_flight_calls on both sides until it ends",
          "[metrics]") {
  admin_scene scene;
  auto in_flight = [](const scraped_metrics& page, const std::string& side) {
    return page.sum("rpc_in_flight_calls", {{"side", side}});
  };
  auto call = scene.holder.hold(scene.client());
  auto during = scrape_until(scene.admin, "the held call on both sides", [&](const auto& p) {
    return in_flight(p, "server") == 1 && in_flight(p, "client") == 1;
  });
  CHECK(in_flight(during, "server") == 1);
  CHECK(in_flight(during, "client") == 1);
  scene.holder.release();
  REQUIRE(call.get());
  auto after = scrape_until(scene.admin, "the call's end on both sides", [&](const auto& p) {
    return in_flight(p, "server") == 0 && in_flight(p, "client") == 0;
  });
  CHECK(in_flight(after, "server") == 0);
  CHECK(in_flight(after, "client") == 0);
}

TEST_CASE("a failing call moves rpc_errors_total of both sides under the error's code",
          "[metrics]") {
  admin_scene scene;
  auto client = scene.client();
  auto before = scrape(scene.admin);
  auto failed = client.call("fail", {});
  REQUIRE_FALSE(failed);
  CHECK(code_of(failed.error()) == error::remote);
  auto unknown = client.call("nope", {});
  REQUIRE_FALSE(unknown);
  CHECK(code_of(unknown.error()) == error::unknown_method);
  auto after = scrape_until(scene.admin, "the failures counted on both sides", [&](const auto& p) {
    return moved(before, p, "rpc_errors_total", {{"side", "server"}}) == 1
           && moved(before, p, "rpc_errors_total", {{"side", "client"}}) == 2;
  });
  for (std::string side : {"server", "client"}) {
    INFO("side " << side);
    CHECK(moved(before, after, "rpc_errors_total", {{"side", side}, {"type", "remote"}}) == 1);
    CHECK(moved(before, after, "rpc_requests_total", call_labels(side, "fail", "remote")) == 1);
    CHECK(moved(before, after, "rpc_requests_total", call_labels(side, "fail", "ok")) == 0);
  }
  // The caller names what it calls; the server counts only its methods.
  CHECK(moved(before, after, "rpc_errors_total", {{"side", "client"}, {"type", "unknown_method"}})
        == 1);
  CHECK(after.count("rpc_requests_total", {{"side", "server"}, {"method", "nope"}}) == 0);
  CHECK(moved(before, after, "rpc_errors_total", {{"side", "server"}}) == 1);
}

TEST_CASE("a refused TLS handshake moves the server's handshake failure series", "[metrics]") {
  admin_scene scene;
  auto failures = [&](const std::string& reason) {
    return labels{{"endpoint", scene.node->local_address().to_string()}, {"reason", reason}};
  };
  auto before = scrape(scene.admin);
  // The client refuses the node's certificate: it names "localhost".
  auto refused = rpc_client::connect(scene.sys, scene.node->local_address().to_string(),
                                     client_config().with_server_name("not-localhost"));
  REQUIRE_FALSE(refused);
  CHECK(code_of(refused.error()) == error::tls);
  auto after = scrape_until(scene.admin, "the refused handshake", [&](const auto& p) {
    return moved(before, p, "rpcnet_transport_handshake_failures_total", failures("tls")) == 1;
  });
  CHECK(moved(before, after, "rpcnet_transport_handshake_failures_total", failures("tls")) == 1);
  CHECK(moved(before, after, "rpcnet_transport_handshake_failures_total", failures("timeout"))
        == 0);
  CHECK(moved(before, after, "rpcnet_transport_handshake_failures_total", failures("other")) == 0);
  CHECK(moved(before, after, "rpcnet_transport_connections_accepted_total",
              {{"endpoint", scene.node->local_address().to_string()}})
        == 0);
}

TEST_CASE("a member joining moves rpcnet_members alive and its crash moves it to suspect and "
          "then dead",
          "[metrics]") {
  admin_scene scene{{}, quick_detection()};
  auto members = [](const scraped_metrics& page, const std::string& state) {
    return page.sum("rpcnet_members", {{"state", state}});
  };
  auto alone = scrape(scene.admin);
  CHECK(members(alone, "alive") == 1);
  for (std::string state : {"suspect", "dead", "left"}) {
    INFO("state " << state);
    CHECK(alone.value("rpcnet_members", {{"state", state}}) == std::optional<double>{0});
  }
  auto peer = std::make_unique<worker_node>(scene.sys, "peer");
  REQUIRE_FALSE(peer->node->cluster().join({scene.node->local_address().to_string()}));
  auto joined = scrape_until(scene.admin, "two members alive",
                             [&](const auto& p) { return members(p, "alive") == 2; });
  CHECK(members(joined, "alive") == 2);

  // Gone without leaving, as a crash would.
  peer.reset();
  auto missed = scrape_until(scene.admin, "the crashed member suspect or dead", [&](const auto& p) {
    return members(p, "alive") == 1 && members(p, "suspect") + members(p, "dead") == 1;
  });
  CHECK(members(missed, "alive") == 1);
  CHECK(members(missed, "suspect") + members(missed, "dead") == 1);
  CHECK(moved(alone, missed, "rpcnet_gossip_suspicions_total") >= 1);
  auto buried = scrape_until(
    scene.admin, "the crashed member dead",
    [&](const auto& p) { return members(p, "dead") == 1; }, 10s);
  CHECK(members(buried, "dead") == 1);
  CHECK(members(buried, "alive") == 1);
  CHECK(members(buried, "left") == 0);
  // The dead are not timed: only the node itself may still have a phi.
  CHECK(buried.count("rpcnet_member_phi") <= 1);
}

TEST_CASE("a worker registry with metrics shows cluster_healthy_workers fall from 1 to 0 when "
          "its worker is killed",
          "[metrics]") {
  watched_pool pool;
  const auto& admin = pool.director.admin;
  auto worker_id = pool.member->node->cluster().local_node_id().to_string();
  auto healthy = scrape_until(admin, "one healthy worker", [](const auto& p) {
    return p.value("cluster_healthy_workers") == std::optional<double>{1};
  });
  CHECK(healthy.value("cluster_healthy_workers") == std::optional<double>{1});
  CHECK(healthy.value("cluster_suspect_workers") == std::optional<double>{0});
  CHECK(healthy.count("cluster_worker_in_flight", {{"worker", worker_id}, {"label", "w"}}) == 1);

  pool.member.reset();
  auto lost = scrape_until(
    admin, "no healthy worker",
    [](const auto& p) { return p.value("cluster_healthy_workers") == std::optional<double>{0}; },
    10s);
  CHECK(lost.value("cluster_healthy_workers") == std::optional<double>{0});
}
