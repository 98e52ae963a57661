// Fuzzes a running director's UDP port from outside, as anyone on its
// network could, for a minute (RPCNET_GOSSIP_FUZZ_SECONDS): random,
// truncated, oversized, bit-flipped and replayed datagrams whose first byte
// is in gossip's range (0x00-0x3F: the transport hands them to gossip), and
// QUIC-looking ones, long-header (Initial-like) and short-header, which the
// transport keeps. Mutations start from real gossip -- what the codec
// encodes with the cluster's own ids and addresses, and what the nodes
// themselves sent the attacker -- in three layers: the plaintext mutated,
// the plaintext mutated and then sealed with the cluster key (the only way
// past a sealed node's key ring into its decoder), and the sealed bytes
// mutated. A director and two workers run as `rpcnet` processes, sealed as
// the CLI seals by default, and once with --insecure-gossip. Throughout,
// the director stays up and it and both workers see all three alive. Its
// resident memory after a warm-up and at the end differ by less than a
// bound, and the forged Initials' half-open connections end. Its
// rpcnet_gossip_datagrams_refused_total counts each gossip datagram under
// the reason the key ring and the codec predict for it, and what got
// through to the SWIM core is refused there as a stranger's claims.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <rpcnet/transport/aead_keyring.hpp>

#include "encoded_gossip.hpp"
#include "eventually.hpp"
#include "http_get.hpp"
#include "join_token.hpp"
#include "quic_initial_forge.hpp"
#include "resident_memory.hpp"
#include "rpcnet_processes.hpp"
#include "scraped_metrics.hpp"
#include "udp_socket.hpp"

using namespace std::chrono_literals;
using namespace rpcnet;
using namespace rpcnet::test;
using clock_type = std::chrono::steady_clock;

namespace {

// -- settings -------------------------------------------------------------------

/// A minute of fuzz. CTest's 120 s per test leaves room for the cluster's
/// start and the checks after it; a longer run is for a developer's shell.
constexpr double default_fuzz_seconds = 60;

/// The pace, 400 datagrams a second: far below what the director's gossip
/// backlog (cluster_config::max_pending_datagrams) absorbs, so that every
/// datagram is judged and the counters can be compared with the
/// predictions one for one. A flood is gossip_security_test's business.
constexpr int datagrams_per_tick = 4;
constexpr auto tick = 10ms;

/// Memory is first read after this much fuzzing (a quarter of a shorter
/// run): by then the allocator's pools, the replay corpus and the
/// half-open connections of forged Initials (each lives up to the 5 s
/// handshake timeout) have reached their steady size.
constexpr auto warm_up = 10s;

/// What the director's resident memory may grow by from the end of the
/// warm-up to the end of the fuzz. Measured: 0.3 to 1.0 MiB over a minute,
/// 0.6 MiB over four; a leak of one forged Initial's connection state, or
/// of every gossip datagram's bytes, is several times the bound. The
/// director is built as this test is: under AddressSanitizer (whose
/// quarantine MEASURES_MEMORY keeps at 4 MiB, tests/CMakeLists.txt) its
/// allocator goes on growing its per-thread caches for some 40 s, by 6 to
/// 7 MiB in a minute's run and 8 MiB in three minutes', then levels off.
#ifdef __SANITIZE_ADDRESS__
constexpr uint64_t rss_growth_limit_kib = 16 * 1024;
#else
constexpr uint64_t rss_growth_limit_kib = 4 * 1024;
#endif

/// Datagrams longer than this never reach gossip: the transport's receive
/// buffers (endpoint.cpp, max_datagram) cut them, and it drops what was cut.
constexpr size_t receive_buffer_size = 2048;

/// Datagrams the nodes sent the attacker kept for replay (and, opened, as
/// plaintext to mutate), the oldest replaced first.
constexpr size_t max_captured = 64;

std::chrono::duration<double> fuzz_duration() {
  const char* text = std::getenv("RPCNET_GOSSIP_FUZZ_SECONDS");
  if (text == nullptr || *text == '\0')
    return std::chrono::duration<double>{default_fuzz_seconds};
  char* end = nullptr;
  double seconds = std::strtod(text, &end);
  INFO("RPCNET_GOSSIP_FUZZ_SECONDS=" << text << " is not a number of seconds above 0");
  REQUIRE((*end == '\0' && seconds > 0));
  return std::chrono::duration<double>{seconds};
}

/// RPCNET_GOSSIP_FUZZ_SEED replays the bytes of a printed run (not their
/// timing, nor the connection IDs of forged Initials).
uint64_t fuzz_seed() {
  if (const char* text = std::getenv("RPCNET_GOSSIP_FUZZ_SEED"))
    return std::strtoull(text, nullptr, 10);
  return (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
}

// -- what is sent, and what becomes of it ----------------------------------------

enum class datagram_class : uint8_t {
  random,
  truncated,
  oversized,
  bit_flipped,
  replayed,
  quic_long_header,
  quic_short_header,
};
constexpr size_t class_count = 7;
constexpr std::array<const char*, class_count> class_names{
  "random", "truncated", "oversized", "bit-flipped", "replayed", "QUIC long header",
  "QUIC short header"};
/// How often each class is drawn, in the order above.
constexpr std::array<double, class_count> class_weights{15, 15, 5, 30, 10, 15, 10};

/// What the director does with a datagram: leaves it to the transport
/// (QUIC's, or cut by the receive buffer), refuses it as gossip for one of
/// three reasons, or takes it to the SWIM core.
enum class fate : uint8_t { transport, unauthenticated, malformed, forged, accepted };
constexpr size_t fate_count = 5;
constexpr std::array<const char*, fate_count> fate_names{
  "transport", "unauthenticated", "malformed", "forged", "accepted"};

/// The fate of a datagram by the rules the director follows: the
/// transport's if it is longer than the receive buffer or unless both top
/// bits of its first byte are clear (endpoint.cpp, route; a random
/// connection ID that is one of the director's is left out as impossible);
/// then, with a cluster key, unauthenticated unless the key
/// opens it, and without one, unauthenticated if it is sealed (the
/// membership actor's accept); then malformed unless the codec decodes it,
/// forged if it claims to come from the director itself.
class fate_judge {
public:
  fate_judge(const aead_keyring* cluster_ring, node_id director)
    : ring_(cluster_ring), director_(director) {
  }

  fate operator()(const byte_buffer& bytes) const {
    if (bytes.empty() || bytes.size() > receive_buffer_size || (bytes[0] & 0xC0) != 0)
      return fate::transport;
    bool sealed = bytes[0] == aead_keyring::envelope_magic;
    if (sealed != (ring_ != nullptr))
      return fate::unauthenticated;
    std::optional<byte_buffer> opened;
    if (sealed && bytes.size() <= gossip::max_datagram_size + aead_keyring::overhead)
      if (auto plain = ring_->open(bytes))
        opened = std::move(*plain);
    if (sealed && !opened)
      return fate::unauthenticated;
    auto dg = gossip::decode(opened ? *opened : bytes);
    if (!dg)
      return fate::malformed;
    return dg->sender == director_ ? fate::forged : fate::accepted;
  }

private:
  const aead_keyring* ring_;
  node_id director_;
};

// -- mutations --------------------------------------------------------------------

/// The classic byte-level mutations of coverage-guided fuzzers, on real
/// datagrams: flipped bits, boundary values over bytes and 16-bit lengths,
/// cuts, a chunk repeated, the tail of another datagram spliced on.
class mutator {
public:
  explicit mutator(uint64_t seed) : rng_(seed) {
  }

  std::mt19937_64& rng() noexcept {
    return rng_;
  }

  /// A number in [0, n); 0 for n = 0.
  size_t below(size_t n) {
    return n == 0 ? 0 : static_cast<size_t>(rng_() % n);
  }

  bool one_in(size_t n) {
    return below(n) == 0;
  }

  uint8_t byte() {
    return static_cast<uint8_t>(rng_());
  }

  byte_buffer random_bytes(size_t size) {
    byte_buffer out(size);
    for (auto& b : out)
      b = byte();
    return out;
  }

  /// `size` bytes or less, never none.
  void cut(byte_buffer& bytes, size_t size) {
    bytes.resize(std::max<size_t>(1, std::min(size, bytes.size())));
  }

  /// A cut anywhere, never to nothing.
  void cut_anywhere(byte_buffer& bytes) {
    cut(bytes, 1 + below(bytes.size()));
  }

  /// Random bytes appended up to `size`, or a chunk repeated in between.
  void grow_to(byte_buffer& bytes, size_t size) {
    while (bytes.size() < size) {
      auto at = below(bytes.size());
      auto len = std::min(1 + below(bytes.size() - at), size - bytes.size());
      if (bytes.empty() || one_in(2)) {
        bytes.insert(bytes.end(), len, byte());
      } else {
        byte_buffer chunk(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                          bytes.begin() + static_cast<std::ptrdiff_t>(at + len));
        bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(below(bytes.size())),
                     chunk.begin(), chunk.end());
      }
    }
  }

  /// One to four mutations, each of any kind, splicing from `other`.
  void scramble(byte_buffer& bytes, const byte_buffer& other) {
    static constexpr std::array<uint8_t, 6> boundaries{0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff};
    for (auto n = 1 + below(4); n > 0; --n) {
      auto at = below(bytes.size());
      switch (below(5)) {
        case 0:
          bytes[at] ^= static_cast<uint8_t>(1u << below(8));
          break;
        case 1:
          bytes[at] = boundaries[below(boundaries.size())];
          break;
        case 2: // a 16-bit length claiming all there is, or one byte more
          if (at + 1 < bytes.size()) {
            auto value = one_in(2) ? 0xffffu : ((unsigned{bytes[at]} << 8) | bytes[at + 1]) + 1;
            bytes[at] = static_cast<uint8_t>(value >> 8);
            bytes[at + 1] = static_cast<uint8_t>(value);
          }
          break;
        case 3:
          grow_to(bytes, bytes.size() + 1 + below(64));
          break;
        default: {
          auto from = below(other.size());
          bytes.resize(at);
          bytes.insert(bytes.end(), other.begin() + static_cast<std::ptrdiff_t>(from),
                       other.end());
          if (bytes.empty())
            bytes.push_back(byte());
        }
      }
    }
  }

private:
  std::mt19937_64 rng_;
};

// -- real gossip --------------------------------------------------------------------

/// Who is in the cluster, as the attacker learnt it.
struct cluster_view {
  node_id director;
  std::vector<member> nodes; // the director first
  std::string attacker_address;
};

/// Real gossip of every message kind with the cluster's own ids and
/// addresses, as a member or a stranger would send it: what mutations
/// start from, so that they get past the header into every message's body.
std::vector<byte_buffer> encoded_gossip(const cluster_view& view, mutator& m) {
  auto director = view.nodes.at(0);
  auto a = view.nodes.at(1);
  auto b = view.nodes.at(2);
  auto stranger = node_id::random(m.rng());
  auto state = view.nodes;
  state.push_back(member{stranger, view.attacker_address, 0, member_state::alive,
                         {{"role", "worker"}, {"label", "stranger"}}});
  std::sort(state.begin(), state.end(),
            [](const member& x, const member& y) { return x.id < y.id; });
  std::vector<gossip::datagram> dgs{
    {stranger, {gossip::ping{1, director.id}}},
    {stranger, {gossip::ping_req{2, a.id}}},
    {b.id, {gossip::ack{3}}},
    {a.id, {gossip::nack{4}}},
    {a.id, {gossip::alive{a.id, a.incarnation + 1, a.address, a.tags}}},
    {stranger, {gossip::alive{stranger, 0, view.attacker_address, {{"role", "worker"}}}}},
    {a.id, {gossip::suspect{b.id, b.incarnation, a.id}}},
    {b.id, {gossip::dead{a.id, a.incarnation, b.id}}},
    {b.id, {gossip::leave{b.id, b.incarnation}}},
    {a.id, {gossip::suspect{director.id, director.incarnation, a.id}}},
    {stranger, {gossip::push_pull{true, node_id::min(), node_id::max(), state}}},
    {a.id,
     {gossip::ping{5, director.id}, gossip::alive{b.id, b.incarnation, b.address, b.tags},
      gossip::suspect{b.id, b.incarnation, a.id}, gossip::ack{6}}},
    {director.id, {gossip::ping{7, director.id}}},
  };
  std::vector<byte_buffer> out;
  for (const auto& dg : dgs)
    out.push_back(encoded(dg));
  return out;
}

/// Up to max_captured datagrams, a new one replacing the oldest.
struct datagram_pool {
  std::vector<byte_buffer> items;
  size_t next = 0;

  void add(byte_buffer bytes) {
    if (items.size() < max_captured)
      items.push_back(std::move(bytes));
    else
      items[next++ % max_captured] = std::move(bytes);
  }
};

/// The real gossip mutations start from: the codec's, and what the nodes
/// sent the attacker, kept as it came for replay and, opened when the
/// attacker holds the key, as more plaintext.
class gossip_corpus {
public:
  explicit gossip_corpus(const aead_keyring* cluster_ring) : ring_(cluster_ring) {
  }

  void add_encoded(std::vector<byte_buffer> plain) {
    encoded_.insert(encoded_.end(), plain.begin(), plain.end());
  }

  /// Keeps `bytes` if it is gossip (QUIC answers to forged Initials are not).
  void capture(byte_buffer bytes) {
    if (bytes.empty() || (bytes[0] != gossip::magic && bytes[0] != aead_keyring::envelope_magic))
      return;
    if (bytes[0] == gossip::magic)
      heard_.add(bytes);
    else if (ring_)
      if (auto opened = ring_->open(bytes))
        heard_.add(std::move(*opened));
    captured_.add(std::move(bytes));
    ++captures_;
  }

  const byte_buffer& plain(mutator& m) const {
    auto n = m.below(encoded_.size() + heard_.items.size());
    return n < encoded_.size() ? encoded_[n] : heard_.items[n - encoded_.size()];
  }

  const byte_buffer& captured(mutator& m) const {
    return captured_.items[m.below(captured_.items.size())];
  }

  size_t captures() const noexcept {
    return captures_;
  }

private:
  const aead_keyring* ring_;
  std::vector<byte_buffer> encoded_;
  /// The plaintext of what the nodes sent.
  datagram_pool heard_;
  /// What the nodes sent, as it came.
  datagram_pool captured_;
  size_t captures_ = 0;
};

/// Makes each class's datagrams. `sealer` seals: the cluster's key ring,
/// or, for a cluster without a key, a stranger's.
class datagram_factory {
public:
  datagram_factory(const gossip_corpus& corpus, const aead_keyring& sealer, mutator& m)
    : corpus_(corpus), sealer_(sealer), m_(m) {
  }

  byte_buffer make(datagram_class c) {
    switch (c) {
      case datagram_class::random:
        return random_gossip();
      case datagram_class::truncated:
        return layered([this](byte_buffer& b) { m_.cut_anywhere(b); });
      case datagram_class::oversized:
        return layered([this](byte_buffer& b) { m_.grow_to(b, oversize()); });
      case datagram_class::bit_flipped:
        return layered([this](byte_buffer& b) { m_.scramble(b, corpus_.plain(m_)); });
      case datagram_class::replayed:
        return corpus_.captured(m_);
      case datagram_class::quic_long_header:
        return quic_long_header();
      case datagram_class::quic_short_header:
        return quic_short_header();
    }
    FAIL("no such datagram class");
    return {};
  }

private:
  byte_buffer sealed(const byte_buffer& plain) {
    auto bytes = sealer_.seal(plain);
    REQUIRE(bytes);
    return std::move(*bytes);
  }

  /// A real datagram mutated in one of three layers: the plaintext, sent
  /// as it is; the plaintext, then sealed (only this reaches a sealed
  /// node's decoder); or the sealed bytes (what its key ring must refuse).
  template <class Mutation>
  byte_buffer layered(Mutation mutate) {
    auto bytes = corpus_.plain(m_);
    switch (m_.below(3)) {
      case 0:
        mutate(bytes);
        return bytes;
      case 1:
        mutate(bytes);
        return sealed(bytes);
      default:
        bytes = sealed(bytes);
        mutate(bytes);
        return bytes;
    }
  }

  /// Beyond gossip's 1400 bytes: up to a sealed datagram's limit, up to
  /// the receive buffer, or past it.
  size_t oversize() {
    constexpr size_t sealed_limit = gossip::max_datagram_size + aead_keyring::overhead;
    switch (m_.below(3)) {
      case 0:
        return gossip::max_datagram_size + 1 + m_.below(aead_keyring::overhead);
      case 1:
        return sealed_limit + 1 + m_.below(receive_buffer_size - sealed_limit);
      default:
        return receive_buffer_size + 1 + m_.below(6000);
    }
  }

  /// Random bytes after a first byte in gossip's range, after the gossip
  /// header (so that the decoder reads them as messages), sealed behind
  /// it, or after the envelope's header with nothing sealed inside.
  byte_buffer random_gossip() {
    auto bytes = m_.random_bytes(1 + m_.below(gossip::max_datagram_size));
    switch (m_.below(4)) {
      case 0:
        bytes[0] &= 0x3F;
        return bytes;
      case 1:
      case 2:
        m_.grow_to(bytes, gossip::datagram_header_size + 1);
        bytes[0] = gossip::magic;
        bytes[1] = gossip::version;
        return m_.one_in(2) ? bytes : sealed(bytes);
      default:
        m_.grow_to(bytes, 2);
        bytes[0] = aead_keyring::envelope_magic;
        bytes[1] = aead_keyring::envelope_version;
        return bytes;
    }
  }

  /// Initial-like: an unknown version at a client Initial's size (which
  /// the transport answers with Version Negotiation), a forged Initial
  /// that opens a handshake the attacker never finishes, mutated ones, and
  /// random bytes behind a v1 long header.
  byte_buffer quic_long_header() {
    initial_header hd;
    hd.dcid = random_cid(8 + m_.below(13));
    hd.scid = random_cid(m_.below(21));
    switch (m_.below(8)) {
      case 0: {
        auto bytes = m_.random_bytes(1200 + m_.below(200));
        bytes[0] |= 0xC0;
        bytes[1] = 0x1a; // 0x?a?a?a?a: a version reserved for greasing
        bytes[2] = 0x2a;
        bytes[3] = 0x3a;
        bytes[4] = 0x4a;
        bytes[5] = static_cast<uint8_t>(hd.dcid.size());
        return bytes;
      }
      case 1:
        if (m_.one_in(10))
          return forge_client_initial(hd);
        [[fallthrough]];
      case 2:
      case 3:
      case 4:
      case 5: {
        auto forged = forge_client_initial(hd);
        auto bytes = forged;
        if (m_.one_in(4))
          m_.cut_anywhere(bytes);
        else
          m_.scramble(bytes, forged);
        return bytes;
      }
      default: {
        auto bytes = m_.random_bytes(7 + m_.below(1400));
        bytes[0] |= 0xC0;
        bytes[1] = bytes[2] = bytes[3] = 0;
        bytes[4] = 1;
        bytes[5] = static_cast<uint8_t>(m_.below(24));
        return bytes;
      }
    }
  }

  /// A short header (fixed bit set) with a connection ID of the length
  /// rpcnet issues, none of them the director's.
  byte_buffer quic_short_header() {
    auto bytes = m_.random_bytes(1 + 16 + 1 + m_.below(1400));
    bytes[0] = static_cast<uint8_t>(0x40 | (bytes[0] & 0x3F));
    return bytes;
  }

  const gossip_corpus& corpus_;
  const aead_keyring& sealer_;
  mutator& m_;
};

// -- the cluster ----------------------------------------------------------------------

/// The admin address `node` logged it serves on.
socket_address admin_address(child_process& node) {
  auto addr = socket_address::parse(
    loopback(logged_port(node, "admin HTTP at http://127.0.0.1:")));
  REQUIRE(addr);
  return *addr;
}

double members_in(const scraped_metrics& page, const char* state) {
  return page.value("rpcnet_members", {{"state", state}}).value_or(-1);
}

/// Datagrams the kernel dropped for want of room in the receive buffer of
/// the UDP socket on port `port` (the drops column of /proc/net/udp): what
/// the director's counts may lack through no fault of its own.
uint64_t kernel_drops(uint16_t port) {
  std::ifstream table{"/proc/net/udp"};
  std::string line;
  std::getline(table, line); // the column names
  uint64_t drops = 0;
  while (std::getline(table, line)) {
    std::istringstream in{line};
    std::vector<std::string> fields{std::istream_iterator<std::string>{in}, {}};
    auto colon = fields.size() > 2 ? fields[1].find(':') : std::string::npos;
    if (colon != std::string::npos && std::stoul(fields[1].substr(colon + 1), nullptr, 16) == port)
      drops += std::stoull(fields.back());
  }
  return drops;
}

/// A director and worker-a and worker-b, joined, each with an admin
/// address, and the key ring of the cluster key when there is one.
struct running_cluster {
  test_cluster cluster;
  std::vector<std::string> labels{"director", "worker-a", "worker-b"};
  std::vector<socket_address> admins;
  std::optional<aead_keyring> ring;

  explicit running_cluster(cluster_keying keying) : cluster(keying) {
    admins.push_back(admin_address(cluster.start_director({"--metrics-address", "127.0.0.1:0"})));
    for (size_t i = 1; i < labels.size(); ++i) {
      admins.push_back(
        admin_address(cluster.start_worker(labels[i], {"--metrics-address", "127.0.0.1:0"})));
      INFO("the director did not see " << labels[i] << " join");
      REQUIRE(wait_for_text(cluster.director(), "cluster event joined: " + labels[i] + " ", 20s));
    }
    for (size_t i = 0; i < admins.size(); ++i) {
      INFO(labels[i] << " did not see all three alive within 20 s");
      REQUIRE(eventually([&] { return members_in(scrape(admins[i]), "alive") == 3; }, 20s));
    }
    if (keying == cluster_keying::printed_token) {
      auto token = cli::parse_join_token(cluster.token());
      REQUIRE(token);
      auto made = aead_keyring::make(token->key);
      REQUIRE(made);
      ring = std::move(*made);
    }
  }

  std::string address_of(size_t node) const {
    return node == 0 ? cluster.director_addr() : cluster.address_of(labels[node]);
  }
};

/// Asks every node for its state as a stranger at the attacker's address.
/// A node answers a stranger only after pinging its address
/// (hostile_gossip_test), and that ping -- sealed as the cluster seals --
/// is a real datagram of the node's, with its id as the sender. Then pings
/// each node as a stranger, whose ack is another. Every datagram is kept.
cluster_view learn_cluster(running_cluster& rc, udp_socket& attacker, gossip_corpus& corpus,
                           mutator& m) {
  cluster_view view;
  view.attacker_address = attacker.local_address().to_string();
  auto send = [&](size_t node, const gossip::datagram& dg) {
    auto bytes = encoded(dg);
    if (rc.ring) {
      auto sealed = rc.ring->seal(bytes);
      REQUIRE(sealed);
      bytes = std::move(*sealed);
    }
    auto to = socket_address::parse(rc.address_of(node));
    REQUIRE(to);
    REQUIRE(attacker.send_to(*to, bytes));
  };
  auto stranger = node_id::random(m.rng());
  member self{stranger, view.attacker_address, 0, member_state::alive, {}};
  for (size_t node = 0; node < rc.labels.size(); ++node)
    send(node, {stranger, {gossip::push_pull{true, node_id::min(), node_id::max(), {self}}}});
  std::map<std::string, node_id> heard;
  auto deadline = clock_type::now() + 10s;
  while (heard.size() < rc.labels.size() && clock_type::now() < deadline) {
    auto reply = attacker.receive(100ms);
    if (!reply)
      continue;
    byte_buffer plain = reply->data;
    if (rc.ring) {
      auto opened = rc.ring->open(reply->data);
      if (!opened)
        continue;
      plain = std::move(*opened);
    }
    if (auto dg = gossip::decode(plain))
      heard.emplace(reply->from.to_string(), dg->sender);
    corpus.capture(std::move(reply->data));
  }
  for (size_t node = 0; node < rc.labels.size(); ++node) {
    auto it = heard.find(rc.address_of(node));
    INFO(rc.labels[node] << " at " << rc.address_of(node)
                         << " sent nothing to a stranger that asked for its state");
    REQUIRE(it != heard.end());
    view.nodes.push_back(member{it->second, it->first, 0, member_state::alive,
                                {{"role", node == 0 ? "director" : "worker"},
                                 {"label", rc.labels[node]}}});
    send(node, {stranger, {gossip::ping{static_cast<uint32_t>(node + 1), it->second}}});
  }
  view.director = view.nodes[0].id;
  return view;
}

// -- watching it --------------------------------------------------------------------------

/// The counters a scrape of the director gives, by name.
struct director_counters {
  std::map<std::string, double> values;

  explicit director_counters(const scraped_metrics& page) {
    for (const char* reason : {"malformed", "unauthenticated", "forged", "backlog"})
      values[reason] = page.value("rpcnet_gossip_datagrams_refused_total", {{"reason", reason}})
                         .value_or(-1);
    values["gossip received"] = page.value("rpcnet_gossip_datagrams_received_total").value_or(-1);
    // The transport's series carry the endpoint's address as a label.
    values["transport dropped"] = page.sum("rpcnet_transport_datagrams_dropped_total");
    values["version negotiations"] = page.sum("rpcnet_transport_version_negotiations_total");
    values["connections open"] = page.sum("rpcnet_transport_connections_open");
    values["suspicions"] = page.value("rpcnet_gossip_suspicions_total").value_or(-1);
    values["claims refused"] = page.value("rpcnet_gossip_claims_refused_total").value_or(-1);
  }

  double operator[](const std::string& name) const {
    return values.at(name);
  }
};

/// Everything `node` printed (stdout and stderr), for failure messages.
std::string output_of(child_process& node) {
  node.drain();
  std::string said;
  for (const auto& line : node.lines())
    said += line + "\n";
  return said;
}

/// What the nodes said of each other, sampled once a second.
struct cluster_watch {
  size_t samples = 0;
  /// Each time a node did not see all three alive.
  std::vector<std::string> lapses;
  uint64_t peak_rss_kib = 0;

  /// Fails at once if the director is gone.
  void sample(running_cluster& rc) {
    auto& director = rc.cluster.director();
    if (auto status = director.wait_exit(0ms))
      FAIL("the director ended (status " << *status << ") while fuzzed; it said:\n"
                                          << output_of(director));
    peak_rss_kib = std::max(peak_rss_kib, resident_kib(director.pid()));
    ++samples;
    for (size_t i = 0; i < rc.admins.size(); ++i) {
      auto page = scrape(rc.admins[i]);
      auto count = [&](const char* state) {
        return std::to_string(static_cast<int>(members_in(page, state))) + " " + state;
      };
      if (members_in(page, "alive") != 3)
        lapses.push_back("sample " + std::to_string(samples) + ": " + rc.labels[i] + " sees "
                         + count("alive") + ", " + count("suspect") + ", " + count("dead"));
    }
    // Reading their output also keeps the nodes from blocking on a full pipe.
    for (size_t i = 1; i < rc.labels.size(); ++i)
      rc.cluster.worker(rc.labels[i]).drain();
    director.drain();
  }
};

std::string mib(uint64_t kib) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << static_cast<double>(kib) / 1024.0 << " MiB";
  return out.str();
}

// -- the fuzz -----------------------------------------------------------------------------

/// What the fuzz sent, by class and by the fate predicted for it.
struct fuzz_tally {
  std::array<std::array<uint64_t, fate_count>, class_count> sent{};
  std::array<uint64_t, fate_count> predicted{};
  /// Datagrams the kernel would not send (never judged).
  uint64_t unsent = 0;
  double seconds = 0;
  uint64_t rss_after_warm_up_kib = 0;

  double expected(fate f) const {
    return static_cast<double>(predicted[static_cast<size_t>(f)]);
  }
};

/// Sends datagrams of every class at the director at a steady pace for
/// `duration`, capturing what the nodes send back, and samples the cluster
/// once a second.
fuzz_tally fuzz(running_cluster& rc, udp_socket& attacker, gossip_corpus& corpus,
                datagram_factory& factory, const fate_judge& judge, mutator& m,
                cluster_watch& watch, std::chrono::duration<double> duration) {
  auto to = socket_address::parse(rc.cluster.director_addr());
  REQUIRE(to);
  auto pid = rc.cluster.director().pid();
  fuzz_tally tally;
  std::discrete_distribution<size_t> pick{class_weights.begin(), class_weights.end()};
  auto start = clock_type::now();
  auto end = start + std::chrono::duration_cast<clock_type::duration>(duration);
  auto warm_up_end
    = start + std::chrono::duration_cast<clock_type::duration>(
                std::min(std::chrono::duration<double>{warm_up}, duration / 4));
  auto next_tick = start;
  auto next_sample = start;
  while (clock_type::now() < end) {
    for (int i = 0; i < datagrams_per_tick; ++i) {
      auto c = pick(m.rng());
      auto bytes = factory.make(static_cast<datagram_class>(c));
      auto f = static_cast<size_t>(judge(bytes));
      if (!attacker.send_to(*to, bytes)) {
        ++tally.unsent;
        continue;
      }
      ++tally.sent[c][f];
      ++tally.predicted[f];
    }
    while (auto reply = attacker.receive(0ms))
      corpus.capture(std::move(reply->data));
    auto now = clock_type::now();
    if (now >= next_sample) {
      watch.sample(rc);
      next_sample += 1s;
    }
    if (tally.rss_after_warm_up_kib == 0 && now >= warm_up_end)
      tally.rss_after_warm_up_kib = resident_kib(pid);
    // After a stall (a scrape, the machine's load) the pace resumes rather
    // than catching up in a burst.
    next_tick = std::max(next_tick + tick, clock_type::now() - 5 * tick);
    std::this_thread::sleep_until(next_tick);
  }
  tally.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  return tally;
}

/// The figures of a run, for the test's log.
void report(std::ostream& out, const char* cluster_kind, uint64_t seed,
            const gossip_corpus& corpus, const fuzz_tally& tally, uint64_t lost,
            const director_counters& before, const director_counters& after,
            uint64_t rss_end_kib, const cluster_watch& watch) {
  out << "gossip fuzz of a " << cluster_kind << " director for " << std::fixed
      << std::setprecision(1) << tally.seconds << " s (seed " << seed << ", "
      << corpus.captures() << " datagrams captured from the nodes)\n  " << std::setw(18)
      << std::left << "class" << std::right << std::setw(8) << "sent";
  for (auto name : fate_names)
    out << std::setw(16) << name;
  out << "\n";
  uint64_t total = 0;
  for (size_t c = 0; c < class_count; ++c) {
    uint64_t n = 0;
    for (auto x : tally.sent[c])
      n += x;
    total += n;
    out << "  " << std::setw(18) << std::left << class_names[c] << std::right << std::setw(8)
        << n;
    for (auto x : tally.sent[c])
      out << std::setw(16) << x;
    out << "\n";
  }
  out << "  " << total << " sent, " << tally.unsent << " refused by the kernel, " << lost
      << " dropped by it at the director's socket\n"
      << "  the director's counters, before -> after (predicted rise):\n";
  for (const auto& [name, value] : before.values) {
    out << "    " << std::setw(22) << std::left << name << std::right << std::setprecision(0)
        << value << " -> " << after[name];
    for (size_t f = 0; f < fate_count; ++f)
      if (name == fate_names[f])
        out << " (+" << tally.predicted[f] << ")";
    out << "\n";
  }
  out << "  director VmRSS " << mib(tally.rss_after_warm_up_kib) << " after the warm-up, "
      << mib(rss_end_kib) << " at the end (peak " << mib(watch.peak_rss_kib) << ", bound +"
      << mib(rss_growth_limit_kib) << ")\n"
      << "  " << watch.samples << " samples of three nodes' members, " << watch.lapses.size()
      << " with a node not seeing all three alive\n"
      << std::flush;
}

void fuzz_the_director(cluster_keying keying) {
  auto duration = fuzz_duration();
  auto seed = fuzz_seed();
  running_cluster rc{keying};
  const aead_keyring* cluster_ring = rc.ring ? &*rc.ring : nullptr;
  auto stranger_ring = aead_keyring::make(aead_keyring::key(32, 0x5a));
  REQUIRE(stranger_ring);
  mutator m{seed};
  udp_socket attacker;
  gossip_corpus corpus{cluster_ring};
  auto view = learn_cluster(rc, attacker, corpus, m);
  corpus.add_encoded(encoded_gossip(view, m));
  datagram_factory factory{corpus, cluster_ring ? *cluster_ring : *stranger_ring, m};
  fate_judge judge{cluster_ring, view.director};
  auto& director = rc.cluster.director();
  auto director_address = socket_address::parse(rc.cluster.director_addr());
  REQUIRE(director_address);
  auto port = director_address->port();
  director_counters before{scrape(rc.admins[0])};
  auto drops_before = kernel_drops(port);
  cluster_watch watch;

  auto tally = fuzz(rc, attacker, corpus, factory, judge, m, watch, duration);

  // Every gossip datagram sent is judged once the director has read them
  // all, and the forged Initials' half-open connections are gone once
  // their handshake timeout (5 s) has passed.
  uint64_t lost = 0;
  std::optional<director_counters> after;
  auto rise = [&](const char* name) { return (*after)[name] - before[name]; };
  auto settled = [&] {
    after.emplace(scrape(rc.admins[0]));
    lost = kernel_drops(port) - drops_before;
    auto lost_at_most = static_cast<double>(lost);
    return rise("unauthenticated") + lost_at_most >= tally.expected(fate::unauthenticated)
           && rise("malformed") + lost_at_most >= tally.expected(fate::malformed)
           && (*after)["connections open"] <= before["connections open"];
  };
  eventually(settled, 30s);
  watch.sample(rc);
  auto rss_end = resident_kib(director.pid());
  report(std::cout, cluster_ring ? "sealed" : "--insecure-gossip", seed, corpus, tally, lost,
         before, *after, rss_end, watch);

  // -- the node stayed up, and so did its members --
  CHECK_FALSE(director.wait_exit(0ms).has_value());
  for (const auto& lapse : watch.lapses)
    UNSCOPED_INFO(lapse);
  CHECK(watch.lapses.empty());
  CHECK(count_text(director, "cluster event failed") == 0);
  CHECK(count_text(director, "cluster event left") == 0);
  for (size_t i = 1; i < rc.labels.size(); ++i)
    CHECK(count_text(rc.cluster.worker(rc.labels[i]), "is gone, joining again") == 0);
  {
    INFO("the director's pool did not list both workers as available after the fuzz");
    CHECK(rc.cluster.wait_for_pool(2, 5s, director.lines().size()));
  }

  // -- its memory stayed flat --
  REQUIRE(tally.rss_after_warm_up_kib > 0);
  CHECK(rss_end < tally.rss_after_warm_up_kib + rss_growth_limit_kib);
  {
    INFO("half-open connections of forged Initials outlived their handshake timeout");
    CHECK((*after)["connections open"] <= before["connections open"]);
  }

  // -- and it refused every datagram it had to, for the reason predicted --
  {
    INFO("the fuzz is paced below the director's backlog, or the counts below cannot match");
    CHECK(rise("backlog") == 0);
  }
  CHECK(tally.expected(fate::unauthenticated) > 0);
  CHECK(tally.expected(fate::malformed) > 0);
  CHECK(tally.expected(fate::forged) > 0);
  // Exact unless the kernel dropped datagrams (of any kind) at the
  // director's socket.
  auto lost_at_most = static_cast<double>(lost);
  CHECK(rise("unauthenticated") <= tally.expected(fate::unauthenticated));
  CHECK(rise("unauthenticated") + lost_at_most >= tally.expected(fate::unauthenticated));
  CHECK(rise("malformed") <= tally.expected(fate::malformed));
  CHECK(rise("malformed") + lost_at_most >= tally.expected(fate::malformed));
  // More, not fewer: a mutated member announcement may name the director's
  // own address as a new member's, and the director then hears its own
  // ping to it.
  CHECK(rise("forged") + lost_at_most >= tally.expected(fate::forged));
  // What was accepted said what a stranger may not say about members.
  CHECK(rise("claims refused") > 0);
  CHECK(rise("transport dropped") > 0);
  CHECK(rise("version negotiations") > 0);

  // -- and it still stops cleanly: under AddressSanitizer, a leak found at
  // its exit would make the status LeakSanitizer's --
  director.kill(SIGTERM);
  auto status = director.wait_exit(30s);
  INFO("the director said:\n" << output_of(director));
  CHECK(status == 0);
}

} // namespace

TEST_CASE("a sealed director fuzzed from outside for a minute stays up, keeps its members "
          "alive and its memory flat, and counts every datagram it refuses by reason",
          "[fuzz]") {
  fuzz_the_director(cluster_keying::printed_token);
}

TEST_CASE("an --insecure-gossip director fuzzed from outside for a minute stays up, keeps its "
          "members alive and its memory flat, and counts every datagram it refuses by reason",
          "[fuzz]") {
  fuzz_the_director(cluster_keying::insecure);
}
