// A started rpcnet server on 127.0.0.1 (port 0) and the means to reach it:
// connected clients, calls from a background thread, common handlers and
// bounded waits. Server and clients run on separate actor systems, as two
// processes would, so a blocked handler never starves the client's actors
// and the tests see the server's behaviour alone. A test whose subject is
// not QUIC runs on both transports (transport_kind): the same call logic
// must behave alike over QUIC and in process.
#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include <boost/serialization/utility.hpp>

#include <rpcnet/typed/serialization.hpp>
#include <rpcnet/actors/in_process.hpp>
#include <rpcnet/rpcnet.hpp>

#include "catch_printers.hpp"
#include "handler_sync.hpp"
#include "test_certs.hpp"
#include "transport_kind.hpp"

namespace rpcnet::test {

using namespace std::chrono_literals;

/// How long a test waits for something that should happen at once: a lot
/// longer than it takes on an idle machine, short enough to fail fast.
inline constexpr std::chrono::milliseconds patience{5'000};

using clock_type = std::chrono::steady_clock;

/// Milliseconds since `start`.
inline std::chrono::milliseconds elapsed_since(clock_type::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - start);
}

/// Polls `pred` every millisecond for up to `timeout`; for state that has
/// no event to wait on (e.g. rpc_server::in_flight()).
template <class Predicate>
bool wait_until(Predicate pred, std::chrono::milliseconds timeout = patience) {
  auto deadline = clock_type::now() + timeout;
  while (!pred()) {
    if (clock_type::now() >= deadline)
      return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

/// Returns the request unchanged.
inline unary_handler echo_handler() {
  return [](byte_buffer request) -> caf::expected<byte_buffer> { return request; };
}

/// Reports its arrival to `started`, waits (bounded) until `release` opens,
/// then echoes: a handler exactly as slow as the test wants.
inline unary_handler gated_echo_handler(std::shared_ptr<arrivals> started,
                                        std::shared_ptr<gate> release) {
  return [started, release](byte_buffer request) -> caf::expected<byte_buffer> {
    started->arrive();
    if (!release->wait(std::chrono::milliseconds{10'000}))
      return make_error(error::remote, "test never opened the gate");
    return request;
  };
}

/// Sleeps `delay`, then echoes.
inline unary_handler sleeping_echo_handler(std::chrono::milliseconds delay,
                                           std::shared_ptr<arrivals> started) {
  return [delay, started](byte_buffer request) -> caf::expected<byte_buffer> {
    started->arrive();
    std::this_thread::sleep_for(delay);
    return request;
  };
}

/// The blocking rpc_client::call on a thread of its own.
inline std::future<caf::expected<byte_buffer>>
call_in_background(const rpc_client& client, std::string method, byte_buffer request,
                   std::chrono::milliseconds timeout) {
  return std::async(std::launch::async, [client, method = std::move(method),
                                         request = std::move(request), timeout]() mutable {
    return client.call(method, std::move(request), timeout);
  });
}

/// True if `result` becomes ready within `timeout`.
template <class T>
bool ready_within(const std::future<T>& result, std::chrono::milliseconds timeout) {
  return result.wait_for(timeout) == std::future_status::ready;
}

/// Scheduler threads of the server's actor system unless a test asks for
/// others: more than the handlers any test blocks at once, so the tests do
/// not depend on the machine's core count (concurrent_calls_test checks
/// what happens when blocked handlers take every thread).
inline constexpr size_t default_server_threads = 4;

/// A started server and its address. Gates made here are all opened when
/// the loopback goes away, so no handler outlives a failed test blocked.
class loopback {
public:
  explicit loopback(rpc_config server_cfg = server_config(),
                    size_t server_threads = default_server_threads)
    : loopback(transport_kind::quic, std::move(server_cfg), server_threads) {
  }

  /// In process the server is never bound: address() stays empty, and
  /// connect() reaches it without a socket.
  explicit loopback(transport_kind kind, rpc_config server_cfg = server_config(),
                    size_t server_threads = default_server_threads)
    : kind_(kind),
      server_rt_(server_threads),
      server_(server_rt_.system(), std::move(server_cfg)) {
    if (kind_ == transport_kind::in_process)
      return;
    auto addr = server_.bind();
    REQUIRE(addr);
    address_ = addr->to_string();
    auto err = server_.start();
    REQUIRE_FALSE(err);
  }

  transport_kind kind() const noexcept {
    return kind_;
  }

  loopback(const loopback&) = delete;
  loopback& operator=(const loopback&) = delete;

  ~loopback() {
    for (auto& g : gates_)
      g->open();
  }

  rpc_server& server() noexcept {
    return server_;
  }

  caf::actor_system& server_system() noexcept {
    return server_rt_.system();
  }

  caf::actor_system& client_system() noexcept {
    return client_rt_.system();
  }

  /// "127.0.0.1:<port>" of the server.
  const std::string& address() const noexcept {
    return address_;
  }

  /// A client connected to the server (the test fails if it cannot connect).
  rpc_client connect(rpc_config cfg = client_config()) {
    if (kind_ == transport_kind::quic)
      return connect_to(address_, std::move(cfg));
    auto client = testing::connect_in_process(client_system(), server_, std::move(cfg));
    REQUIRE(client);
    return std::move(*client);
  }

  /// A client on the client system connected to another server.
  rpc_client connect_to(const std::string& address, rpc_config cfg = client_config()) {
    auto client = rpc_client::connect(client_system(), address, std::move(cfg));
    INFO("connecting to " << address);
    REQUIRE(client);
    return std::move(*client);
  }

  /// A closed gate that opens at the latest when the loopback goes away.
  std::shared_ptr<gate> make_gate() {
    return gates_.emplace_back(std::make_shared<gate>());
  }

private:
  transport_kind kind_;
  // Declared first so they go last: the systems outlive server and clients.
  runtime client_rt_;
  runtime server_rt_;
  rpc_server server_;
  std::string address_;
  std::vector<std::shared_ptr<gate>> gates_;
};

/// Two integers, the calculator's "add" request.
using operands = std::pair<int64_t, int64_t>;

/// The calculator's "add": decodes two integers and returns their sum.
inline caf::expected<byte_buffer> add_handler(byte_buffer request) {
  auto args = decode<operands>(request);
  if (!args)
    return std::move(args.error());
  return encode(args->first + args->second);
}

} // namespace rpcnet::test
