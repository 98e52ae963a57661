#include <rpcnet/transport/socket_address.hpp>

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace rpcnet {

socket_address::socket_address() noexcept : len_(0) {
  std::memset(&storage_, 0, sizeof(storage_));
}

std::optional<socket_address> socket_address::parse(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size()
        || text[close + 1] != ':')
      return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon)
      return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size()
      || value > 65535 || host.empty() || host.size() >= INET6_ADDRSTRLEN)
    return std::nullopt;
  std::string host_str{host};
  socket_address result;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&result.storage_);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&result.storage_);
  if (inet_pton(AF_INET, host_str.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(value));
    result.len_ = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host_str.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(value));
    result.len_ = sizeof(sockaddr_in6);
  } else {
    return std::nullopt;
  }
  return result;
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
