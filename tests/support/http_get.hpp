// An HTTP GET over a raw loopback socket, for tests that read what an HTTP
// server answers (a node's admin address, Prometheus's API) with nothing in
// between that could hide a fault: the status and the body, or nothing when
// the server does not answer in time. And the port such a server, started
// in a process of its own on port 0, logged it got.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include <catch2/catch.hpp>

#include "child_process.hpp"

namespace rpcnet::test {

/// The port a server started on port 0 (so that tests running in parallel
/// never race for one) logged it listens on: the digits after `marker`
/// ("admin HTTP at http://127.0.0.1:") in its output. The test fails, with
/// what the server said, if no such line came within `timeout`.
inline uint16_t logged_port(child_process& server, const std::string& marker,
                            std::chrono::milliseconds timeout = std::chrono::seconds{10}) {
  auto line = server.wait_for(
    [&](const std::string& text) { return text.find(marker) != std::string::npos; }, timeout);
  std::string said;
  for (const auto& text : server.lines())
    said += text + "\n";
  INFO("no line with '" << marker << "' came; the server said:\n" << said);
  REQUIRE(line);
  auto port = std::strtoul(line->c_str() + line->find(marker) + marker.size(), nullptr, 10);
  REQUIRE(port > 0);
  REQUIRE(port <= 65535);
  return static_cast<uint16_t>(port);
}

/// What a server answered.
struct http_response {
  int status = 0;
  /// The header lines as sent, without the status line.
  std::string headers;
  std::string body;
};

/// A socket (or any file descriptor) closed at scope exit.
class owned_socket {
public:
  explicit owned_socket(int fd) : fd_(fd) {
  }
  ~owned_socket() {
    if (fd_ >= 0)
      close(fd_);
  }
  owned_socket(const owned_socket&) = delete;
  owned_socket& operator=(const owned_socket&) = delete;

  int get() const noexcept {
    return fd_;
  }

private:
  int fd_;
};

namespace detail {

/// Waits until `fd` is ready for `events` or `deadline` passed.
inline bool ready(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    pollfd pfd{fd, events, 0};
    int rv = poll(&pfd, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (rv < 0 && errno == EINTR)
      continue;
    return rv > 0;
  }
}

/// "HTTP/1.x NNN ...\r\nheaders\r\n\r\nbody" taken apart; nullopt if it is
/// not an HTTP response.
inline std::optional<http_response> parse_response(const std::string& raw) {
  auto line_end = raw.find("\r\n");
  auto head_end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || line_end == std::string::npos
      || head_end == std::string::npos || line_end < 12)
    return std::nullopt;
  for (size_t i = 9; i < 12; ++i)
    if (std::isdigit(static_cast<unsigned char>(raw[i])) == 0)
      return std::nullopt;
  http_response res;
  res.status = std::stoi(raw.substr(9, 3));
  res.headers = raw.substr(line_end + 2, head_end - line_end - 2);
  res.body = raw.substr(head_end + 4);
  return res;
}

} // namespace detail

/// GET `target` ("/metrics", "/api/v1/query?query=up") from 127.0.0.1:`port`,
/// all of it within `timeout`. HTTP/1.0, so that the server sends the body as
/// it is (no chunked encoding) and closes the connection after it: the end
/// of the stream is the end of the body. nullopt when nothing listens, the
/// server does not finish in time, or what it sends is not HTTP.
inline std::optional<http_response>
http_get(uint16_t port, const std::string& target,
         std::chrono::milliseconds timeout = std::chrono::seconds{5}) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  owned_socket sock{socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
  if (sock.get() < 0)
    return std::nullopt;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINPROGRESS || !detail::ready(sock.get(), POLLOUT, deadline))
      return std::nullopt;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(sock.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
      return std::nullopt;
  }
  std::string request = "GET " + target + " HTTP/1.0\r\nHost: 127.0.0.1:" + std::to_string(port)
                        + "\r\nAccept: */*\r\n\r\n";
  for (size_t sent = 0; sent < request.size();) {
    auto n = send(sock.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0)
      sent += static_cast<size_t>(n);
    else if (n < 0 && (errno == EAGAIN || errno == EINTR))
      detail::ready(sock.get(), POLLOUT, deadline);
    else
      return std::nullopt;
    if (std::chrono::steady_clock::now() >= deadline)
      return std::nullopt;
  }
  std::string raw;
  for (;;) {
    if (!detail::ready(sock.get(), POLLIN, deadline))
      return std::nullopt;
    char buffer[4096];
    auto n = recv(sock.get(), buffer, sizeof buffer, 0);
    if (n == 0)
      return detail::parse_response(raw);
    if (n > 0)
      raw.append(buffer, static_cast<size_t>(n));
    else if (errno != EAGAIN && errno != EINTR)
      return std::nullopt;
  }
}

} // namespace rpcnet::test
