// A flood of QUIC Initials against a server process while real clients call
// it: forged ClientHellos (quic_initial_forge.hpp) with random connection
// IDs, padded to 1200 bytes, from many source ports that never answer --
// what a sender of forged addresses produces. The server must keep serving
// (calls on an open connection and new clients, which get in through a
// Retry), send no unvalidated address more than three times what it
// received from it (RFC 9000 section 8.1), keep its connection table and
// memory bounded, and say so in its counters. A second case measures what
// one half-open connection costs, the figure those bounds rest on.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include <sys/socket.h>

#include <rpcnet/actors/rpc_client.hpp>
#include <rpcnet/actors/runtime.hpp>

#include "echo_server.hpp"
#include "echo_server_process.hpp"
#include "eventually.hpp"
#include "quic_initial_forge.hpp"
#include "udp_socket.hpp"

using namespace rpcnet;
using namespace std::chrono_literals;
using test::echo_server_process;
using test::eventually;
using test::udp_socket;

namespace {

/// One source port of the flood and what crossed it.
struct flood_source {
  std::unique_ptr<udp_socket> sock = std::make_unique<udp_socket>();
  uint64_t initials = 0;
  uint64_t sent = 0;
  uint64_t received = 0;
};

/// Sends forged Initials from `sources` ports in turn, `per_round` from
/// each, reading whatever the server answers; a source's port is replaced
/// by a fresh one every `port_lifetime` rounds, so the server sees ever
/// new addresses. Finished sources are kept for the amplification check.
class initial_flood {
public:
  initial_flood(socket_address target, size_t sources) : target_(target), live_(sources) {
  }

  /// One round: an Initial from every live source, then every answer.
  void round() {
    for (auto& src : live_) {
      test::initial_header hd;
      hd.dcid = test::random_cid();
      hd.scid = test::random_cid(8);
      auto dg = test::forge_client_initial(hd);
      if (src.sock->send_to(target_, dg)) {
        ++src.initials;
        src.sent += dg.size();
      }
    }
    drain();
    if (++rounds_ % port_lifetime == 0)
      for (auto& src : live_) {
        drain_one(src);
        finished_.push_back(std::exchange(src, flood_source{}));
      }
  }

  /// Reads what arrived on every live source.
  void drain() {
    for (auto& src : live_)
      drain_one(src);
  }

  /// Every source, live and finished, for the checks.
  std::vector<const flood_source*> all() const {
    std::vector<const flood_source*> out;
    for (auto& s : finished_)
      out.push_back(&s);
    for (auto& s : live_)
      out.push_back(&s);
    return out;
  }

private:
  static constexpr uint64_t port_lifetime = 20;

  static void drain_one(flood_source& src) {
    std::array<uint8_t, 4096> buf;
    for (;;) {
      auto n = ::recv(src.sock->native(), buf.data(), buf.size(), MSG_DONTWAIT);
      if (n <= 0)
        return;
      src.received += static_cast<uint64_t>(n);
    }
  }

  socket_address target_;
  std::vector<flood_source> live_;
  std::vector<flood_source> finished_;
  uint64_t rounds_ = 0;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

} // namespace

TEST_CASE("under a flood of forged Initials real clients keep calling and the server stays "
          "bounded",
          "[initial_flood]") {
  constexpr size_t retry_threshold = 16;
  constexpr auto flood_time = 12s;
  echo_server_process server{{"--retry-threshold", std::to_string(retry_threshold)}};
  runtime rt;
  auto steady = test::require_connect(rt.system(), server.address_text());
  test::require_echo(steady, "before the flood");
  auto memory_before = server.memory_use();

  // The flood: 64 ports at a time, 40 rounds a second (2,560 Initials and
  // 3 MB a second), on a thread of its own.
  std::atomic<bool> flooding{true};
  initial_flood flood{server.address(), 64};
  std::thread sender{[&] {
    auto next = std::chrono::steady_clock::now();
    while (flooding) {
      flood.round();
      next += 25ms;
      std::this_thread::sleep_until(next);
    }
    flood.drain();
  }};

  // Meanwhile: calls on the open connection, a new client every 250 ms,
  // and the server's table watched.
  std::vector<double> call_ms;
  size_t calls = 0;
  size_t calls_ok = 0;
  size_t fresh = 0;
  size_t fresh_ok = 0;
  uint64_t most_open = 0;
  auto end = std::chrono::steady_clock::now() + flood_time;
  auto next_fresh = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < end) {
    auto start = std::chrono::steady_clock::now();
    auto reply = steady.call("echo", to_bytes("during the flood"), 2s);
    ++calls;
    if (reply) {
      ++calls_ok;
      call_ms.push_back(test::elapsed_ms(start));
    }
    if (std::chrono::steady_clock::now() >= next_fresh) {
      next_fresh += 250ms;
      ++fresh;
      fresh_ok += test::serves_a_normal_call(rt.system(), server.address_text()) ? 1 : 0;
      most_open = std::max(most_open, server.stat("connections_open"));
    }
  }
  flooding = false;
  sender.join();

  auto stats = server.stats();
  auto memory_after = server.memory_use();
  uint64_t initials = 0;
  uint64_t flood_in = 0;
  uint64_t flood_out = 0;
  double worst_ratio = 0;
  for (auto* src : flood.all()) {
    initials += src->initials;
    flood_in += src->sent;
    flood_out += src->received;
    if (src->sent > 0)
      worst_ratio = std::max(worst_ratio, static_cast<double>(src->received)
                                            / static_cast<double>(src->sent));
  }
  auto growth_kib = static_cast<long>(memory_after.resident_kib)
                    - static_cast<long>(memory_before.resident_kib);
  std::cout << "initial flood: " << initials << " Initials (" << flood_in / 1e6
            << " MB) from " << flood.all().size() << " ports in "
            << std::chrono::duration_cast<std::chrono::seconds>(flood_time).count() << " s\n"
            << "  server answered " << flood_out << " bytes: " << flood_out * 1.0 / flood_in
            << " per byte in, worst port " << worst_ratio << "\n"
            << "  Retries " << stats["retries_sent"] << ", validated by Retry "
            << stats["connections_validated_by_retry"] << ", most connections open "
            << most_open << "\n"
            << "  calls on the open connection: " << calls_ok << "/" << calls << " ok, p50 "
            << percentile(call_ms, 0.5) << " ms, p99 " << percentile(call_ms, 0.99)
            << " ms\n"
            << "  new clients: " << fresh_ok << "/" << fresh << " served\n"
            << "  server RSS " << memory_before.resident_kib / 1024.0 << " -> "
            << memory_after.resident_kib / 1024.0 << " MiB\n";

  CHECK(server.running());
  CHECK(calls_ok == calls);
  CHECK(fresh_ok == fresh);
  CHECK(fresh >= 20);
  // RFC 9000 section 8.1: at most three times what an unvalidated
  // address sent, for every source port of the flood.
  CHECK(worst_ratio <= 3.0);
  // The flood met Retries once the half-open connections passed the
  // threshold, and the new clients came in through them.
  CHECK(stats["retries_sent"] > 1000);
  CHECK(stats["connections_validated_by_retry"] >= 1);
  // The table never filled: at most the threshold's worth of flood
  // entries next to the real clients.
  CHECK(most_open <= retry_threshold + 4);
  CHECK(stats["half_open_connections"] <= retry_threshold + 2);
  CHECK(growth_kib < 32 * 1024);
}

TEST_CASE("one half-open connection costs the server a bounded, measured amount of memory",
          "[initial_flood]") {
  constexpr size_t half_open = 256;
  echo_server_process server{{"--retry-threshold", std::to_string(half_open), "--max-half-open",
                              std::to_string(half_open), "--handshake-timeout-ms", "30000"}};
  // Warm-up: the first handshakes size GnuTLS's and the allocator's pools.
  // Its ports stay open: a closed one would end its connections (ICMP).
  initial_flood warm{server.address(), 16};
  warm.round();
  REQUIRE(eventually([&] { return server.stat("half_open_connections") == 16; }));
  auto before = server.memory_use();
  initial_flood flood{server.address(), 60};
  for (int i = 0; i < 5; ++i)
    flood.round();
  INFO("half-open connections: " << server.stat("half_open_connections"));
  REQUIRE(eventually([&] { return server.stat("half_open_connections") == half_open; }));
  auto after = server.memory_use();
  auto per_connection_kib = static_cast<double>(after.resident_kib - before.resident_kib)
                            / static_cast<double>(half_open - 16);
  std::cout << "half-open connections: " << half_open - 16 << " more took the server from "
            << before.resident_kib / 1024.0 << " to " << after.resident_kib / 1024.0
            << " MiB RSS: " << per_connection_kib << " KiB each\n";
  // 300 more Initials, 240 slots left: the rest were sent Retries.
  CHECK(server.stat("retries_sent") == 300 - (half_open - 16));
  CHECK(server.stat("connections_open") == half_open);
  CHECK(per_connection_kib < 256);
}
