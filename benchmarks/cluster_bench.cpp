// rpcnet-bench cluster: what routing through the cluster costs. One worker
// process (the echo server, a member of the cluster); in this process a
// director's membership, a worker registry and a cluster client, and a
// direct client to the same worker. C threads make blocking echo calls for
// the measurement window, first directly, then through call_worker, then
// both again (alternating halves the effect of a noisy machine), and the
// report compares the call rates.
#include <atomic>
#include <cstdio>
#include <iostream>
#include <thread>

#include <caf/scoped_actor.hpp>

#include <rpcnet/cluster/cluster_client.hpp>
#include <rpcnet/membership/cluster_membership.hpp>

#include "bench_common.hpp"

namespace rpcnet::bench {

namespace {

/// Calls completed within the window by `threads` threads running `call`.
template <class Call>
uint64_t calls_in_window(size_t threads, const bench_options& opt, Call call) {
  auto [from, until] = measurement_window(opt);
  std::atomic<uint64_t> done{0};
  std::atomic<uint64_t> errors{0};
  std::vector<std::thread> workers;
  for (size_t i = 0; i < threads; ++i)
    workers.emplace_back([&, from = from, until = until] {
      byte_buffer payload(opt.payload, uint8_t{0x5a});
      while (bench_clock::now() < until) {
        auto ok = call(payload);
        auto now = bench_clock::now();
        if (!ok)
          ++errors;
        else if (now >= from && now <= until)
          ++done;
      }
    });
  for (auto& t : workers)
    t.join();
  if (errors > 0)
    throw bench_error(std::to_string(errors.load()) + " calls failed");
  return done;
}

size_t pool_size(caf::actor_system& sys, const worker_registry_actor& registry) {
  caf::scoped_actor self{sys};
  size_t n = 0;
  self->request(registry, caf::timespan{std::chrono::seconds{5}}, workers_atom::value)
    .receive([&](std::vector<worker>& ws) { n = ws.size(); }, [](caf::error&) {});
  return n;
}

} // namespace

int run_cluster(const bench_options& opt) {
  auto server = start_rpcnet_server(opt, true);
  auto worker_address = "127.0.0.1:" + std::to_string(server.port());
  runtime rt;
  auto& sys = rt.system();
  // snippet-begin: cluster-client
  auto director = cluster_membership::start(sys, cluster_config{}.with_tag("role", "director"));
  if (!director)
    throw bench_error("director: " + describe(director.error()));
  if (auto err = director->join({worker_address}))
    throw bench_error("join: " + describe(err));
  auto registry = spawn_worker_registry(sys, director->actor());
  if (!registry)
    throw bench_error("registry: " + describe(registry.error()));
  // snippet-end: cluster-client
  auto deadline = bench_clock::now() + std::chrono::seconds{10};
  while (pool_size(sys, *registry) != 1) {
    if (bench_clock::now() > deadline)
      throw bench_error("the worker never showed up in the registry");
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  auto direct = connect_to(sys, opt, server.port());
  auto client_cfg = rpc_config{opt.certs + "/test_cert.pem", "127.0.0.1:0"}
                      .with_ca_path(opt.certs + "/ca.pem")
                      .with_server_name("localhost");
  // snippet-begin: call-worker
  auto cluster = cluster_client::start(sys, *registry, cluster_client_config{client_cfg});
  if (!cluster)
    throw bench_error("cluster client: " + describe(cluster.error()));
  // snippet-end: call-worker
  auto half = opt;
  half.duration = opt.duration / 2;
  uint64_t direct_calls = 0;
  uint64_t cluster_calls = 0;
  for (int round = 0; round < 2; ++round) {
    direct_calls += calls_in_window(opt.concurrency, half, [&](const byte_buffer& p) {
      return static_cast<bool>(direct.call("echo", p));
    });
    cluster_calls += calls_in_window(opt.concurrency, half, [&](const byte_buffer& p) {
      return static_cast<bool>(cluster->call_worker("echo", p));
    });
  }
  auto direct_rps = static_cast<double>(direct_calls) / opt.duration;
  auto cluster_rps = static_cast<double>(cluster_calls) / opt.duration;
  auto overhead = 100.0 * (direct_rps - cluster_rps) / direct_rps;
  if (opt.json)
    std::printf("{\"bench\":\"cluster\",\"concurrency\":%zu,\"payload\":%zu,\"duration_s\":%.1f,"
                "\"direct_rps\":%.0f,\"cluster_rps\":%.0f,\"overhead_pct\":%.2f}\n",
                opt.concurrency, opt.payload, opt.duration, direct_rps, cluster_rps, overhead);
  else
    std::printf("cluster: %zu threads, %zu B: direct %.0f calls/s, call_worker %.0f calls/s "
                "(%.2f%% less)\n",
                opt.concurrency, opt.payload, direct_rps, cluster_rps, overhead);
  return 0;
}

} // namespace rpcnet::bench
