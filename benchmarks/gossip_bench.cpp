// rpcnet-bench gossip: the SWIM membership protocol in the deterministic
// simulator (virtual time, so minutes of cluster life take seconds). It
// measures how fast a join reaches every member, how many live members are
// wrongly declared failed during a steady state at the given loss, the
// gossip traffic per member, how fast a crash is known everywhere, and what
// one phi computation costs.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <unordered_set>

#include "phi_accrual_detector.hpp"
#include <rpcnet/simulator/swim_simulator.hpp>
#include <rpcnet/transport/error.hpp>

#include "bench_common.hpp"

namespace rpcnet::bench {

namespace {

using std::chrono::duration_cast;
using seconds_d = std::chrono::duration<double>;

struct gossip_figures {
  double dissemination_intervals = -1; // -1: not reached in time
  double detection_s = -1;
  uint64_t false_failures = 0;
  double bytes_per_member_per_s = 0;
  double msgs_per_member_per_s = 0;
  double phi_ns = 0;
};

/// Nodes that saw `what` happen to `subject` since the observer was set.
struct witness {
  membership_event::kind what;
  node_id subject;
  std::unordered_set<size_t> seen;
};

double phi_cost_ns() {
  phi_accrual_detector detector;
  auto t = time_point{} + std::chrono::hours{1};
  for (int i = 0; i < 100; ++i)
    detector.heartbeat(t += std::chrono::seconds{1});
  constexpr int rounds = 1'000'000;
  volatile double sink = 0;
  auto start = bench_clock::now();
  for (int i = 0; i < rounds; ++i)
    sink = sink + detector.phi(t + std::chrono::milliseconds{i % 5000});
  auto ns = std::chrono::duration<double, std::nano>(bench_clock::now() - start).count();
  return ns / rounds;
}

} // namespace

int run_gossip(const gossip_options& opt) {
  simulation_options sim_opt;
  sim_opt.nodes = opt.nodes;
  sim_opt.seed = opt.seed;
  sim_opt.network.loss = opt.loss;
  auto made = swim_simulator::make(sim_opt);
  if (!made) {
    std::cerr << "rpcnet-bench gossip: " << describe(made.error()) << "\n";
    return 1;
  }
  auto& sim = *made;
  auto interval = sim_opt.config.gossip_interval;
  gossip_figures f;
  witness watch{membership_event::kind::joined, {}, {}};
  sim.on_event([&](size_t node, const membership_event& ev, time_point) {
    if (ev.what == watch.what && ev.subject.id == watch.subject)
      watch.seen.insert(node);
    if (ev.what == membership_event::kind::failed) {
      // A failure of a member that is running is a false one.
      for (size_t i = 0; i < sim.size(); ++i)
        if (sim.id(i) == ev.subject.id && sim.running(i))
          ++f.false_failures;
    }
  });
  auto limit = duration_cast<duration>(std::chrono::minutes{5});

  // A join, known to every member.
  auto newcomer = sim.add_node();
  watch = {membership_event::kind::joined, sim.id(newcomer), {}};
  auto t0 = sim.now();
  sim.join(newcomer, {0});
  if (sim.run_until([&] { return watch.seen.size() >= opt.nodes; }, limit))
    f.dissemination_intervals = duration_cast<seconds_d>(sim.now() - t0) / duration_cast<seconds_d>(interval);

  // The steady state at the given loss.
  sim.reset_traffic();
  f.false_failures = 0;
  auto steady = duration_cast<duration>(std::chrono::duration<double, std::ratio<60>>(opt.minutes));
  sim.run_for(steady);
  uint64_t bytes = 0;
  uint64_t msgs = 0;
  for (size_t i = 0; i < sim.size(); ++i) {
    bytes += sim.traffic_of(i).bytes_sent;
    msgs += sim.traffic_of(i).datagrams_sent;
  }
  auto members = static_cast<double>(sim.size());
  auto secs = duration_cast<seconds_d>(steady).count();
  f.bytes_per_member_per_s = static_cast<double>(bytes) / members / secs;
  f.msgs_per_member_per_s = static_cast<double>(msgs) / members / secs;

  // A crash, known failed by every other member.
  watch = {membership_event::kind::failed, sim.id(1), {}};
  t0 = sim.now();
  sim.crash(1);
  if (sim.run_until([&] { return watch.seen.size() >= sim.size() - 1; }, limit))
    f.detection_s = duration_cast<seconds_d>(sim.now() - t0).count();

  f.phi_ns = phi_cost_ns();
  if (opt.json) {
    std::printf("{\"nodes\":%zu,\"loss\":%.3f,\"minutes\":%.2f,\"dissemination_intervals\":%.3f,"
                "\"detection_s\":%.3f,\"false_failures\":%llu,\"bytes_per_member_per_s\":%.1f,"
                "\"msgs_per_member_per_s\":%.2f,\"phi_ns\":%.1f}\n",
                opt.nodes, opt.loss, opt.minutes, f.dissemination_intervals, f.detection_s,
                static_cast<unsigned long long>(f.false_failures), f.bytes_per_member_per_s,
                f.msgs_per_member_per_s, f.phi_ns);
  } else {
    std::printf("gossip N=%zu loss=%.1f%%: join known to all in %.2f intervals, crash known "
                "failed by all in %.2f s, %llu false failures in %.1f min, %.0f B/s and %.2f "
                "datagrams/s per member, phi %.0f ns\n",
                opt.nodes, opt.loss * 100, f.dissemination_intervals, f.detection_s,
                static_cast<unsigned long long>(f.false_failures), opt.minutes,
                f.bytes_per_member_per_s, f.msgs_per_member_per_s, f.phi_ns);
  }
  return f.dissemination_intervals >= 0 && f.detection_s >= 0 ? 0 : 1;
}

} // namespace rpcnet::bench
