// Tests the peer-certificate parser on certificate files: the development
// client certificate reads as its subject and one entry of each
// subjectAltName kind; certificates built past every bound of peer_identity
// (make-identity-certs.sh) read as bounded, printable identities; bytes
// that are no certificate read as none; and an identity survives CAF's
// serialization.
#include <catch2/catch.hpp>

#include <gnutls/gnutls.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>

#include <rpcnet/transport/peer_identity.hpp>
#include <rpcnet/transport/utf8.hpp>

#include "peer_certificate.hpp"
#include "test_certs.hpp"

using rpcnet::certificate_identity;
using rpcnet::peer_identity;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  REQUIRE(in.good());
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

/// The DER bytes of the first certificate in a PEM file.
std::vector<unsigned char> der_of(const std::string& pem_path) {
  auto pem = read_file(pem_path);
  gnutls_datum_t in{reinterpret_cast<unsigned char*>(pem.data()),
                    static_cast<unsigned>(pem.size())};
  gnutls_datum_t out{nullptr, 0};
  REQUIRE(gnutls_pem_base64_decode2("CERTIFICATE", &in, &out) == 0);
  std::vector<unsigned char> der(out.data, out.data + out.size);
  gnutls_free(out.data);
  return der;
}

std::optional<peer_identity> identity_of(std::vector<unsigned char> der) {
  gnutls_datum_t datum{der.data(), static_cast<unsigned>(der.size())};
  return certificate_identity(datum);
}

std::optional<peer_identity> identity_of_file(const std::string& pem_path) {
  return identity_of(der_of(pem_path));
}

/// Every text of `id` within the bounds peer_identity promises.
void check_bounded(const peer_identity& id) {
  auto check_text = [](const std::string& text) {
    INFO("text: " << rpcnet::utf8::escaped(text.substr(0, 80)));
    CHECK(text.size() <= peer_identity::max_field_bytes);
    CHECK(rpcnet::utf8::is_printable(text));
  };
  check_text(id.subject);
  for (const auto* list : {&id.dns_names, &id.uris, &id.ip_addresses, &id.emails}) {
    CHECK(list->size() <= peer_identity::max_entries);
    for (const auto& text : *list)
      check_text(text);
  }
}

} // namespace

TEST_CASE("the development client certificate reads as its subject and one name of each "
          "kind",
          "[identity]") {
  auto id = identity_of_file(rpcnet::test::cert_file("client_cert.pem"));
  REQUIRE(id);
  CHECK(id->subject == "CN=rpcnet-client,O=rpcnet");
  CHECK(id->dns_names == std::vector<std::string>{"client.rpcnet.test"});
  CHECK(id->uris == std::vector<std::string>{"spiffe://rpcnet.test/client"});
  CHECK(id->ip_addresses == std::vector<std::string>{"127.0.0.1"});
  CHECK(id->emails == std::vector<std::string>{"client@rpcnet.test"});
}

TEST_CASE("a certificate past every bound reads as a bounded identity in the "
          "certificate's order",
          "[identity]") {
  auto id = identity_of_file(RPCNET_MANY_SANS_CERT);
  REQUIRE(id);
  check_bounded(*id);
  // A 1500-character common name: cut at the bound.
  CHECK(id->subject.size() == peer_identity::max_field_bytes);
  CHECK(id->subject.rfind("CN=nnnn", 0) == 0);
  // 100 DNS names: the first 64, the first of them cut at the bound.
  REQUIRE(id->dns_names.size() == peer_identity::max_entries);
  CHECK(id->dns_names[0] == std::string(peer_identity::max_field_bytes, 'd'));
  CHECK(id->dns_names[1] == "host1.rpcnet.test");
  CHECK(id->dns_names[63] == "host63.rpcnet.test");
  REQUIRE(id->uris.size() == 2);
  CHECK(id->uris[0] == "spiffe://rpcnet.test/client");
  CHECK(id->uris[1].size() == peer_identity::max_field_bytes);
  CHECK(id->ip_addresses == std::vector<std::string>{"127.0.0.1", "2001:db8::1"});
  CHECK(id->emails == std::vector<std::string>{"client@rpcnet.test"});
}

TEST_CASE("terminal escapes and bytes that are not UTF-8 in a certificate arrive escaped, "
          "and an iPAddress that is no address is left out",
          "[identity]") {
  auto id = identity_of_file(RPCNET_HOSTILE_TEXT_CERT);
  REQUIRE(id);
  check_bounded(*id);
  CHECK(id->subject == "CN=evil\\x1b[31m\\xff,O=rpcnet");
  CHECK(id->dns_names == std::vector<std::string>{"bell\\x07.rpcnet.test"});
  CHECK(id->uris == std::vector<std::string>{"spiffe://rpcnet.test/\\x1b[31mred"});
  CHECK(id->ip_addresses == std::vector<std::string>{"127.0.0.1"});
  CHECK(id->emails == std::vector<std::string>{"evil\\xff@rpcnet.test"});
}

TEST_CASE("bytes that are no certificate read as no identity", "[identity]") {
  CHECK_FALSE(identity_of({}));
  CHECK_FALSE(identity_of({0x30, 0x82, 0xff, 0xff, 0x00}));
  CHECK_FALSE(identity_of(std::vector<unsigned char>(4096, 0x41)));
  // A real certificate cut anywhere inside is malformed, not a shorter one.
  auto der = der_of(rpcnet::test::cert_file("client_cert.pem"));
  for (size_t cut : {size_t{1}, der.size() / 3, der.size() / 2, der.size() - 1})
    CHECK_FALSE(identity_of({der.begin(), der.begin() + static_cast<std::ptrdiff_t>(cut)}));
}

TEST_CASE("a peer identity survives CAF's serialization and prints its names",
          "[identity]") {
  auto id = identity_of_file(rpcnet::test::cert_file("client_cert.pem"));
  REQUIRE(id);
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  REQUIRE_FALSE(sink(*id));
  peer_identity copy;
  caf::binary_deserializer source{nullptr, buf};
  REQUIRE_FALSE(source(copy));
  CHECK(copy == *id);
  auto text = caf::deep_to_string(*id);
  CHECK(text.find("peer_identity") != std::string::npos);
  CHECK(text.find("spiffe://rpcnet.test/client") != std::string::npos);
}
