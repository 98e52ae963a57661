// A server's admission of new connections on real sockets: a stateless
// Retry whose token only the address it was sent to can use, once and in
// time; NEW_TOKEN tokens that let a returning client skip the Retry; the
// limits on half-open connections and on new connections per source
// address; and real clients that connect through all of it. Forged
// clients (quic_initial_forge.hpp) play the parts no QUIC stack would.
#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <rpcnet/actors/rpc_client.hpp>
#include <rpcnet/actors/runtime.hpp>

#include "echo_server.hpp"
#include "eventually.hpp"
#include "quic_initial_forge.hpp"
#include "test_certs.hpp"
#include "udp_socket.hpp"

using namespace rpcnet;
using namespace std::chrono_literals;
using test::eventually;
using test::udp_socket;

namespace {

/// A server with the admission limits under test and the development
/// certificate.
rpc_config admitting(admission_limits limits) {
  return test::server_config().with_admission(limits);
}

admission_limits always_retry() {
  admission_limits limits;
  limits.retry_threshold = 0;
  return limits;
}

/// True once the server's counter `member` equals `value`: counters are
/// published after the loop that sent the answer a test just read.
bool stat_becomes(const test::echo_server& srv, uint64_t transport_stats::*member,
                  uint64_t value) {
  return eventually([&] { return srv.stats().*member == value; });
}

/// A forged client: one socket, the connection IDs of its first Initial.
struct forged_client {
  udp_socket sock;
  byte_buffer dcid = test::random_cid();
  byte_buffer scid = test::random_cid(8);

  /// Sends a ClientHello in an Initial to `dcid` carrying `token`.
  void send_initial(const socket_address& server, const byte_buffer& to,
                    const byte_buffer& token = {}) {
    test::initial_header hd;
    hd.dcid = to;
    hd.scid = scid;
    hd.token = token;
    REQUIRE(sock.send_to(server, test::forge_client_initial(hd)));
  }

  /// The next datagram from the server, failing the test if none comes.
  byte_buffer answer() {
    auto dg = sock.receive(5000ms);
    INFO("the server did not answer " << sock.local_address().to_string());
    REQUIRE(dg);
    return dg->data;
  }

  /// Sends a first Initial and reads the Retry it must get.
  test::retry_packet retry_from(const socket_address& server) {
    send_initial(server, dcid);
    auto retry = test::read_retry(answer());
    INFO("the server's answer to an Initial without a token is no Retry");
    REQUIRE(retry);
    return *retry;
  }
};

} // namespace

TEST_CASE("a server that always sends Retry serves real clients and a returning client's "
          "NEW_TOKEN spares it the Retry",
          "[address_validation]") {
  runtime rt;
  test::echo_server srv{rt.system(), admitting(always_retry())};
  // Its own endpoint: the first connection goes through a Retry.
  auto plain = test::require_connect(rt.system(), srv.address_text());
  test::require_echo(plain, "after a retry");
  // At least one: a client that retransmits its first Initial before the
  // Retry arrives gets one for each.
  CHECK(srv.stats().retries_sent >= 1);
  CHECK(stat_becomes(srv, &transport_stats::connections_validated_by_retry, 1));
  REQUIRE(eventually([&] { return srv.stats().new_tokens_sent >= 1; }));

  // A node's endpoint keeps the tokens servers sent it for its next
  // connection to them.
  rpc_server home{rt.system(), test::server_config().with_ca_path(test::cert_file("ca.pem"))};
  REQUIRE(home.bind());
  REQUIRE_FALSE(home.start());
  auto first = rpc_client::connect(rt.system(), srv.address_text(), test::client_config(),
                                   home.endpoint_handle());
  REQUIRE(first);
  test::require_echo(*first, "first visit");
  CHECK(stat_becomes(srv, &transport_stats::connections_validated_by_retry, 2));
  REQUIRE(eventually([&] { return srv.stats().new_tokens_sent >= 2; }));
  first->close();
  auto retries = srv.stats().retries_sent;
  auto second = rpc_client::connect(rt.system(), srv.address_text(), test::client_config(),
                                    home.endpoint_handle());
  REQUIRE(second);
  test::require_echo(*second, "second visit");
  CHECK(stat_becomes(srv, &transport_stats::connections_validated_by_new_token, 1));
  CHECK(stat_becomes(srv, &transport_stats::retries_sent, retries));
}

TEST_CASE("a Retry keeps no state and its token opens a connection only from the address it "
          "was sent to",
          "[address_validation]") {
  runtime rt;
  test::echo_server srv{rt.system(), admitting(always_retry())};
  forged_client honest;
  auto retry = honest.retry_from(srv.address());
  CHECK(retry.dcid == honest.scid);
  CHECK(stat_becomes(srv, &transport_stats::retries_sent, 1));
  CHECK(stat_becomes(srv, &transport_stats::connections_open, 0));
  CHECK(stat_becomes(srv, &transport_stats::half_open_connections, 0));

  SECTION("from another address the token is refused with INVALID_TOKEN") {
    forged_client thief;
    thief.send_initial(srv.address(), retry.scid, retry.token);
    auto close = test::open_server_initial(thief.answer(), retry.scid);
    REQUIRE(close);
    CHECK(close->close_error == std::optional<uint64_t>{0x0b});
    CHECK(stat_becomes(srv, &transport_stats::connections_refused_invalid_token, 1));
    CHECK(stat_becomes(srv, &transport_stats::connections_open, 0));
  }

  SECTION("a forged Retry token is refused, and a token that is none of ours is ignored") {
    forged_client forger;
    auto forged = retry.token;
    forged[forged.size() / 2] ^= 0x40;
    forger.send_initial(srv.address(), retry.scid, forged);
    REQUIRE(test::open_server_initial(forger.answer(), retry.scid));
    CHECK(stat_becomes(srv, &transport_stats::connections_refused_invalid_token, 1));
    forged_client stranger;
    stranger.send_initial(srv.address(), stranger.dcid, byte_buffer(40, 0x11));
    CHECK(test::read_retry(stranger.answer()));
    CHECK(stat_becomes(srv, &transport_stats::retries_sent, 2));
  }

  SECTION("from the address it was sent to the token opens a validated connection") {
    honest.send_initial(srv.address(), retry.scid, retry.token);
    auto hello = test::open_server_initial(honest.answer(), retry.scid);
    REQUIRE(hello);
    CHECK_FALSE(hello->crypto.empty());
    CHECK(stat_becomes(srv, &transport_stats::connections_validated_by_retry, 1));
    CHECK(stat_becomes(srv, &transport_stats::half_open_connections, 1));
  }
}

TEST_CASE("validated handshakes beyond the half-open limit are refused and counted",
          "[address_validation]") {
  runtime rt;
  auto limits = always_retry();
  limits.max_half_open = 3;
  test::echo_server srv{rt.system(), admitting(limits)};
  std::vector<std::unique_ptr<forged_client>> clients;
  for (int i = 0; i < 5; ++i) {
    auto& c = *clients.emplace_back(std::make_unique<forged_client>());
    auto retry = c.retry_from(srv.address());
    c.send_initial(srv.address(), retry.scid, retry.token);
  }
  INFO("refused for the half-open limit: " << srv.stats().connections_refused_half_open);
  REQUIRE(eventually([&] { return srv.stats().connections_refused_half_open == 2; }));
  CHECK(stat_becomes(srv, &transport_stats::half_open_connections, 3));
  CHECK(stat_becomes(srv, &transport_stats::connections_validated_by_retry, 3));
}

TEST_CASE("new connections beyond the per-source rate are refused and counted, other "
          "sources are not",
          "[address_validation]") {
  runtime rt;
  admission_limits limits;
  limits.retry_threshold = 64;
  limits.max_half_open = 64;
  limits.max_new_per_source_per_second = 5;
  test::echo_server srv{rt.system(), admitting(limits)};
  forged_client busy;
  for (int i = 0; i < 12; ++i)
    busy.send_initial(srv.address(), test::random_cid());
  INFO("refused for the source rate: " << srv.stats().connections_refused_source_rate);
  REQUIRE(eventually([&] { return srv.stats().connections_refused_source_rate >= 6; }));
  CHECK(srv.stats().half_open_connections <= 6);
  // Every forged client is 127.0.0.1, as is the real one: its bucket has
  // refilled a second later.
  REQUIRE(eventually([&] { return test::serves_a_normal_call(rt.system(), srv); }, 3000ms));
}
