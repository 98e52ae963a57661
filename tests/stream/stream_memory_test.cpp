// Backpressure keeps memory bounded end to end: a 1 GiB client-streaming
// upload to a handler that consumes slowly completes while the process's
// resident memory (client and server both live in it) grows by far less
// than what was sent; a server streaming to a client that does not read
// stalls instead of buffering.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include <rpcnet/rpcnet.hpp>

#include "test_certs.hpp"

using namespace rpcnet;
using namespace std::chrono_literals;

namespace {

/// Resident memory of this process in KiB (VmRSS).
size_t rss_kib() {
  std::ifstream status{"/proc/self/status"};
  std::string key;
  size_t value = 0;
  while (status >> key) {
    if (key == "VmRSS:") {
      status >> value;
      return value;
    }
    status.ignore(1024, '\n');
  }
  return 0;
}

constexpr size_t mib = 1024 * 1024;

} // namespace

TEST_CASE("a 1 GiB upload to a slow consumer completes with bounded memory", "[stream]") {
  runtime rt;
  rpc_server server{rt.system(), test::server_config()};
  std::atomic<size_t> peak_kib{0};
  server.register_streaming("sink", [&](stream_reader& in, stream_writer& out) -> caf::error {
    size_t bytes = 0;
    for (size_t n = 0;; ++n) {
      auto msg = in.next();
      if (!msg)
        return std::move(msg.error());
      if (!*msg)
        break;
      bytes += (*msg)->size();
      // Slower than the sender: a pause every 256 messages (16 MiB).
      if (n % 256 == 255) {
        std::this_thread::sleep_for(2ms);
        peak_kib = std::max(peak_kib.load(), rss_kib());
      }
    }
    return out.write(to_bytes(std::to_string(bytes)));
  });
  auto bound = server.bind();
  REQUIRE(bound);
  REQUIRE_FALSE(server.start());
  auto client = rpc_client::connect(rt.system(), bound->to_string(),
                                    test::client_config().with_call_timeout(30s));
  REQUIRE(client);
  auto stream = client->call_streaming("sink");
  REQUIRE(stream);
  byte_buffer chunk(64 * 1024, uint8_t{0x42});
  auto before_kib = rss_kib();
  auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < 1024 * mib / chunk.size(); ++i)
    REQUIRE_FALSE(stream->send(chunk));
  REQUIRE_FALSE(stream->finish());
  auto reply = stream->next();
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  REQUIRE(reply);
  REQUIRE(*reply);
  CHECK(as_string_view(**reply) == std::to_string(1024 * mib));
  auto growth_mib = (std::max(peak_kib.load(), rss_kib()) - std::min(before_kib, rss_kib())) / 1024.0;
  WARN("1 GiB uploaded in " << seconds << " s (" << 1024 / seconds
                            << " MiB/s); resident memory grew by at most " << growth_mib
                            << " MiB");
  CHECK(growth_mib < 64);
}

TEST_CASE("a server streaming to a client that does not read holds memory steady",
          "[stream]") {
  runtime rt;
  rpc_server server{rt.system(), test::server_config()};
  std::atomic<size_t> written{0};
  std::atomic<bool> stop{false};
  server.register_streaming("firehose", [&](stream_reader&, stream_writer& out) -> caf::error {
    byte_buffer chunk(64 * 1024, uint8_t{9});
    while (!stop) {
      if (auto err = out.write(chunk))
        return {};
      ++written;
    }
    return {};
  });
  auto bound = server.bind();
  REQUIRE(bound);
  REQUIRE_FALSE(server.start());
  auto client = rpc_client::connect(rt.system(), bound->to_string(), test::client_config());
  REQUIRE(client);
  auto stream = client->call_server_streaming("firehose", to_bytes("go"));
  REQUIRE(stream);
  // Let the writer run into the window, then watch it stand still.
  size_t last = 0;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  do {
    last = written;
    std::this_thread::sleep_for(200ms);
  } while (written != last && std::chrono::steady_clock::now() < deadline);
  auto held_kib = rss_kib();
  std::this_thread::sleep_for(500ms);
  CHECK(written == last);
  auto drift_mib = (static_cast<double>(rss_kib()) - static_cast<double>(held_kib)) / 1024.0;
  WARN("stalled after " << written.load() * 64 << " KiB; memory moved by " << drift_mib
                        << " MiB while stalled");
  CHECK(drift_mib < 4);
  stop = true;
  stream->cancel();
}
