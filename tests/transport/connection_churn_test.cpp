// Tests that connections leave nothing behind: 1,000 clients connect to one
// server, make a call and close, one after another. Each rpc_client owns an
// endpoint (a UDP socket, an epoll fd, an eventfd, a transport thread, two
// 128 KiB packet batches), a GnuTLS session and an ngtcp2_conn, and the
// server holds a connection and an actor per client -- so a leak of any of
// them shows in the process's open file descriptors, threads, resident
// memory or running actors, measured after a warm-up and at the end. The
// figures are printed.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <rpcnet/actors/rpc_client.hpp>
#include <rpcnet/actors/runtime.hpp>

#include "echo_server.hpp"
#include "eventually.hpp"

using namespace std::chrono_literals;
using rpcnet::test::echo_server;
using rpcnet::test::eventually;

namespace {

#ifdef __SANITIZE_ADDRESS__
constexpr bool running_under_asan = true;
#else
constexpr bool running_under_asan = false;
#endif

/// What the process holds right now, from /proc/self.
struct process_usage {
  size_t open_fds = 0;
  size_t threads = 0;
  size_t rss_kib = 0;

  static process_usage now() {
    process_usage result;
    for ([[maybe_unused]] auto& entry : std::filesystem::directory_iterator{"/proc/self/fd"})
      ++result.open_fds; // includes the iterator's own fd, every time alike
    std::ifstream status{"/proc/self/status"};
    std::string line;
    while (std::getline(status, line)) {
      std::istringstream in{line};
      std::string key;
      in >> key;
      if (key == "VmRSS:")
        in >> result.rss_kib;
      else if (key == "Threads:")
        in >> result.threads;
    }
    return result;
  }
};

std::ostream& operator<<(std::ostream& os, const process_usage& u) {
  return os << u.open_fds << " fds, " << u.threads << " threads, " << u.rss_kib / 1024.0
            << " MiB RSS";
}

/// One client's life: connect, call "echo", close.
void connect_call_close(caf::actor_system& sys, const echo_server& srv, int i) {
  INFO("connection " << i);
  auto client = rpcnet::test::require_connect(sys, srv.address_text());
  rpcnet::test::require_echo(client, "churn " + std::to_string(i));
  client.close();
}

/// Waits until the server has let go of every connection and the actors of
/// the closed ones have quit.
void require_settled(caf::actor_system& sys, const echo_server& srv, size_t actors) {
  INFO("server connections still open: " << srv.stats().connections_open
                                         << ", actors running: " << sys.registry().running()
                                         << " (expected " << actors << ")");
  REQUIRE(eventually([&] { return srv.stats().connections_open == 0; }));
  REQUIRE(eventually([&] { return sys.registry().running() <= actors; }));
}

} // namespace

TEST_CASE("a thousand connections opened and closed leak no fds, threads, actors or memory",
          "[churn]") {
  constexpr int warm_up = 50;
  constexpr int total = 1000;
  rpcnet::runtime rt;
  auto& sys = rt.system();
  echo_server srv{sys};
  auto actors_before = sys.registry().running();

  // Warm-up: CAF's scheduler, GnuTLS's and glibc's caches reach their
  // steady size.
  for (int i = 0; i < warm_up; ++i)
    connect_call_close(sys, srv, i);
  require_settled(sys, srv, actors_before);
  auto baseline = process_usage::now();

  auto start = std::chrono::steady_clock::now();
  process_usage halfway;
  for (int i = warm_up; i < total; ++i) {
    connect_call_close(sys, srv, i);
    if (i == total / 2)
      halfway = process_usage::now();
  }
  auto churn_ms = rpcnet::test::elapsed_ms(start);
  require_settled(sys, srv, actors_before);
  auto end = process_usage::now();

  auto growth_kib = static_cast<long>(end.rss_kib) - static_cast<long>(baseline.rss_kib);
  std::cout << "connection churn: " << total - warm_up << " connections in " << churn_ms
            << " ms (" << churn_ms / (total - warm_up) << " ms each)\n"
            << "  after " << warm_up << " (warm-up): " << baseline << "\n"
            << "  after " << total / 2 + 1 << ":             " << halfway << "\n"
            << "  after " << total << ":            " << end << "\n"
            << "  RSS growth over " << total - warm_up << " connections: " << growth_kib
            << " KiB (" << static_cast<double>(growth_kib) / (total - warm_up)
            << " KiB per connection)\n";
  INFO("warm-up: " << baseline << "; end: " << end);

  CHECK(srv.stats().connections_accepted == static_cast<uint64_t>(total));
  CHECK(srv.stats().handshakes_failed == 0);
  // Every client's socket, epoll fd and eventfd were closed; a leak of one
  // per connection would add 950.
  CHECK(end.open_fds <= baseline.open_fds + 2);
  // Every transport thread was joined.
  CHECK(end.threads <= baseline.threads + 1);
  if (running_under_asan) {
    // AddressSanitizer's quarantine keeps freed memory resident (256 MiB by
    // default), so RSS says nothing here; LeakSanitizer checks at exit.
    WARN("RSS bounds not checked under AddressSanitizer");
    return;
  }
  // Bound: 20 MiB over 950 connections is 21.5 KiB per connection. A leaked
  // client endpoint holds 256 KiB of packet buffers, a leaked ngtcp2_conn
  // plus GnuTLS session tens of KiB, so leaking any of them per connection
  // exceeds it several times; what stays below is allocator slack and
  // CAF's pending timers of finished calls.
  CHECK(growth_kib < 20 * 1024);
  // The second half of the churn must not grow like the first: a steady
  // leak shows as growth between the halfway point and the end.
  CHECK(static_cast<long>(end.rss_kib) - static_cast<long>(halfway.rss_kib) < 10 * 1024);
}
