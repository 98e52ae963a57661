// Tests what gossip does with hostile and foreign datagrams on real UDP:
// random bytes, truncations, oversized and wrong-version datagrams, a
// forged sender, sealed datagrams without a key and with the wrong key.
// Each is dropped and counted by reason, and the node stays a healthy
// member. Also the AES-GCM key ring itself, and a key rotation on a running
// cluster without downtime.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/membership/cluster_membership.hpp>
#include "gossip_codec.hpp"
#include <rpcnet/transport/aead_keyring.hpp>
#include <rpcnet/transport/error.hpp>
#include <rpcnet/transport/library_log.hpp>
#include <rpcnet/transport/socket_address.hpp>

#include "encoded_gossip.hpp"
#include "eventually.hpp"
#include "udp_sender.hpp"

using namespace rpcnet;
using namespace std::chrono_literals;
using rpcnet::test::encoded;
using rpcnet::test::eventually;
using rpcnet::test::udp_sender;

namespace {

aead_keyring::key key_of(uint8_t fill, size_t size = 32) {
  return aead_keyring::key(size, fill);
}

/// `plain` sealed by `ring`; the test fails at once if sealing fails.
byte_buffer sealed_by(const aead_keyring& ring, const byte_buffer& plain) {
  auto sealed = ring.seal(plain);
  REQUIRE(sealed);
  return std::move(*sealed);
}

cluster_config node_config() {
  return cluster_config{}.with_bind_address("127.0.0.1:0").with_join_timeout(5s);
}

bool sees_alive(cluster_membership& viewer, const node_id& id) {
  for (const auto& m : viewer.members())
    if (m.id == id)
      return m.state == member_state::alive;
  return false;
}

} // namespace

// -- the key ring ---------------------------------------------------------------

TEST_CASE("a sealed datagram opens with the same key and with no other", "[keyring]") {
  auto ring = aead_keyring::make(key_of(1));
  REQUIRE(ring);
  byte_buffer plain = to_bytes("gossip");
  auto sealed = sealed_by(*ring, plain);
  CHECK(sealed.size() == plain.size() + aead_keyring::overhead);
  CHECK(sealed[0] == aead_keyring::envelope_magic);
  auto opened = ring->open(sealed);
  REQUIRE(opened);
  CHECK(*opened == plain);
  auto other = aead_keyring::make(key_of(2));
  REQUIRE(other);
  CHECK_FALSE(other->open(sealed));
}

TEST_CASE("two seals of the same bytes differ (fresh nonces)", "[keyring]") {
  auto ring = aead_keyring::make(key_of(1, 16));
  REQUIRE(ring);
  auto plain = to_bytes("same");
  CHECK(sealed_by(*ring, plain) != sealed_by(*ring, plain));
}

TEST_CASE("any flipped bit, truncation or wrong envelope is refused", "[keyring]") {
  auto ring = aead_keyring::make(key_of(7, 24));
  REQUIRE(ring);
  auto sealed = sealed_by(*ring, to_bytes("membership update"));
  for (size_t i = 0; i < sealed.size(); ++i) {
    auto bad = sealed;
    bad[i] ^= 0x01;
    CHECK_FALSE(ring->open(bad));
  }
  for (size_t n = 0; n < sealed.size(); ++n)
    CHECK_FALSE(ring->open({sealed.data(), n}));
}

TEST_CASE("keys of a wrong length are refused, and the key in use cannot be removed",
          "[keyring]") {
  CHECK_FALSE(aead_keyring::make(key_of(1, 15)));
  CHECK_FALSE(aead_keyring::make({}));
  auto ring = aead_keyring::make(key_of(1));
  REQUIRE(ring);
  CHECK(ring->add_key(key_of(2, 33)));
  CHECK(ring->remove_key(key_of(1)));
  CHECK(ring->keys().size() == 1);
}

TEST_CASE("rotation: a datagram sealed with the old key still opens while both are installed",
          "[keyring]") {
  auto old_ring = aead_keyring::make(key_of(1));
  auto new_ring = aead_keyring::make(key_of(1));
  REQUIRE(old_ring);
  REQUIRE(new_ring);
  REQUIRE_FALSE(new_ring->use_key(key_of(2)));
  CHECK(new_ring->keys().front() == key_of(2));
  auto from_old = sealed_by(*old_ring, to_bytes("a"));
  auto from_new = sealed_by(*new_ring, to_bytes("b"));
  CHECK(new_ring->open(from_old));
  CHECK_FALSE(old_ring->open(from_new));
  REQUIRE_FALSE(new_ring->remove_key(key_of(1)));
  CHECK_FALSE(new_ring->open(from_old));
}

TEST_CASE("cluster keys are read from base64 and checked", "[keyring]") {
  auto key = decode_base64_key("AAAAAAAAAAAAAAAAAAAAAA==");
  REQUIRE(key);
  CHECK(key->size() == 16);
  CHECK_FALSE(decode_base64_key("not base64!"));
  CHECK_FALSE(decode_base64_key("AAAA"));
}

// -- hostile datagrams ------------------------------------------------------------

TEST_CASE("hostile datagrams are dropped and counted by reason, and the node stays a "
          "healthy member",
          "[hostile]") {
  runtime rt;
  auto a = cluster_membership::start(rt.system(), node_config());
  auto b = cluster_membership::start(rt.system(), node_config());
  REQUIRE(a);
  REQUIRE(b);
  auto a_self = a->local_member();
  REQUIRE_FALSE(b->join({a_self.address}));
  udp_sender attacker;
  std::mt19937_64 rng{2026};
  uint64_t malformed = 0;
  auto send_malformed = [&](std::vector<uint8_t> bytes) {
    // Count what the codec itself refuses: a random mutation can be valid.
    if (!gossip::decode(bytes))
      ++malformed;
    attacker.send(a_self.address, bytes);
  };
  // Random bytes behind the gossip magic, every size up to the limit.
  for (int i = 0; i < 1500; ++i) {
    std::vector<uint8_t> bytes(1 + rng() % gossip::max_datagram_size);
    for (auto& x : bytes)
      x = static_cast<uint8_t>(rng());
    bytes[0] = gossip::magic;
    send_malformed(std::move(bytes));
    if (i % 100 == 99) // Pace the flood below the socket's buffer.
      REQUIRE(eventually([&] { return a->stats().rejected_malformed >= malformed; }, 10s));
  }
  // Every truncation of a valid datagram.
  auto valid = encoded(
    gossip::datagram{node_id{1, 2}, {gossip::alive{node_id{1, 2}, 3, "127.0.0.1:9", {{"k", "v"}}}}});
  for (size_t n = 1; n < valid.size(); ++n)
    send_malformed({valid.begin(), valid.begin() + static_cast<std::ptrdiff_t>(n)});
  // Oversized, and a version this node does not speak.
  std::vector<uint8_t> oversized(gossip::max_datagram_size + 100, 0);
  std::copy(valid.begin(), valid.end(), oversized.begin());
  send_malformed(oversized);
  auto wrong_version = valid;
  wrong_version[1] = 2;
  send_malformed(wrong_version);
  REQUIRE(eventually([&] { return a->stats().rejected_malformed >= malformed; }, 10s));
  // A forged sender: a valid ping claiming to come from the node itself.
  attacker.send(a_self.address,
                encoded(gossip::datagram{a_self.id, {gossip::ping{1, a_self.id}}}));
  // A sealed datagram, which a node without keys cannot open.
  auto ring = aead_keyring::make(key_of(9));
  REQUIRE(ring);
  attacker.send(a_self.address, sealed_by(*ring, valid));
  REQUIRE(eventually([&] {
    auto s = a->stats();
    return s.rejected_forged >= 1 && s.rejected_unauthenticated >= 1;
  }, 10s));
  auto stats = a->stats();
  CHECK(stats.rejected_malformed == malformed);
  CHECK(stats.rejected_forged == 1);
  CHECK(stats.rejected_unauthenticated == 1);
  CHECK(malformed > 1500);
  // Still a member in good standing, both ways.
  CHECK(sees_alive(*b, a_self.id));
  CHECK(sees_alive(*a, b->local_node_id()));
  CHECK(a->set_tag("after", "attack") == caf::error{});
  CHECK(eventually([&] {
    for (const auto& m : b->members())
      if (m.id == a_self.id && m.tags.count("after") == 1)
        return true;
    return false;
  }, 10s));
}

TEST_CASE("a flood beyond the backlog is dropped and counted, not queued without bound",
          "[hostile]") {
  runtime rt{1};
  auto cfg = node_config();
  cfg.max_pending_datagrams = 8;
  auto a = cluster_membership::start(rt.system(), cfg);
  REQUIRE(a);
  auto address = a->local_member().address;
  udp_sender attacker;
  std::vector<uint8_t> junk(1000, 0xff);
  junk[0] = gossip::magic;
  for (int i = 0; i < 20000; ++i)
    attacker.send(address, junk);
  REQUIRE(eventually([&] {
    auto s = a->stats();
    return s.rejected_malformed + s.dropped_backlog > 0 && s.dropped_backlog > 0;
  }, 10s));
  CHECK(a->local_node_id() != node_id{});
}

// -- cluster keys ---------------------------------------------------------------------

TEST_CASE("with a cluster key, members sharing it form a cluster, and a wrong key or no key "
          "cannot join and is counted",
          "[keys]") {
  runtime rt;
  auto keyed = node_config().with_cluster_key(key_of(1));
  auto a = cluster_membership::start(rt.system(), keyed);
  auto b = cluster_membership::start(rt.system(), keyed);
  auto wrong = cluster_membership::start(rt.system(),
                                         node_config().with_cluster_key(key_of(2)).with_join_timeout(1500ms));
  auto plain = cluster_membership::start(rt.system(), node_config().with_join_timeout(1500ms));
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(wrong);
  REQUIRE(plain);
  auto seed = a->local_member().address;
  REQUIRE_FALSE(b->join({seed}));
  CHECK(sees_alive(*a, b->local_node_id()));
  auto err = wrong->join({seed});
  CHECK(err);
  CHECK(code_of(err) == error::timeout);
  CHECK(plain->join({seed}));
  auto stats = a->stats();
  CHECK(stats.rejected_unauthenticated >= 2);
  CHECK(a->members().size() == 2);
}

TEST_CASE("a cluster key is rotated on a running cluster without losing a member",
          "[keys]") {
  runtime rt;
  auto old_key = key_of(1);
  auto new_key = key_of(2);
  auto a = cluster_membership::start(rt.system(), node_config().with_cluster_key(old_key));
  auto b = cluster_membership::start(rt.system(), node_config().with_cluster_key(old_key));
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE_FALSE(b->join({a->local_member().address}));
  // Install everywhere, use everywhere, remove everywhere.
  REQUIRE_FALSE(a->install_key(new_key));
  REQUIRE_FALSE(b->install_key(new_key));
  REQUIRE_FALSE(a->use_key(new_key));
  REQUIRE_FALSE(a->set_tag("phase", "a-uses-new"));
  CHECK(eventually([&] {
    for (const auto& m : b->members())
      if (m.id == a->local_node_id() && m.tags.count("phase") == 1)
        return true;
    return false;
  }, 10s));
  REQUIRE_FALSE(b->use_key(new_key));
  CHECK(a->remove_key(new_key)); // the key in use stays
  REQUIRE_FALSE(a->remove_key(old_key));
  REQUIRE_FALSE(b->remove_key(old_key));
  REQUIRE_FALSE(b->set_tag("phase", "old-key-gone"));
  CHECK(eventually([&] {
    for (const auto& m : a->members())
      if (m.id == b->local_node_id() && m.tags.count("phase") == 1
          && m.tags.at("phase") == "old-key-gone")
        return true;
    return false;
  }, 10s));
  CHECK(sees_alive(*a, b->local_node_id()));
  CHECK(sees_alive(*b, a->local_node_id()));
  // A node that still has only the old key is locked out now.
  auto stale = cluster_membership::start(
    rt.system(), node_config().with_cluster_key(old_key).with_join_timeout(1500ms));
  REQUIRE(stale);
  CHECK(stale->join({a->local_member().address}));
}

// -- an unsealed node beyond loopback -------------------------------------------

TEST_CASE("membership without a cluster key on a non-loopback address warns in the log, and "
          "on loopback or with a key it does not",
          "[unsealed_warning]") {
  std::mutex mtx;
  std::vector<std::string> warnings;
  set_log_handler([&](log_level level, const std::string& line) {
    std::lock_guard<std::mutex> guard{mtx};
    if (level == log_level::warn)
      warnings.push_back(line);
  });
  auto count = [&] {
    std::lock_guard<std::mutex> guard{mtx};
    return warnings.size();
  };
  runtime rt;
  {
    auto local = cluster_membership::start(rt.system(), node_config());
    REQUIRE(local);
  }
  CHECK(count() == 0);
  {
    auto sealed = cluster_membership::start(
      rt.system(), node_config().with_advertise_address("10.77.0.2:7946").with_cluster_key(key_of(3)));
    REQUIRE(sealed);
  }
  CHECK(count() == 0);
  {
    auto open = cluster_membership::start(
      rt.system(), node_config().with_advertise_address("10.77.0.2:7946"));
    REQUIRE(open);
  }
  REQUIRE(count() == 1);
  CHECK(warnings[0].find("without a cluster key") != std::string::npos);
  CHECK(warnings[0].find("10.77.0.2:7946") != std::string::npos);
  set_log_handler({});
}
