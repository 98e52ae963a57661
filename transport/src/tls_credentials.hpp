// GnuTLS certificate credentials, owned: the server's certificate and key,
// the client's trusted CAs. Loaded once per endpoint and shared by all of its
// connections; only the transport thread uses them after construction.
#pragma once

#include <gnutls/gnutls.h>

#include <memory>
#include <string>

#include <caf/expected.hpp>

namespace rpcnet {

class tls_credentials {
public:
  tls_credentials(const tls_credentials&) = delete;
  tls_credentials& operator=(const tls_credentials&) = delete;
  ~tls_credentials();

  /// Loads a server certificate chain and its private key (PEM), and, when
  /// `client_ca_path` is set, the CAs that must sign every client's
  /// certificate (mutual TLS).
  static caf::expected<std::unique_ptr<tls_credentials>>
  make_server(const std::string& cert_path, const std::string& key_path,
              const std::string& client_ca_path = {});

  /// Loads the CAs a client trusts (PEM). A server is accepted only if its
  /// chain leads to one of them and its certificate names the server. With
  /// `cert_path`/`key_path` the client presents that certificate.
  static caf::expected<std::unique_ptr<tls_credentials>>
  make_client(const std::string& ca_path, const std::string& cert_path = {},
              const std::string& key_path = {});

  gnutls_certificate_credentials_t native() const noexcept {
    return cred_;
  }

private:
  explicit tls_credentials(gnutls_certificate_credentials_t cred) : cred_(cred) {
  }

  gnutls_certificate_credentials_t cred_;
};

} // namespace rpcnet
