#include <rpcnet/transport/socket_address.hpp>

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <string>

#include "host_port_syntax.hpp"

namespace rpcnet {

namespace detail {

host_port_parts split_host_port(std::string_view text) noexcept {
  host_port_parts parts;
  auto fail = [&](host_port_problem problem) {
    parts.problem = problem;
    return parts;
  };
  if (text.empty())
    return fail(host_port_problem::empty);
  std::string_view port;
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos)
      return fail(host_port_problem::unclosed_bracket);
    if (close + 1 >= text.size() || text[close + 1] != ':')
      return fail(host_port_problem::no_port_after_bracket);
    parts.host = text.substr(1, close - 1);
    parts.bracketed = true;
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return fail(host_port_problem::no_port);
    if (text.find(':') != colon)
      return fail(host_port_problem::unbracketed_v6);
    parts.host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  // Digits only (from_chars takes no sign for an unsigned number), and at
  // most five: "0000000080" is not a port.
  constexpr size_t max_port_digits = 5;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || port.size() > max_port_digits || ec != std::errc{}
      || end != port.data() + port.size() || value > 65535)
    return fail(host_port_problem::bad_port);
  if (parts.host.empty())
    return fail(host_port_problem::empty_host);
  parts.port = static_cast<uint16_t>(value);
  return parts;
}

std::optional<socket_address> ip_literal(const host_port_parts& parts) {
  // inet_pton reads a C string; a NUL inside the text would cut it short.
  if (parts.host.size() >= INET6_ADDRSTRLEN
      || parts.host.find('\0') != std::string_view::npos)
    return std::nullopt;
  std::string host{parts.host};
  if (parts.bracketed) {
    sockaddr_in6 v6{};
    if (inet_pton(AF_INET6, host.c_str(), &v6.sin6_addr) != 1)
      return std::nullopt;
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(parts.port);
    return socket_address::from_native(reinterpret_cast<const sockaddr*>(&v6), sizeof v6);
  }
  sockaddr_in v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4.sin_addr) != 1)
    return std::nullopt;
  v4.sin_family = AF_INET;
  v4.sin_port = htons(parts.port);
  return socket_address::from_native(reinterpret_cast<const sockaddr*>(&v4), sizeof v4);
}

} // namespace detail

socket_address::socket_address() noexcept : len_(0) {
  std::memset(&storage_, 0, sizeof(storage_));
}

std::optional<socket_address> socket_address::parse(std::string_view text) {
  auto parts = detail::split_host_port(text);
  if (parts.problem != detail::host_port_problem::none)
    return std::nullopt;
  return detail::ip_literal(parts);
}

socket_address socket_address::from_native(const sockaddr* addr, socklen_t len) {
  socket_address result;
  auto n = std::min<socklen_t>(len, sizeof(result.storage_));
  std::memcpy(&result.storage_, addr, n);
  result.len_ = n;
  return result;
}

uint16_t socket_address::port() const noexcept {
  if (storage_.ss_family == AF_INET)
    return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  if (storage_.ss_family == AF_INET6)
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  return 0;
}

std::string socket_address::host() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (storage_.ss_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr,
              buf, sizeof(buf));
  else if (storage_.ss_family == AF_INET6)
    inet_ntop(AF_INET6,
              &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, buf,
              sizeof(buf));
  return buf;
}

std::string socket_address::to_string() const {
  auto h = host();
  auto p = std::to_string(port());
  if (storage_.ss_family == AF_INET6)
    return "[" + h + "]:" + p;
  return h + ":" + p;
}

bool socket_address::is_loopback() const noexcept {
  if (storage_.ss_family == AF_INET)
    return (ntohl(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr) >> 24) == 127;
  if (storage_.ss_family != AF_INET6)
    return false;
  const auto& v6 = reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr;
  return IN6_IS_ADDR_LOOPBACK(&v6) || (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
}

bool operator==(const socket_address& x, const socket_address& y) noexcept {
  return x.len_ == y.len_ && std::memcmp(&x.storage_, &y.storage_, x.len_) == 0;
}

} // namespace rpcnet
