// GnuTLS certificate credentials, owned: the server's certificate and key,
// the client's trusted CAs. Loaded from the files an endpoint's configuration
// names, when it starts and again at each reload (endpoint::
// reload_credentials); every file is read and checked on its own first, so
// that a bad one is refused with an error naming it. Once made they are
// immutable and held through shared_ptr: the endpoint holds the current ones
// and every connection the ones its GnuTLS session points to, so credentials
// a reload replaced live exactly as long as the last session that uses them.
// Only the transport thread uses them after construction.
#pragma once

#include <gnutls/gnutls.h>

#include <cstdint>
#include <memory>
#include <string>

#include <caf/expected.hpp>

#include <rpcnet/transport/transport_config.hpp>

namespace rpcnet {

class tls_credentials {
public:
  tls_credentials(const tls_credentials&) = delete;
  tls_credentials& operator=(const tls_credentials&) = delete;
  ~tls_credentials();

  /// Loads a server certificate chain and its private key (PEM), and, when
  /// `client_ca_path` is set, the CAs that must sign every client's
  /// certificate (mutual TLS). Fails with error::config naming the file
  /// that cannot be read, holds no PEM certificate or key, holds a leaf
  /// certificate outside its validity period, or a key that does not match
  /// the certificate.
  static caf::expected<std::unique_ptr<tls_credentials>>
  make_server(const std::string& cert_path, const std::string& key_path,
              const std::string& client_ca_path = {});

  /// Loads the CAs a client trusts (PEM). A server is accepted only if its
  /// chain leads to one of them and its certificate names the server. With
  /// `cert_path`/`key_path` the client presents that certificate. Fails as
  /// make_server does.
  static caf::expected<std::unique_ptr<tls_credentials>>
  make_client(const std::string& ca_path, const std::string& cert_path = {},
              const std::string& key_path = {});

  /// The handle a session is given. GnuTLS keeps the pointer, not a copy:
  /// whoever sets it on a session holds these credentials until the session
  /// is deinitialised.
  gnutls_certificate_credentials_t native() const noexcept {
    return cred_;
  }

  /// Credentials alive in the process now: tests prove with it that those a
  /// reload replaced are freed when their last connection closes.
  static uint64_t alive() noexcept;

private:
  explicit tls_credentials(gnutls_certificate_credentials_t cred);

  gnutls_certificate_credentials_t cred_;
};

/// What an endpoint's configuration names: the server's credentials when it
/// accepts connections, the client's when it has a CA to verify servers
/// with. Either may be null.
struct endpoint_credentials {
  std::shared_ptr<const tls_credentials> server;
  std::shared_ptr<const tls_credentials> client;
};

/// Loads every file `cfg` names (cert, key and client CA when `accepting`;
/// CA, client cert and key when ca_path is set), all or nothing: the first
/// bad file fails the whole with error::config naming it.
caf::expected<endpoint_credentials> load_endpoint_credentials(const transport_config& cfg,
                                                              bool accepting);

} // namespace rpcnet
