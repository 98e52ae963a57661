// A UDP relay between a client and a server on 127.0.0.1, for tests that
// must see or cut the packets of real QUIC connections: a filter looks at
// each datagram and says whether it passes. The client connects to the
// relay's address; the server sees every client as the relay.
#pragma once

#include <poll.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include <rpcnet/transport/byte_buffer.hpp>
#include <rpcnet/transport/socket_address.hpp>

#include "udp_socket.hpp"

namespace rpcnet::test {

class udp_relay {
public:
  enum class direction { to_server, to_client };

  /// Runs on the relay's thread for every datagram; true lets it pass.
  using filter = std::function<bool(direction, const byte_buffer&)>;

  explicit udp_relay(const socket_address& server, filter pass = {})
    : server_(server), pass_(std::move(pass)) {
    thread_ = std::thread{[this] { run(); }};
  }

  ~udp_relay() {
    stop_ = true;
    thread_.join();
  }

  udp_relay(const udp_relay&) = delete;
  udp_relay& operator=(const udp_relay&) = delete;

  /// Where clients connect instead of the server.
  std::string address() const {
    return front_.local_address().to_string();
  }

  /// Datagrams the filter stopped.
  size_t dropped() const {
    return dropped_;
  }

private:
  void run() {
    // Replies go to the client that spoke last: one client at a time.
    std::optional<socket_address> client;
    while (!stop_) {
      pollfd fds[2] = {{front_.native(), POLLIN, 0}, {back_.native(), POLLIN, 0}};
      // The timeout only bounds how long the destructor waits for the loop.
      if (::poll(fds, 2, 20) <= 0)
        continue;
      if (fds[0].revents & POLLIN) {
        if (auto in = front_.receive(std::chrono::milliseconds{0})) {
          client = in->from;
          forward(direction::to_server, back_, server_, in->data);
        }
      }
      if (fds[1].revents & POLLIN) {
        if (auto in = back_.receive(std::chrono::milliseconds{0}); in && client)
          forward(direction::to_client, front_, *client, in->data);
      }
    }
  }

  void forward(direction dir, udp_socket& via, const socket_address& to,
               const byte_buffer& data) {
    if (pass_ && !pass_(dir, data)) {
      ++dropped_;
      return;
    }
    via.send_to(to, data);
  }

  socket_address server_;
  filter pass_;
  /// front_ faces the clients, back_ the server.
  udp_socket front_;
  udp_socket back_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> dropped_{0};
  std::thread thread_;
};

} // namespace rpcnet::test
