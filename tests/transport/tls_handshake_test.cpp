// Tests the TLS 1.3 handshake inside QUIC as a user meets it through
// rpc_server and rpc_client::connect: the development PKI connects; a server
// certificate from another CA, a client trusting only another CA and a
// certificate for another name are refused with error::tls; a plaintext UDP
// peer (answering garbage, or silent) makes connect fail with a connection
// error after the handshake timeout; and an independent QUIC implementation
// (Debian's gtlsclient, ALPN h3) is refused with TLS alert 120 while the
// server goes on serving.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <rpcnet/actors/rpc_client.hpp>
#include <rpcnet/actors/rpc_server.hpp>
#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/transport/error.hpp>

#include "echo_server.hpp"
#include "eventually.hpp"
#include "test_certs.hpp"
#include "udp_socket.hpp"

using namespace std::chrono_literals;
using rpcnet::error;
using rpcnet::rpc_client;
using rpcnet::test::echo_server;

namespace {

namespace fs = std::filesystem;

/// A directory that is removed with everything in it at scope exit.
class temp_dir {
public:
  temp_dir() {
    auto pattern = (fs::temp_directory_path() / "rpcnet-tls-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  std::string file(const std::string& name) const {
    return (path_ / name).string();
  }

private:
  fs::path path_;
};

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out{path};
  out << text;
  REQUIRE(out.good());
}

void run_certtool(const std::string& args) {
  auto cmd = "certtool " + args + " >/dev/null 2>&1";
  INFO("command: " << cmd);
  REQUIRE(std::system(cmd.c_str()) == 0);
}

/// A second, independent PKI made at test time: its own CA and a server
/// certificate for localhost/127.0.0.1 signed by it -- valid in every way
/// except that the development CA never signed it.
struct foreign_pki {
  explicit foreign_pki(const temp_dir& dir)
    : ca(dir.file("foreign_ca.pem")),
      cert(dir.file("foreign_server.pem")),
      key(dir.file("foreign_server_key.pem")) {
    auto ca_key = dir.file("foreign_ca_key.pem");
    write_file(dir.file("ca.tmpl"), "cn = \"foreign test CA\"\nserial = 7\n"
                                    "expiration_days = 2\nca\ncert_signing_key\n");
    write_file(dir.file("server.tmpl"),
               "cn = \"localhost\"\nserial = 8\nexpiration_days = 2\n"
               "dns_name = \"localhost\"\nip_address = \"127.0.0.1\"\n"
               "tls_www_server\nsigning_key\nencryption_key\n");
    auto keygen = "--generate-privkey --key-type=ecdsa --curve=secp256r1 --outfile ";
    run_certtool(keygen + ca_key);
    run_certtool("--generate-self-signed --load-privkey " + ca_key + " --template "
                 + dir.file("ca.tmpl") + " --outfile " + ca);
    run_certtool(keygen + key);
    run_certtool("--generate-certificate --load-privkey " + key + " --load-ca-certificate "
                 + ca + " --load-ca-privkey " + ca_key + " --template "
                 + dir.file("server.tmpl") + " --outfile " + cert);
  }

  std::string ca;
  std::string cert;
  std::string key;
};

/// Connects to `srv` with `cfg` and returns the error code, failing the
/// test if the connection succeeds.
error refusal_code(caf::actor_system& sys, const echo_server& srv, rpcnet::rpc_config cfg) {
  auto client = rpc_client::connect(sys, srv.address_text(), std::move(cfg));
  REQUIRE_FALSE(client);
  INFO("connect failed with: " << rpcnet::describe(client.error()));
  CHECK_FALSE(rpcnet::message_of(client.error()).empty());
  return rpcnet::code_of(client.error());
}

/// The server side of a refused handshake: it counted a failed handshake
/// and accepted no connection (no actor was ever spawned for the peer).
void require_server_refused_handshake(const echo_server& srv, uint64_t failed_before) {
  INFO("the server never counted the failed handshake");
  REQUIRE(rpcnet::test::eventually(
    [&] { return srv.stats().handshakes_failed > failed_before; }));
  CHECK(srv.stats().connections_accepted == 0);
}

// -- a UDP peer that is not a QUIC server ---------------------------------------

/// A plain UDP socket on 127.0.0.1 served by a thread: it counts datagrams
/// and either stays silent or answers each with garbage.
class plaintext_peer {
public:
  enum class mode { silent, garbage };

  explicit plaintext_peer(mode m) : mode_(m) {
    thread_ = std::thread{[this] { run(); }};
  }

  ~plaintext_peer() {
    stop_ = true;
    thread_.join();
  }

  plaintext_peer(const plaintext_peer&) = delete;
  plaintext_peer& operator=(const plaintext_peer&) = delete;

  std::string address() const {
    return sock_.local_address().to_string();
  }

  size_t datagrams_received() const {
    return received_;
  }

  size_t datagrams_sent() const {
    return sent_;
  }

private:
  void run() {
    while (!stop_) {
      // The timeout only bounds how long the destructor waits for the loop.
      auto in = sock_.receive(20ms);
      if (!in)
        continue;
      ++received_;
      if (mode_ == mode::garbage)
        answer_with_garbage(*in);
    }
  }

  void send_to(const rpcnet::socket_address& to, const rpcnet::byte_buffer& data) {
    if (sock_.send_to(to, data))
      ++sent_;
  }

  /// Three kinds of garbage per datagram: text, bytes with the QUIC fixed
  /// bit set, and a fake Initial addressed to the client's own connection
  /// ID (so it reaches its ngtcp2_conn) whose payload decrypts to nothing.
  void answer_with_garbage(const rpcnet::test::udp_socket::datagram& in) {
    send_to(in.from,
            rpcnet::to_bytes("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"));
    rpcnet::byte_buffer noise(1200);
    for (size_t i = 0; i < noise.size(); ++i)
      noise[i] = static_cast<uint8_t>(0x40 | (i * 37));
    send_to(in.from, noise);
    // Long header: flags, version (4), DCID length + DCID, SCID length + SCID.
    const auto& d = in.data;
    if (d.size() < 7 || !(d[0] & 0x80))
      return;
    size_t dcid_len = d[5];
    if (d.size() < 7 + dcid_len)
      return;
    size_t scid_len = d[6 + dcid_len];
    if (d.size() < 7 + dcid_len + scid_len)
      return;
    auto scid_begin = d.begin() + static_cast<ptrdiff_t>(7 + dcid_len);
    rpcnet::byte_buffer fake{0xC3, 0, 0, 0, 1, static_cast<uint8_t>(scid_len)};
    fake.insert(fake.end(), scid_begin, scid_begin + static_cast<ptrdiff_t>(scid_len));
    fake.push_back(8);
    for (uint8_t i = 0; i < 8; ++i)
      fake.push_back(static_cast<uint8_t>(0xA0 + i));
    fake.push_back(0);                  // token length
    fake.push_back(0x40 | (1100 >> 8)); // two-byte varint: 1100
    fake.push_back(1100 & 0xFF);
    fake.resize(fake.size() + 1100, 0x5A);
    send_to(in.from, fake);
  }

  mode mode_;
  rpcnet::test::udp_socket sock_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> received_{0};
  std::atomic<size_t> sent_{0};
  std::thread thread_;
};

/// Connects to a peer that is not a QUIC server with a 1 s handshake
/// timeout; checks that connect fails with a connection error (never tls,
/// never success) and within the timeout plus a little.
void require_connect_fails_against(plaintext_peer& peer) {
  rpcnet::runtime rt;
  auto cfg = rpcnet::test::client_config().with_handshake_timeout(1s);
  auto started = std::chrono::steady_clock::now();
  auto client = rpc_client::connect(rt.system(), peer.address(), cfg);
  auto elapsed = rpcnet::test::elapsed_ms(started);
  REQUIRE_FALSE(client);
  INFO("connect failed with: " << rpcnet::describe(client.error()) << " after " << elapsed
                               << " ms");
  CHECK(rpcnet::code_of(client.error()) == error::connection);
  // Bounded by the handshake timeout, not by connect()'s 5 s slack.
  CHECK(elapsed >= 900);
  CHECK(elapsed < 3000);
  CHECK(peer.datagrams_received() > 0);
}

// -- an independent QUIC client -------------------------------------------------

constexpr const char* gtlsclient_path = "/usr/bin/gtlsclient";

/// Runs gtlsclient (ngtcp2's example client over GnuTLS, HTTP/3 only, so it
/// offers ALPN h3) against `port`; returns everything it printed.
std::string run_gtlsclient(uint16_t port) {
  REQUIRE(fs::exists(gtlsclient_path)); // Debian package ngtcp2-client
  auto cmd = std::string{"timeout 10 "} + gtlsclient_path
             + " --timeout=3s --exit-on-first-stream-close --no-quic-dump --no-http-dump"
               " 127.0.0.1 "
             + std::to_string(port) + " https://localhost/ 2>&1";
  auto* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  std::array<char, 4096> buf;
  while (auto n = std::fread(buf.data(), 1, buf.size(), pipe))
    output.append(buf.data(), n);
  auto status = ::pclose(pipe);
  INFO("gtlsclient exit status " << status << ", output:\n" << output);
  // 124: `timeout` had to kill it -- the server left it hanging.
  REQUIRE(WEXITSTATUS(status) != 124);
  return output;
}

} // namespace

TEST_CASE("a client that trusts the development CA connects and calls echo", "[tls]") {
  rpcnet::runtime rt;
  echo_server srv{rt.system()};
  auto server_name = GENERATE(std::string{"localhost"}, std::string{"127.0.0.1"});
  INFO("server name " << server_name);
  auto client = rpcnet::test::require_connect(
    rt.system(), srv.address_text(), rpcnet::test::client_config().with_server_name(server_name));
  rpcnet::test::require_echo(client, "hello");
  CHECK(srv.stats().handshakes_failed == 0);
  CHECK(srv.stats().connections_accepted == 1);
}

TEST_CASE("a server whose certificate the CA did not sign is refused with a tls error",
          "[tls]") {
  temp_dir dir;
  foreign_pki pki{dir};
  rpcnet::runtime rt;
  echo_server srv{rt.system(), rpcnet::rpc_config{pki.cert, "127.0.0.1:0"}.with_key_path(
                                 pki.key)};
  CHECK(refusal_code(rt.system(), srv, rpcnet::test::client_config()) == error::tls);
  require_server_refused_handshake(srv, 0);
  // The same server is fine for a client that trusts its CA: the refusal
  // above was about trust, not a broken certificate.
  auto client = rpcnet::test::require_connect(rt.system(), srv.address_text(),
                                              rpcnet::test::client_config().with_ca_path(pki.ca));
  rpcnet::test::require_echo(client, "trusted now");
}

TEST_CASE("a client that trusts only another CA refuses the server with a tls error",
          "[tls]") {
  temp_dir dir;
  foreign_pki pki{dir};
  rpcnet::runtime rt;
  echo_server srv{rt.system()};
  auto cfg = rpcnet::test::client_config().with_ca_path(pki.ca);
  CHECK(refusal_code(rt.system(), srv, cfg) == error::tls);
  require_server_refused_handshake(srv, 0);
}

TEST_CASE("a certificate that does not name the server is refused with a tls error",
          "[tls]") {
  rpcnet::runtime rt;
  echo_server srv{rt.system()};
  // A DNS name, an IP address and a name that only starts like the real one.
  auto name = GENERATE(std::string{"not-localhost"}, std::string{"127.0.0.2"},
                       std::string{"localhost.example.com"});
  INFO("server name " << name);
  auto cfg = rpcnet::test::client_config().with_server_name(name);
  CHECK(refusal_code(rt.system(), srv, cfg) == error::tls);
  require_server_refused_handshake(srv, 0);
  CHECK(rpcnet::test::serves_a_normal_call(rt.system(), srv));
}

TEST_CASE("a plaintext peer that answers with garbage makes connect fail with a "
          "connection error",
          "[tls]") {
  plaintext_peer peer{plaintext_peer::mode::garbage};
  require_connect_fails_against(peer);
  CHECK(peer.datagrams_sent() > 0);
}

TEST_CASE("a silent peer makes connect fail with a connection error after the handshake "
          "timeout",
          "[tls]") {
  plaintext_peer peer{plaintext_peer::mode::silent};
  require_connect_fails_against(peer);
}

TEST_CASE("a QUIC client offering ALPN h3 is refused with TLS alert 120 and the server "
          "keeps serving",
          "[tls]") {
  rpcnet::runtime rt;
  echo_server srv{rt.system()};
  auto output = run_gtlsclient(srv.address().port());
  INFO("gtlsclient printed:\n" << output);
  // 0x178 = 0x100 + 120: the crypto error for TLS alert no_application_protocol.
  CHECK_THAT(output, Catch::Contains("CONNECTION_CLOSE") && Catch::Contains("0x178"));
  require_server_refused_handshake(srv, 0);
  CHECK(srv.stats().connections_open == 0);
  CHECK(rpcnet::test::serves_a_normal_call(rt.system(), srv));
}
