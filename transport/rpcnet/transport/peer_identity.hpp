// Who a connection's peer is, as its verified TLS certificate says: the
// subject and the subjectAltName entries an authorization rule would look
// at. Delivered with connection_ready; filled by the transport from the
// leaf certificate after GnuTLS verified the chain (transport/src/
// peer_certificate.cpp), and bounded there, because a certificate is input
// from the network however trusted its signer.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace rpcnet {

/// Who the peer's verified certificate says it is. Every text is at most
/// max_field_bytes of printable UTF-8, each list at most max_entries long:
/// a value that is not printable as it stands (control characters,
/// ill-formed UTF-8) appears as utf8::escaped writes it, and one past the
/// limit is cut at a character boundary. Entries keep the certificate's
/// order.
struct peer_identity {
  // -- limits -----------------------------------------------------------------

  /// The most bytes of one text (the subject, each entry).
  static constexpr size_t max_field_bytes = 1024;

  /// The most entries of each kind; the certificate's further ones are left
  /// out.
  static constexpr size_t max_entries = 64;

  // -- fields -----------------------------------------------------------------

  /// The subject's distinguished name as RFC 4514 writes it, e.g.
  /// "CN=client,O=rpcnet" (last RDN first); empty if the subject is empty.
  std::string subject;

  /// subjectAltName dNSName entries.
  std::vector<std::string> dns_names;

  /// subjectAltName uniformResourceIdentifier entries (SPIFFE ids).
  std::vector<std::string> uris;

  /// subjectAltName iPAddress entries, printed: "127.0.0.1", "::1". An
  /// entry that is neither 4 nor 16 bytes is no address and is left out.
  std::vector<std::string> ip_addresses;

  /// subjectAltName rfc822Name entries.
  std::vector<std::string> emails;

  friend bool operator==(const peer_identity&, const peer_identity&) = default;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, peer_identity& x) {
    return f(caf::meta::type_name("peer_identity"), x.subject, x.dns_names, x.uris,
             x.ip_addresses, x.emails);
  }
};

} // namespace rpcnet
