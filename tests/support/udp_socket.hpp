// A plain UDP socket on 127.0.0.1 for tests that speak below QUIC: peers
// that are not QUIC servers, hand-made datagrams, a relay that watches the
// packets of real connections.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <catch2/catch.hpp>

#include <rpcnet/transport/byte_buffer.hpp>
#include <rpcnet/transport/socket_address.hpp>

namespace rpcnet::test {

class udp_socket {
public:
  /// A datagram and where it came from.
  struct datagram {
    byte_buffer data;
    socket_address from;
  };

  /// Binds a fresh socket to 127.0.0.1 on a free port.
  udp_socket() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    local_ = socket_address::from_native(reinterpret_cast<sockaddr*>(&addr), len);
  }

  ~udp_socket() {
    ::close(fd_);
  }

  udp_socket(const udp_socket&) = delete;
  udp_socket& operator=(const udp_socket&) = delete;

  const socket_address& local_address() const noexcept {
    return local_;
  }

  int native() const noexcept {
    return fd_;
  }

  /// Sends one datagram; false if the kernel refused it.
  bool send_to(const socket_address& to, const byte_buffer& data) {
    return ::sendto(fd_, data.data(), data.size(), 0, to.native(), to.native_size())
           == static_cast<ssize_t>(data.size());
  }

  /// The next datagram, or nullopt if none arrives within `limit`.
  std::optional<datagram> receive(std::chrono::milliseconds limit) {
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(limit.count())) <= 0)
      return std::nullopt;
    std::array<uint8_t, 65536> buf;
    sockaddr_storage from{};
    socklen_t len = sizeof(from);
    auto n = ::recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from),
                        &len);
    if (n < 0)
      return std::nullopt;
    return datagram{byte_buffer(buf.begin(), buf.begin() + n),
                    socket_address::from_native(reinterpret_cast<sockaddr*>(&from), len)};
  }

private:
  int fd_ = -1;
  socket_address local_;
};

} // namespace rpcnet::test
