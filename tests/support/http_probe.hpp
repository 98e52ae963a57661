// A plain TCP connection of the test's own to an HTTP server, below any
// HTTP library: it sends whatever bytes a test chooses (half a request
// line, a header that never ends, garbage), reads what comes back with
// bounded waits and tells an answer from a close. And http_get, one
// well-formed request, for the pages a test reads.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include <rpcnet/transport/socket_address.hpp>

namespace rpcnet::test {

/// One HTTP response as it came: the status code, the head (status line
/// and headers) and the body Content-Length announced.
struct http_reply {
  int status = 0;
  std::string head;
  std::string body;

  /// Whether the head has the header line `line` ("Allow: GET, HEAD"),
  /// case as the server wrote it.
  bool has_header(std::string_view line) const {
    return head.find("\r\n" + std::string{line} + "\r\n") != std::string::npos;
  }
};

class http_probe {
public:
  using clock = std::chrono::steady_clock;

  /// Connects to `server` (blocking: the kernel completes a loopback
  /// connect before the server accepts it).
  explicit http_probe(const socket_address& server)
    : fd_(::socket(server.family(), SOCK_STREAM, 0)) {
    REQUIRE(fd_ >= 0);
    auto rc = ::connect(fd_, server.native(), server.native_size());
    INFO("connecting to " << server.to_string() << ": errno " << errno);
    REQUIRE(rc == 0);
  }

  ~http_probe() {
    ::close(fd_);
  }

  http_probe(const http_probe&) = delete;
  http_probe& operator=(const http_probe&) = delete;

  /// Sends all of `bytes`; false once the server closed its side for
  /// reading (it reset the connection).
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  /// Sends what fits into the socket now, without waiting; how many bytes
  /// that was (0 when full or reset).
  size_t send_some(std::string_view bytes) {
    auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    return n > 0 ? static_cast<size_t>(n) : 0;
  }

  /// Reads one response, waiting up to `limit` for all of it; none when
  /// the server closed, or stayed silent, before a whole one came.
  std::optional<http_reply> read_reply(std::chrono::milliseconds limit) {
    auto deadline = clock::now() + limit;
    size_t head_end;
    while ((head_end = received_.find("\r\n\r\n")) == std::string::npos)
      if (!receive_until(deadline))
        return std::nullopt;
    http_reply reply;
    reply.head = received_.substr(0, head_end + 2);
    // "HTTP/1.1 404 Not Found"
    if (reply.head.compare(0, 5, "HTTP/") != 0 || reply.head.find(' ') == std::string::npos)
      return std::nullopt;
    reply.status = std::atoi(reply.head.c_str() + reply.head.find(' ') + 1);
    size_t length = 0;
    if (auto at = reply.head.find("\r\nContent-Length: "); at != std::string::npos)
      length = std::strtoul(reply.head.c_str() + at + 18, nullptr, 10);
    auto body_begin = head_end + 4;
    // A HEAD answer announces a length it does not send.
    if (head_request_)
      length = 0;
    while (received_.size() < body_begin + length)
      if (!receive_until(deadline))
        return std::nullopt;
    reply.body = received_.substr(body_begin, length);
    received_.erase(0, body_begin + length);
    return reply;
  }

  /// Makes read_reply() expect no body: the request was HEAD.
  void expect_head_reply(bool head = true) {
    head_request_ = head;
  }

  /// Waits up to `limit` for the server to close the connection (an end
  /// of stream or a reset), keeping what it sent before; true if it did.
  bool closed_within(std::chrono::milliseconds limit) {
    auto deadline = clock::now() + limit;
    while (!closed_)
      if (!receive_until(deadline))
        break;
    return closed_;
  }

  /// Bytes received and not yet taken by read_reply().
  const std::string& unread() const noexcept {
    return received_;
  }

private:
  /// Waits until `deadline` for bytes or a close; false when neither came
  /// or the connection is closed.
  bool receive_until(clock::time_point deadline) {
    if (closed_)
      return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    pollfd pfd{fd_, POLLIN, 0};
    if (left.count() < 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0)
      return false;
    char buf[4096];
    auto n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR)
      return true;
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    received_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_;
  std::string received_;
  bool closed_ = false;
  bool head_request_ = false;
};

/// The response to one GET of `target` on a connection of its own (none
/// if the server closed or did not answer within `limit`).
inline std::optional<http_reply>
http_get(const socket_address& server, const std::string& target,
         std::chrono::milliseconds limit = std::chrono::seconds{5}) {
  http_probe probe{server};
  if (!probe.send("GET " + target + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"))
    return std::nullopt;
  return probe.read_reply(limit);
}

/// The status of one GET of `target` (0 if there was no answer).
inline int http_status(const socket_address& server, const std::string& target) {
  auto reply = http_get(server, target);
  return reply ? reply->status : 0;
}

} // namespace rpcnet::test
