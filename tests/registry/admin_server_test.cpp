// Tests a cluster node's admin HTTP address against what an operator's
// tools and a hostile client send it, over plain TCP from the test: unknown
// paths, other methods, bodies, oversized and endless heads, clients that
// stall, more connections than max_connections and bytes that are not HTTP
// are each refused and counted in rpcnet_admin_requests_total, while the
// node's RPC port goes on answering calls. And /readyz as a load balancer
// reads it: 503 before the node serves and joins, and from the moment a
// drain begins, while /healthz stays 200; /metrics passes promtool.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "admin_node.hpp"
#include "eventually.hpp"
#include "http_probe.hpp"
#include "scraped_metrics.hpp"

using namespace rpcnet;
using namespace rpcnet::test;
using namespace std::chrono_literals;

namespace {

using clock_type = std::chrono::steady_clock;

/// rpcnet_admin_requests_total{path,code} on `page`.
double admin_requests(const scraped_metrics& page, const std::string& path,
                      const std::string& code) {
  return page.sum("rpcnet_admin_requests_total", {{"path", path}, {"code", code}});
}

/// Sends `bytes` on a connection of its own and reads the one answer, if
/// any; the server closes the connection either way (each refusal here
/// leaves the stream out of step).
std::optional<http_reply> refusal_of(const socket_address& admin, const std::string& bytes) {
  http_probe probe{admin};
  // A reset while sending still leaves the answer readable.
  probe.send(bytes);
  auto reply = probe.read_reply(5s);
  INFO("the server kept a connection open after refusing it");
  CHECK(probe.closed_within(5s));
  return reply;
}

/// A UDP port of 127.0.0.1 that receives and never answers: a seed that
/// is not there.
class silent_udp_port {
public:
  silent_udp_port() : fd_(::socket(AF_INET, SOCK_DGRAM, 0)) {
    REQUIRE(fd_ >= 0);
    auto any = socket_address::parse("127.0.0.1:0");
    REQUIRE(::bind(fd_, any->native(), any->native_size()) == 0);
    sockaddr_storage bound{};
    socklen_t len = sizeof(bound);
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&bound), &len) == 0);
    address_ = socket_address::from_native(reinterpret_cast<sockaddr*>(&bound), len);
  }
  ~silent_udp_port() {
    ::close(fd_);
  }
  silent_udp_port(const silent_udp_port&) = delete;
  silent_udp_port& operator=(const silent_udp_port&) = delete;

  std::string address() const {
    return address_.to_string();
  }

private:
  int fd_;
  socket_address address_;
};

} // namespace

// -- paths and methods --------------------------------------------------------

TEST_CASE("unknown paths are 404 and methods other than GET and HEAD are 405 and each is "
          "counted by path and code",
          "[admin]") {
  admin_scene scene;
  CHECK(http_status(scene.admin, "/nope") == 404);
  CHECK(http_status(scene.admin, "/metrics/../healthz") == 404);
  // The query does not choose the page.
  CHECK(http_status(scene.admin, "/healthz?verbose=1") == 200);
  for (std::string method : {"POST", "PUT", "DELETE", "OPTIONS", "BREW"}) {
    INFO("method " << method);
    http_probe probe{scene.admin};
    REQUIRE(probe.send(method + " /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
    auto reply = probe.read_reply(5s);
    REQUIRE(reply);
    CHECK(reply->status == 405);
    CHECK(reply->has_header("Allow: GET, HEAD"));
  }
  // HEAD announces GET's length and sends no body.
  http_probe head{scene.admin};
  head.expect_head_reply();
  REQUIRE(head.send("HEAD /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
  auto reply = head.read_reply(5s);
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK(reply->has_header("Content-Length: 3"));
  REQUIRE(head.closed_within(5s));
  CHECK(head.unread().empty());

  auto page = scrape(scene.admin);
  CHECK(admin_requests(page, "other", "404") == 2);
  CHECK(admin_requests(page, "/healthz", "405") == 5);
  CHECK(admin_requests(page, "/healthz", "200") == 2);
  // A client's path never becomes a label.
  CHECK(page.count("rpcnet_admin_requests_total", {{"path", "/nope"}}) == 0);
}

// -- hostile requests ---------------------------------------------------------

TEST_CASE("a request with a body is refused with 413 and its connection closed", "[admin]") {
  admin_scene scene;
  auto sized = refusal_of(scene.admin, "POST /metrics HTTP/1.1\r\nHost: t\r\n"
                                       "Content-Length: 11\r\n\r\nhello world");
  REQUIRE(sized);
  CHECK(sized->status == 413);
  auto chunked = refusal_of(scene.admin, "GET /healthz HTTP/1.1\r\nHost: t\r\n"
                                         "Transfer-Encoding: chunked\r\n\r\n"
                                         "5\r\nhello\r\n0\r\n\r\n");
  REQUIRE(chunked);
  CHECK(chunked->status == 413);
  // An empty body is no body.
  http_probe empty{scene.admin};
  REQUIRE(empty.send("GET /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"));
  auto ok = empty.read_reply(5s);
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(admin_requests(scrape(scene.admin), "other", "413") == 2);
}

TEST_CASE("a request head over max_header_bytes is refused with 431 long before the client "
          "stops sending",
          "[admin]") {
  admin_config limits;
  limits.max_header_bytes = 1024;
  admin_scene scene{limits};
  auto whole = refusal_of(scene.admin, "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: "
                                         + std::string(2048, 'b') + "\r\n\r\n");
  REQUIRE(whole);
  CHECK(whole->status == 431);
  // Many small headers count together.
  std::string many = "GET /healthz HTTP/1.1\r\nHost: t\r\n";
  for (int i = 0; i < 100; ++i)
    many += "X-" + std::to_string(i) + ": 0123456789\r\n";
  auto summed = refusal_of(scene.admin, many + "\r\n");
  REQUIRE(summed);
  CHECK(summed->status == 431);

  // A header that never ends: the server must answer once it read its
  // limit, not buffer what the client sends. Far more than the sockets'
  // buffers hold on both sides, so an answer before the end proves the
  // server stopped reading.
  http_probe endless{scene.admin};
  REQUIRE(endless.send("GET /healthz HTTP/1.1\r\nHost: t\r\nX-Endless: "));
  const std::string chunk(64 * 1024, 'e');
  constexpr size_t cap = size_t{256} << 20;
  size_t sent = 0;
  std::optional<http_reply> reply;
  auto deadline = clock_type::now() + 10s;
  while (!reply && sent < cap && clock_type::now() < deadline) {
    auto n = endless.send_some(chunk);
    sent += n;
    // Nothing more fits: the server is not reading (or reset us).
    if (n == 0)
      reply = endless.read_reply(100ms);
  }
  INFO("sent " << sent << " bytes of one header");
  REQUIRE(reply);
  CHECK(reply->status == 431);
  CHECK(sent < cap);
  CHECK(endless.closed_within(5s));
  CHECK(admin_requests(scrape(scene.admin), "other", "431") == 3);
}

TEST_CASE("a client that stalls in the middle of its request is closed after request_timeout "
          "and holds up no one",
          "[admin]") {
  admin_config limits;
  limits.request_timeout = 1s;
  admin_scene scene{limits};

  auto start = clock_type::now();
  http_probe stalled{scene.admin};
  REQUIRE(stalled.send("GET /hea"));
  CHECK(http_status(scene.admin, "/healthz") == 200);
  {
    INFO("the stalled client was closed before another was served");
    CHECK_FALSE(stalled.closed_within(0ms));
  }
  {
    INFO("the server never closed a client that stalled mid request line");
    REQUIRE(stalled.closed_within(5s));
  }
  CHECK(clock_type::now() - start >= limits.request_timeout);
  // Closed without an answer: there was no request to answer.
  CHECK(stalled.unread().empty());

  // One byte every 50 ms is progress on every read, but the head's
  // deadline does not move: a per-read timeout would never close it.
  start = clock_type::now();
  http_probe trickle{scene.admin};
  REQUIRE(trickle.send("GET /healthz HTTP/1.1\r\nX-Slow: "));
  bool closed = false;
  for (int i = 0; i < 100 && !closed; ++i) {
    trickle.send_some("s");
    closed = trickle.closed_within(50ms);
  }
  {
    INFO("a client trickling its head was served for 5 s");
    REQUIRE(closed);
  }
  CHECK(clock_type::now() - start >= limits.request_timeout);
  CHECK(trickle.unread().empty());
}

TEST_CASE("a keep-alive connection is served request after request and closed once idle for "
          "request_timeout",
          "[admin]") {
  admin_config limits;
  limits.request_timeout = 1s;
  admin_scene scene{limits};
  http_probe kept{scene.admin};
  // Two at once, pipelined, then one more after the answers.
  REQUIRE(kept.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
                    "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto first = kept.read_reply(5s);
  auto second = kept.read_reply(5s);
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->status == 200);
  CHECK(second->status == 404);
  REQUIRE(kept.send("GET /readyz HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto third = kept.read_reply(5s);
  REQUIRE(third);
  CHECK(third->status == 200);
  auto idle_since = clock_type::now();
  {
    INFO("an idle keep-alive connection stayed open");
    REQUIRE(kept.closed_within(5s));
  }
  // The server's clock started as it sent the answer, a moment before
  // ours: half the timeout tells a timeout from a close at once.
  CHECK(clock_type::now() - idle_since >= limits.request_timeout / 2);
  CHECK(kept.unread().empty());
}

TEST_CASE("connections beyond max_connections are closed at once and served again once the "
          "idle ones are gone while RPC calls go on",
          "[admin]") {
  admin_config limits;
  limits.max_connections = 3;
  limits.request_timeout = 2s;
  admin_scene scene{limits};
  // The kernel queues connections in order and the server accepts them in
  // that order, so these three take every slot before the next arrive.
  std::vector<std::unique_ptr<http_probe>> idle;
  for (int i = 0; i < 3; ++i)
    idle.push_back(std::make_unique<http_probe>(scene.admin));
  for (int i = 0; i < 2; ++i) {
    http_probe extra{scene.admin};
    INFO("connection " << i << " past max_connections was kept");
    // Well under request_timeout: closed for the limit, not timed out.
    CHECK(extra.closed_within(1s));
    CHECK(extra.unread().empty());
  }
  // The RPC port is not the admin port.
  auto client = scene.client();
  require_echo(client, "while the admin port is full");

  for (auto& probe : idle) {
    INFO("an idle connection outlived request_timeout");
    REQUIRE(probe->closed_within(5s));
  }
  int refused_while_freeing = 0;
  {
    INFO("no request was served after the idle connections were gone");
    REQUIRE(eventually(
      [&] {
        auto status = http_status(scene.admin, "/healthz");
        refused_while_freeing += status == 0 ? 1 : 0;
        return status == 200;
      },
      2s));
  }
  auto page = scrape(scene.admin);
  CHECK(page.sum("rpcnet_admin_connections_refused_total") == 2 + refused_while_freeing);
}

TEST_CASE("bytes that are not HTTP get a 400 or a close and the server goes on serving pages "
          "and calls",
          "[admin]") {
  admin_config limits;
  limits.request_timeout = 1s;
  admin_scene scene{limits};
  std::mt19937 random{7};
  std::string noise(4096, '\0');
  for (auto& c : noise)
    c = static_cast<char>(random());
  const std::vector<std::pair<std::string, std::string>> inputs{
    {"a TLS ClientHello", std::string{"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 11}
                            + std::string(32, '\x42')},
    {"random bytes", noise},
    {"NUL bytes", std::string(1000, '\0')},
    {"a header without a colon", "GET /healthz HTTP/1.1\r\nno colon here\r\n\r\n"},
    {"a length that is no number",
     "GET /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: banana\r\n\r\n"},
    {"a request line without a version", "GET /healthz\r\n\r\n"},
    {"line feeds only", std::string(64, '\n')},
  };
  int bad_requests = 0;
  for (const auto& [what, bytes] : inputs) {
    INFO("sent " << what);
    auto reply = refusal_of(scene.admin, bytes);
    if (reply) {
      CHECK(reply->status == 400);
      bad_requests += reply->status == 400 ? 1 : 0;
    }
  }
  CHECK(http_status(scene.admin, "/healthz") == 200);
  auto client = scene.client();
  require_echo(client, "after the garbage");
  CHECK(admin_requests(scrape(scene.admin), "other", "400") == bad_requests);
}

// -- readiness ----------------------------------------------------------------

TEST_CASE("readyz is 503 until the node serves calls and has joined when it was told to",
          "[admin]") {
  admin_scene scene{{}, cluster_config{}.with_join_timeout(1s), false};
  auto before = http_get(scene.admin, "/readyz");
  REQUIRE(before);
  CHECK(before->status == 503);
  CHECK(before->body == "not ready: not serving calls yet\n");
  CHECK(http_status(scene.admin, "/healthz") == 200);
  REQUIRE_FALSE(scene.node->start());
  CHECK(http_status(scene.admin, "/readyz") == 200);

  silent_udp_port nobody;
  CHECK(scene.node->join({nobody.address()}));
  auto unjoined = http_get(scene.admin, "/readyz");
  REQUIRE(unjoined);
  CHECK(unjoined->status == 503);
  CHECK(unjoined->body == "not ready: not joined to its cluster\n");

  admin_scene seed;
  REQUIRE_FALSE(scene.node->join({seed.node->local_address().to_string()}));
  CHECK(http_status(scene.admin, "/readyz") == 200);
}

TEST_CASE("readyz turns 503 as a drain begins while a call is still in flight and healthz "
          "stays 200",
          "[admin]") {
  admin_scene scene;
  CHECK(http_status(scene.admin, "/readyz") == 200);
  auto call = scene.holder.hold(scene.client());
  auto shutdown = std::async(std::launch::async, [&] { return scene.node->shutdown(10s); });
  {
    INFO("readyz stayed 200 after shutdown began");
    CHECK(eventually([&] { return http_status(scene.admin, "/readyz") == 503; }, 3s));
  }
  // The call holds the drain open: all of this is before shutdown returns.
  CHECK(shutdown.wait_for(0s) == std::future_status::timeout);
  CHECK(http_status(scene.admin, "/healthz") == 200);
  {
    INFO("rpc_server_draining never said 1 during the drain");
    CHECK(eventually(
      [&] { return scrape(scene.admin).value("rpc_server_draining") == std::optional<double>{1}; },
      3s));
  }
  CHECK(shutdown.wait_for(0s) == std::future_status::timeout);
  scene.holder.release();
  auto reply = call.get();
  {
    INFO("the held call: " << (reply ? "ok" : describe(reply.error())));
    REQUIRE(reply);
  }
  CHECK(as_string_view(*reply) == "held");
  {
    INFO("shutdown did not return once the last call ended");
    REQUIRE(shutdown.wait_for(5s) == std::future_status::ready);
  }
  CHECK_FALSE(shutdown.get());
  CHECK(http_status(scene.admin, "/readyz") == 503);
}

// -- the metrics page ---------------------------------------------------------

TEST_CASE("the metrics page of a node that served calls and refusals passes promtool check "
          "metrics",
          "[admin]") {
  admin_scene scene;
  auto client = scene.client();
  require_echo(client, "counted");
  CHECK_FALSE(client.call("fail", {}));
  CHECK(http_status(scene.admin, "/nope") == 404);
  auto page = scrape(scene.admin);
  REQUIRE(page.count("rpc_requests_total") >= 2);
  auto verdict = promtool_check(page.text());
  INFO("page:\n" << page.text() << "\npromtool said:\n" << verdict.output);
  CHECK(verdict.status == 0);
  CHECK(verdict.output.empty());
}
