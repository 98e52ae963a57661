// A server process survives every hostile first packet a stranger can send
// it (the Initial packets of tests/support/quic_initial_forge.hpp, with
// ClientHellos assembled byte by byte): transport parameters missing,
// empty, truncated, twice or garbled; a ClientHello cut short or claiming
// more than its CRYPTO frame carries; versions it does not speak; and a
// valid Initial from a client that never finishes. After each one the
// process still runs, counted what happened, and answers a real client's
// call. Closing half-open connections -- at shutdown, on ICMP port
// unreachable -- is safe too. The server is rpcnet-echo-server in a process
// of its own: a ClientHello without transport parameters used to abort it
// inside libngtcp2.
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <rpcnet/actors/runtime.hpp>

#include "echo_server.hpp"
#include "echo_server_process.hpp"
#include "eventually.hpp"
#include "quic_initial_forge.hpp"
#include "udp_socket.hpp"

using namespace std::chrono_literals;
using rpcnet::byte_buffer;
using rpcnet::test::client_hello_options;
using rpcnet::test::echo_server_process;
using rpcnet::test::eventually;
using rpcnet::test::initial_header;
using rpcnet::test::transport_parameters_form;
using rpcnet::test::udp_socket;

namespace {

/// The server's handshake timeout here: long enough for a loaded machine,
/// short enough to wait out once per half-open case.
constexpr auto handshake_timeout = 1000ms;

/// TLS alert missing_extension as a QUIC CRYPTO_ERROR (0x100 + 109), and
/// the transport errors RFC 9000 section 20.1 defines for the rest.
constexpr uint64_t missing_extension_error = 0x16d;
constexpr uint64_t transport_parameter_error = 0x08;

/// What the server must do with a forged first datagram.
enum class answer {
  /// Refuse the handshake at once with a CONNECTION_CLOSE in an Initial
  /// packet, and forget the connection.
  refusal,
  /// Drop the connection at once without a word: ngtcp2 does so when a
  /// server's very first Initial does not parse, since its SCID may be
  /// corrupt too.
  dropped,
  /// Answer, hold the connection half-open and drop it at its handshake
  /// timeout.
  half_open,
  /// Answer with Version Negotiation offering QUIC v1; keep no state.
  version_negotiation,
  /// Say nothing and keep no state.
  silence,
};

struct forged_case {
  std::string name;
  /// Builds the datagram for a header with fresh connection IDs.
  std::function<byte_buffer(const initial_header&)> datagram;
  answer expected;
  /// For refusals whose error code is defined: the code.
  std::optional<uint64_t> close_error = std::nullopt;
  /// For half-open connections: the answer carries the ServerHello (the
  /// ClientHello was complete), not just an acknowledgement.
  bool server_hello = false;
};

initial_header fresh_header(uint32_t version = 1) {
  initial_header hd;
  hd.version = version;
  hd.dcid = rpcnet::test::random_cid();
  hd.scid = rpcnet::test::random_cid(8);
  return hd;
}

forged_case with_transport_parameters(std::string name, transport_parameters_form form,
                                      std::optional<uint64_t> close_error = std::nullopt) {
  return {std::move(name),
          [form](const initial_header& hd) {
            client_hello_options hello;
            hello.transport_parameters = form;
            return rpcnet::test::forge_client_initial(hd, hello);
          },
          answer::refusal, close_error};
}

/// A ClientHello whose CRYPTO frame carries only its first `size` bytes
/// (`size` < 0: all but the last -size bytes).
forged_case cut_short(std::string name, std::ptrdiff_t size) {
  return {std::move(name),
          [size](const initial_header& hd) {
            client_hello_options hello;
            hello.source_cid = hd.scid;
            auto full = rpcnet::test::make_client_hello(hello);
            auto keep = size >= 0 ? static_cast<size_t>(size)
                                  : full.size() - static_cast<size_t>(-size);
            byte_buffer frames;
            rpcnet::test::append_crypto_frame(frames, 0, std::span{full}.first(keep));
            return rpcnet::test::forge_initial(hd, frames);
          },
          answer::half_open};
}

std::vector<forged_case> transport_parameter_cases() {
  return {
    with_transport_parameters("transport parameters missing", transport_parameters_form::missing,
                              missing_extension_error),
    with_transport_parameters("transport parameters empty", transport_parameters_form::empty,
                              transport_parameter_error),
    with_transport_parameters("transport parameters truncated",
                              transport_parameters_form::truncated, transport_parameter_error),
    // GnuTLS answers an extension sent twice with unsupported_extension.
    with_transport_parameters("transport parameters twice", transport_parameters_form::duplicated,
                              0x16e),
    with_transport_parameters("transport parameters garbage", transport_parameters_form::garbage,
                              transport_parameter_error),
  };
}

std::vector<forged_case> cut_short_cases() {
  return {
    cut_short("one byte of a ClientHello", 1),
    cut_short("a ClientHello cut inside its length", 3),
    cut_short("a ClientHello cut inside its random", 20),
    cut_short("half a ClientHello", 150),
    cut_short("a ClientHello without its last byte", -1),
    {"a CRYPTO frame that claims more than it carries",
     [](const initial_header& hd) {
       client_hello_options hello;
       hello.source_cid = hd.scid;
       auto full = rpcnet::test::make_client_hello(hello);
       byte_buffer frames;
       rpcnet::test::append_crypto_frame(frames, 0, full, full.size() + 500);
       return rpcnet::test::forge_initial(hd, frames);
     },
     answer::dropped},
    {"the second half of a ClientHello alone",
     [](const initial_header& hd) {
       client_hello_options hello;
       hello.source_cid = hd.scid;
       auto full = rpcnet::test::make_client_hello(hello);
       auto half = full.size() / 2;
       byte_buffer frames;
       rpcnet::test::append_crypto_frame(frames, half, std::span{full}.subspan(half));
       return rpcnet::test::forge_initial(hd, frames);
     },
     answer::dropped},
  };
}

forged_case version(std::string name, uint32_t v, answer expected) {
  return {std::move(name),
          [v](const initial_header& hd) {
            auto other = hd;
            other.version = v;
            return rpcnet::test::forge_client_initial(other);
          },
          expected};
}

std::vector<forged_case> version_cases() {
  return {
    version("a reserved version (0x1a2a3a4a)", 0x1a2a3a4a, answer::version_negotiation),
    version("QUIC draft 29", 0xff00001d, answer::version_negotiation),
    version("the QUIC v2 draft (0x709a50c4)", 0x709a50c4, answer::version_negotiation),
    version("version 2 (unassigned here)", 0x00000002, answer::version_negotiation),
    version("version 0, a Version Negotiation itself", 0, answer::silence),
  };
}

forged_case valid_initial() {
  return {"a valid Initial from a client that never finishes",
          [](const initial_header& hd) { return rpcnet::test::forge_client_initial(hd); },
          answer::half_open, std::nullopt, true};
}

/// The server's first datagram that opens as an Initial packet for
/// `client_dcid`, within `limit`.
std::optional<rpcnet::test::server_initial>
await_server_initial(udp_socket& peer, const byte_buffer& client_dcid,
                     std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    auto dgram = peer.receive(std::max(left, 1ms));
    if (!dgram)
      return std::nullopt;
    if (auto opened = rpcnet::test::open_server_initial(dgram->data, client_dcid))
      return opened;
  }
  return std::nullopt;
}

/// Checks a Version Negotiation packet: our CIDs swapped, and QUIC v1
/// among the versions offered.
void check_version_negotiation(const byte_buffer& datagram, const initial_header& hd) {
  auto vn = rpcnet::test::read_version_negotiation(datagram);
  INFO("a datagram of " << datagram.size() << " bytes that is no Version Negotiation");
  REQUIRE(vn);
  CHECK(vn->dcid == hd.scid);
  CHECK(vn->scid == hd.dcid);
  CHECK(vn->offers(1));
}

/// Sends one forged datagram from a fresh port, checks the server's answer
/// and counters, and proves the process still runs and serves a real call.
void run_case(echo_server_process& server, rpcnet::runtime& rt, const forged_case& c) {
  INFO("case: " << c.name);
  // The previous case's client may still be closing its connection.
  REQUIRE(eventually([&] { return server.stat("connections_open") == 0; }));
  auto before = server.stats();
  REQUIRE(!before.empty());
  udp_socket peer;
  auto hd = fresh_header();
  REQUIRE(peer.send_to(server.address(), c.datagram(hd)));

  switch (c.expected) {
    case answer::refusal: {
      std::optional<uint64_t> close_error;
      for (int i = 0; i < 8 && !close_error; ++i)
        if (auto opened = await_server_initial(peer, hd.dcid, 2s))
          close_error = opened->close_error;
      INFO("the server sent no CONNECTION_CLOSE in an Initial");
      REQUIRE(close_error);
      INFO("CONNECTION_CLOSE error 0x" << std::hex << *close_error);
      if (c.close_error)
        CHECK(*close_error == *c.close_error);
      else // a TLS alert: CRYPTO_ERROR 0x100 + alert
        CHECK((*close_error & ~uint64_t{0xff}) == 0x100);
      break;
    }
    case answer::half_open: {
      // The server answers what arrived (an ACK, or its ServerHello) and
      // holds the connection...
      auto opened = await_server_initial(peer, hd.dcid, 2s);
      INFO("the server sent no Initial back");
      REQUIRE(opened);
      CHECK(opened->dcid == hd.scid);
      CHECK_FALSE(opened->close_error);
      if (c.server_hello) {
        INFO("CRYPTO bytes in the server's Initial: " << opened->crypto.size());
        REQUIRE_FALSE(opened->crypto.empty());
        CHECK(opened->crypto[0] == 0x02); // server_hello
      }
      CHECK(eventually([&] { return server.stat("connections_open")
                                    == before["connections_open"] + 1; }));
      // ...until its handshake timeout.
      INFO("server: " << server.state());
      REQUIRE(eventually([&] { return server.stat("connections_open")
                                      == before["connections_open"]; },
                         handshake_timeout + 4s));
      break;
    }
    case answer::version_negotiation: {
      auto vn = peer.receive(2s);
      INFO("the server sent no Version Negotiation");
      REQUIRE(vn);
      check_version_negotiation(vn->data, hd);
      // Counters are published after the wake-up's datagrams went out.
      CHECK(eventually([&] { return server.stat("version_negotiations_sent")
                                    == before["version_negotiations_sent"] + 1; }));
      break;
    }
    case answer::dropped:
    case answer::silence:
      REQUIRE(eventually([&] { return server.stat("datagrams_received")
                                      > before["datagrams_received"]; }));
      CHECK_FALSE(peer.receive(200ms));
      break;
  }

  INFO("server: " << server.state());
  REQUIRE(server.running());
  bool makes_a_connection = c.expected == answer::refusal || c.expected == answer::dropped
                            || c.expected == answer::half_open;
  if (makes_a_connection) {
    CHECK(eventually([&] { return server.stat("handshakes_failed")
                                  == before["handshakes_failed"] + 1; }));
  } else {
    CHECK(server.stat("handshakes_failed") == before["handshakes_failed"]);
  }
  CHECK(eventually([&] { return server.stat("connections_open")
                                == before["connections_open"]; }));
  CHECK(server.stat("connections_accepted") == before["connections_accepted"]);
  auto client = rpcnet::test::require_connect(rt.system(), server.address_text());
  rpcnet::test::require_echo(client, "after " + c.name);
  REQUIRE(server.running());
}

void run_cases(const std::vector<forged_case>& cases) {
  rpcnet::runtime rt;
  echo_server_process server{
    {"--handshake-timeout-ms", std::to_string(handshake_timeout.count())}};
  for (auto& c : cases)
    run_case(server, rt, c);
  INFO("server: " << server.state());
  CHECK(server.running());
}

} // namespace

TEST_CASE("a server process refuses ClientHellos with broken transport parameters and keeps "
          "serving",
          "[forged_initial]") {
  run_cases(transport_parameter_cases());
}

TEST_CASE("a server process holds cut-short ClientHellos until its handshake timeout and "
          "drops a first Initial whose CRYPTO frame is malformed",
          "[forged_initial]") {
  run_cases(cut_short_cases());
}

TEST_CASE("a server process answers versions other than QUIC v1 with Version Negotiation or "
          "silence",
          "[forged_initial]") {
  run_cases(version_cases());
}

TEST_CASE("a server process answers a valid forged Initial and times the half-open connection "
          "out",
          "[forged_initial]") {
  run_cases({valid_initial()});
}

TEST_CASE("one server process survives every forged Initial in a row", "[forged_initial]") {
  auto all = transport_parameter_cases();
  for (auto& group : {cut_short_cases(), version_cases()})
    all.insert(all.end(), group.begin(), group.end());
  all.push_back(valid_initial());
  run_cases(all);
}

TEST_CASE("a server process with half-open connections shuts down cleanly", "[forged_initial]") {
  echo_server_process server{{"--handshake-timeout-ms", "30000"}};
  // Closing them at shutdown writes CONNECTION_CLOSE mid-handshake: after
  // the server's flight for the complete ClientHellos, and in Initial
  // packets alone for the cut-short ones.
  udp_socket peer;
  std::vector<byte_buffer> dcids;
  for (auto c : {valid_initial(), valid_initial(), cut_short("a cut ClientHello", 20)}) {
    auto hd = fresh_header();
    REQUIRE(peer.send_to(server.address(), c.datagram(hd)));
    dcids.push_back(hd.dcid);
  }
  INFO("server: " << server.state());
  REQUIRE(eventually([&] { return server.stat("connections_open") == dcids.size(); }));
  auto code = server.quit(10s);
  INFO("the server did not exit within 10 s of quit");
  REQUIRE(code);
  CHECK(*code == 0);
}

TEST_CASE("a half-open connection whose client's port closed is dropped on the ICMP error",
          "[forged_initial]") {
  rpcnet::runtime rt;
  // A handshake timeout the test will not wait for: only the ICMP port
  // unreachable can end the connection in time.
  echo_server_process server{{"--handshake-timeout-ms", "60000"}};
  {
    udp_socket peer;
    auto hd = fresh_header();
    REQUIRE(peer.send_to(server.address(), rpcnet::test::forge_client_initial(hd)));
    REQUIRE(await_server_initial(peer, hd.dcid, 2s));
    REQUIRE(eventually([&] { return server.stat("connections_open") == 1; }));
  } // the port closes; the server's retransmissions draw port unreachable
  INFO("server: " << server.state());
  REQUIRE(eventually([&] { return server.stat("peers_unreachable") >= 1; }, 10s));
  REQUIRE(eventually([&] { return server.stat("connections_open") == 0; }));
  CHECK(server.stat("handshakes_failed") == 1);
  REQUIRE(server.running());
  auto client = rpcnet::test::require_connect(rt.system(), server.address_text());
  rpcnet::test::require_echo(client, "after an unreachable stranger");
}
