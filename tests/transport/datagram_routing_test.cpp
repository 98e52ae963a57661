// Tests how an endpoint routes the datagrams arriving on its one UDP port
// (PROTOCOL.md 1.1): a datagram naming one of its connection IDs goes to
// that connection even when the peer greased the QUIC bit (ngtcp2 0.12
// always advertises grease_quic_bit, so half of all peers clear 0x40); one
// with the top two bits clear that names no connection is foreign (gossip)
// and counted; an unsupported version gets Version Negotiation; anything
// else is dropped and counted -- and none of it stops the server serving.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <random>

#include <rpcnet/actors/rpc_client.hpp>
#include <rpcnet/actors/runtime.hpp>

#include "echo_server.hpp"
#include "eventually.hpp"
#include "quic_initial_forge.hpp"
#include "udp_relay.hpp"
#include "udp_socket.hpp"

using namespace std::chrono_literals;
using rpcnet::byte_buffer;
using rpcnet::test::echo_server;
using rpcnet::test::eventually;
using rpcnet::test::udp_relay;
using rpcnet::test::udp_socket;

namespace {

/// True for a short-header packet whose fixed bit (0x40) was cleared by
/// QUIC-bit greasing (RFC 9287); long headers always set 0x80.
bool is_greased_short_header(const byte_buffer& packet) {
  return !packet.empty() && (packet[0] & 0xC0) == 0;
}

/// A long header: flags, version, DCID and SCID, padded to the 1200 bytes a
/// client's first datagram must have.
byte_buffer long_header(uint8_t flags, uint32_t version, const byte_buffer& dcid,
                        const byte_buffer& scid) {
  byte_buffer out{flags};
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<uint8_t>(version >> shift));
  out.push_back(static_cast<uint8_t>(dcid.size()));
  out.insert(out.end(), dcid.begin(), dcid.end());
  out.push_back(static_cast<uint8_t>(scid.size()));
  out.insert(out.end(), scid.begin(), scid.end());
  out.resize(1200, 0x77);
  return out;
}

} // namespace

TEST_CASE("connections carry calls although their peers grease the QUIC bit", "[routing]") {
  rpcnet::runtime rt;
  echo_server srv{rt.system()};
  // A relay in the middle counts the greased packets in each direction, so
  // the test knows that greasing really happened.
  std::atomic<size_t> greased_to_server{0};
  std::atomic<size_t> greased_to_client{0};
  udp_relay relay{srv.address(), [&](udp_relay::direction dir, const byte_buffer& packet) {
                    if (is_greased_short_header(packet))
                      ++(dir == udp_relay::direction::to_server ? greased_to_server
                                                                : greased_to_client);
                    return true;
                  }};
  // Each side of a connection clears the fixed bit with probability 1/2,
  // so 24 connections grease with near certainty (1 - 4^-24).
  constexpr int n = 24;
  for (int i = 0; i < n; ++i) {
    INFO("connection " << i);
    auto client = rpcnet::rpc_client::connect(rt.system(), relay.address(),
                                              rpcnet::test::client_config());
    REQUIRE(client);
    auto reply = client->call("echo", rpcnet::to_bytes("greased"), 2s);
    INFO("echo: " << (reply ? "ok" : rpcnet::describe(reply.error())));
    REQUIRE(reply);
    CHECK(rpcnet::as_string_view(*reply) == "greased");
  }
  INFO("greased packets: " << greased_to_server << " to the server, " << greased_to_client
                           << " to the clients");
  CHECK(greased_to_server > 0);
  CHECK(greased_to_client > 0);
}

TEST_CASE("a datagram with the top two bits clear that names no connection is counted as "
          "foreign",
          "[routing]") {
  rpcnet::runtime rt;
  echo_server srv{rt.system()};
  udp_socket peer;
  REQUIRE(peer.send_to(srv.address(), byte_buffer{0x01, 'g', 'o', 's', 's', 'i', 'p'}));
  REQUIRE(peer.send_to(srv.address(), byte_buffer(1200, 0x3F)));
  INFO("foreign datagrams counted: " << srv.stats().foreign_datagrams);
  REQUIRE(eventually([&] { return srv.stats().foreign_datagrams == 2; }));
  CHECK(srv.stats().connections_open == 0);
  CHECK(rpcnet::test::serves_a_normal_call(rt.system(), srv));
}

TEST_CASE("a long header of an unsupported version is answered with version negotiation",
          "[routing]") {
  rpcnet::runtime rt;
  echo_server srv{rt.system()};
  udp_socket peer;
  byte_buffer dcid{1, 2, 3, 4, 5, 6, 7, 8};
  byte_buffer scid{9, 10, 11, 12, 13, 14, 15, 16};
  REQUIRE(peer.send_to(srv.address(), long_header(0xC0, 0x1A2A3A4A, dcid, scid)));
  auto reply = peer.receive(2s);
  REQUIRE(reply);
  INFO("reply of " << reply->data.size() << " bytes");
  // Version Negotiation: version 0, CIDs swapped, then the supported
  // versions.
  auto vn = rpcnet::test::read_version_negotiation(reply->data);
  REQUIRE(vn);
  CHECK(vn->dcid == scid);
  CHECK(vn->scid == dcid);
  CHECK(vn->offers(1));
  CHECK(srv.stats().connections_open == 0);
}

TEST_CASE("a short header for an unknown connection is dropped and counted", "[routing]") {
  rpcnet::runtime rt;
  echo_server srv{rt.system()};
  udp_socket peer;
  byte_buffer packet(60, 0x11);
  packet[0] = 0x41; // short header, fixed bit set
  REQUIRE(peer.send_to(srv.address(), packet));
  INFO("datagrams dropped: " << srv.stats().datagrams_dropped);
  REQUIRE(eventually([&] { return srv.stats().datagrams_dropped == 1; }));
  CHECK(srv.stats().foreign_datagrams == 0);
  CHECK(srv.stats().connections_open == 0);
  CHECK(rpcnet::test::serves_a_normal_call(rt.system(), srv));
}

TEST_CASE("Initial packets that do not decrypt leave no connection behind", "[routing]") {
  rpcnet::runtime rt;
  echo_server srv{rt.system()};
  udp_socket peer;
  constexpr uint8_t n = 100;
  for (uint8_t i = 0; i < n; ++i) {
    // A well-formed Initial header (fresh DCID each time), token length 0,
    // a payload length, and bytes that are no valid ciphertext.
    byte_buffer dcid(8, i);
    auto packet = long_header(0xC3, 1, dcid, byte_buffer(8, 0xEE));
    packet[23] = 0;                           // token length
    packet[24] = 0x40 | ((1200 - 26) >> 8);   // payload length, two-byte varint
    packet[25] = (1200 - 26) & 0xFF;
    REQUIRE(peer.send_to(srv.address(), packet));
  }
  INFO("datagrams received: " << srv.stats().datagrams_received
                              << ", open: " << srv.stats().connections_open);
  REQUIRE(eventually([&] { return srv.stats().datagrams_received >= n; }));
  REQUIRE(eventually([&] { return srv.stats().connections_open == 0; }));
  CHECK(srv.stats().connections_accepted == 0);
  CHECK(rpcnet::test::serves_a_normal_call(rt.system(), srv));
}

TEST_CASE("a flood of random datagrams does not stop the server", "[routing]") {
  rpcnet::runtime rt;
  echo_server srv{rt.system()};
  udp_socket peer;
  std::mt19937 rng{12345};
  constexpr int n = 2000;
  for (int i = 0; i < n; ++i) {
    byte_buffer junk(1 + rng() % 1400);
    for (auto& b : junk)
      b = static_cast<uint8_t>(rng());
    peer.send_to(srv.address(), junk);
  }
  // Loopback may drop some of them under load; most must have been read.
  INFO("datagrams received: " << srv.stats().datagrams_received);
  REQUIRE(eventually([&] { return srv.stats().datagrams_received >= n / 2; }));
  CHECK(rpcnet::test::serves_a_normal_call(rt.system(), srv));
  INFO("connections open: " << srv.stats().connections_open);
  CHECK(eventually([&] { return srv.stats().connections_open == 0; }));
  CHECK(srv.stats().connections_accepted == 1);
}
