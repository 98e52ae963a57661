// An IPv4 or IPv6 UDP address, parsed from and printed as a numeric
// "host:port" ("127.0.0.1:8080", "[::1]:8080"). parse() resolves no names:
// it is what runs on actors and the transport thread, on addresses that
// came over the network. What users type may also name a host
// ("localhost:8080", "db.internal:7000"); address_resolver.hpp turns that
// into a socket_address, on the caller's thread, where rpcnet's blocking
// calls begin.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rpcnet {

class socket_address {
public:
  socket_address() noexcept;

  /// Parses "a.b.c.d:port" or "[v6]:port"; nullopt on anything else,
  /// names included (resolve_address takes those).
  static std::optional<socket_address> parse(std::string_view text);

  /// Wraps a kernel address (AF_INET or AF_INET6).
  static socket_address from_native(const sockaddr* addr, socklen_t len);

  const sockaddr* native() const noexcept {
    return reinterpret_cast<const sockaddr*>(&storage_);
  }
  sockaddr* native() noexcept {
    return reinterpret_cast<sockaddr*>(&storage_);
  }
  socklen_t native_size() const noexcept {
    return len_;
  }
  int family() const noexcept {
    return storage_.ss_family;
  }
  uint16_t port() const noexcept;

  /// The host part without brackets, e.g. "127.0.0.1" or "::1".
  std::string host() const;

  /// "host:port", bracketing IPv6 hosts.
  std::string to_string() const;

  /// True for 127.0.0.0/8, ::1 and IPv4-mapped loopback: traffic that never
  /// leaves the machine.
  bool is_loopback() const noexcept;

  friend bool operator==(const socket_address& x, const socket_address& y) noexcept;

private:
  sockaddr_storage storage_;
  socklen_t len_;
};

} // namespace rpcnet
