// A plain UDP socket of the test's own, playing an attacker or a stray
// sender: it puts any bytes in a datagram to any numeric host:port, below
// every protocol rpcnet speaks.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <rpcnet/transport/socket_address.hpp>

namespace rpcnet::test {

class udp_sender {
public:
  udp_sender() : fd_(::socket(AF_INET, SOCK_DGRAM, 0)) {
    REQUIRE(fd_ >= 0);
  }
  ~udp_sender() {
    ::close(fd_);
  }
  udp_sender(const udp_sender&) = delete;
  udp_sender& operator=(const udp_sender&) = delete;

  /// One datagram of `bytes` to `to` ("127.0.0.1:61000").
  void send(const std::string& to, const std::vector<uint8_t>& bytes) {
    auto addr = socket_address::parse(to);
    REQUIRE(addr);
    auto rv = ::sendto(fd_, bytes.data(), bytes.size(), 0, addr->native(), addr->native_size());
    REQUIRE(rv == static_cast<ssize_t>(bytes.size()));
  }

private:
  int fd_;
};

} // namespace rpcnet::test
