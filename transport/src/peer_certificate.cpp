#include "peer_certificate.hpp"

#include <arpa/inet.h>
#include <gnutls/x509-ext.h>
#include <gnutls/x509.h>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <rpcnet/transport/utf8.hpp>

namespace rpcnet {

namespace {

// -- owned GnuTLS handles -----------------------------------------------------

struct crt_deleter {
  void operator()(gnutls_x509_crt_t crt) const {
    gnutls_x509_crt_deinit(crt);
  }
};
using crt_ptr = std::unique_ptr<std::remove_pointer_t<gnutls_x509_crt_t>, crt_deleter>;

struct sans_deleter {
  void operator()(gnutls_subject_alt_names_t sans) const {
    gnutls_subject_alt_names_deinit(sans);
  }
};
using sans_ptr
  = std::unique_ptr<std::remove_pointer_t<gnutls_subject_alt_names_t>, sans_deleter>;

/// A datum GnuTLS allocated for the caller.
struct owned_datum {
  gnutls_datum_t value{nullptr, 0};
  owned_datum() = default;
  owned_datum(const owned_datum&) = delete;
  owned_datum& operator=(const owned_datum&) = delete;
  ~owned_datum() {
    gnutls_free(value.data);
  }
  std::string_view view() const {
    return {reinterpret_cast<const char*>(value.data), value.size};
  }
};

// -- bounding -----------------------------------------------------------------

// At most max_field_bytes, cut between characters. A text that prints as
// it stands is kept byte for byte (an honest certificate's names arrive as
// written, backslashes of RFC 4514 escapes included); any other goes
// through utf8::escaped. Escaping one sequence at a time lets the cut fall
// between escapes, never inside one.
std::string bounded_text(std::string_view raw) {
  bool as_is = utf8::is_printable(raw);
  std::string out;
  for (size_t pos = 0; pos < raw.size();) {
    auto n = std::max<size_t>(1, utf8::sequence_length(raw, pos));
    auto piece = raw.substr(pos, n);
    auto shown = as_is ? std::string{piece} : utf8::escaped(piece);
    if (out.size() + shown.size() > peer_identity::max_field_bytes)
      break;
    out += shown;
    pos += n;
  }
  return out;
}

/// An iPAddress entry printed; empty if it is neither IPv4 nor IPv6.
std::string ip_text(const gnutls_datum_t& raw) {
  int family = raw.size == 4 ? AF_INET : raw.size == 16 ? AF_INET6 : AF_UNSPEC;
  char buf[INET6_ADDRSTRLEN] = {0};
  if (family == AF_UNSPEC || !inet_ntop(family, raw.data, buf, sizeof(buf)))
    return {};
  return buf;
}

void add_entry(std::vector<std::string>& list, std::string text) {
  if (list.size() < peer_identity::max_entries && !text.empty())
    list.push_back(std::move(text));
}

// -- fields -------------------------------------------------------------------

std::string subject_of(gnutls_x509_crt_t crt) {
  owned_datum dn;
  // Flags 0: RFC 4514 order and escaping (get_dn2 keeps the older order).
  if (gnutls_x509_crt_get_dn3(crt, &dn.value, 0) != 0)
    return {};
  return bounded_text(dn.view());
}

// The extension is decoded once: gnutls_x509_crt_get_subject_alt_name
// decodes it again on every call, which makes walking a certificate's
// entries quadratic in their number.
void read_alt_names(gnutls_x509_crt_t crt, peer_identity& id) {
  owned_datum ext;
  unsigned critical = 0;
  if (gnutls_x509_crt_get_extension_by_oid2(crt, GNUTLS_X509EXT_OID_SAN, 0, &ext.value,
                                            &critical)
      != 0)
    return;
  gnutls_subject_alt_names_t raw_sans = nullptr;
  if (gnutls_subject_alt_names_init(&raw_sans) != 0)
    return;
  sans_ptr sans{raw_sans};
  if (gnutls_x509_ext_import_subject_alt_names(&ext.value, sans.get(), 0) != 0)
    return;
  for (unsigned seq = 0;; ++seq) {
    unsigned type = 0;
    gnutls_datum_t value{nullptr, 0};
    // The data stays owned by `sans`.
    if (gnutls_subject_alt_names_get(sans.get(), seq, &type, &value, nullptr) != 0)
      break;
    std::string_view text{reinterpret_cast<const char*>(value.data), value.size};
    switch (type) {
      case GNUTLS_SAN_DNSNAME: add_entry(id.dns_names, bounded_text(text)); break;
      case GNUTLS_SAN_URI: add_entry(id.uris, bounded_text(text)); break;
      case GNUTLS_SAN_RFC822NAME: add_entry(id.emails, bounded_text(text)); break;
      case GNUTLS_SAN_IPADDRESS: add_entry(id.ip_addresses, ip_text(value)); break;
      default: break; // other names and directory names: nothing to show
    }
  }
}

} // namespace

std::optional<peer_identity> certificate_identity(const gnutls_datum_t& der) {
  gnutls_x509_crt_t raw_crt = nullptr;
  if (gnutls_x509_crt_init(&raw_crt) != 0)
    return std::nullopt;
  crt_ptr crt{raw_crt};
  if (gnutls_x509_crt_import(crt.get(), &der, GNUTLS_X509_FMT_DER) != 0)
    return std::nullopt;
  peer_identity id;
  id.subject = subject_of(crt.get());
  read_alt_names(crt.get(), id);
  return id;
}

std::optional<peer_identity> verified_peer_identity(gnutls_session_t session) {
  if (gnutls_certificate_type_get2(session, GNUTLS_CTYPE_PEERS) != GNUTLS_CRT_X509)
    return std::nullopt;
  unsigned count = 0;
  const auto* chain = gnutls_certificate_get_peers(session, &count);
  if (!chain || count == 0)
    return std::nullopt;
  // The peer's own certificate comes first; the rest are its issuers.
  return certificate_identity(chain[0]);
}

} // namespace rpcnet
