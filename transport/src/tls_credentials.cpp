#include "tls_credentials.hpp"

#include <rpcnet/transport/error.hpp>

namespace rpcnet {

namespace {

caf::error gnutls_failure(const std::string& what, int rv) {
  return make_error(error::config, what + ": " + gnutls_strerror(rv));
}

caf::error load_trust(gnutls_certificate_credentials_t cred, const std::string& ca_path) {
  auto n = gnutls_certificate_set_x509_trust_file(cred, ca_path.c_str(), GNUTLS_X509_FMT_PEM);
  if (n < 0)
    return gnutls_failure("cannot load CA file '" + ca_path + "'", n);
  if (n == 0)
    return make_error(error::config, "CA file '" + ca_path + "' holds no certificate");
  return {};
}

} // namespace

tls_credentials::~tls_credentials() {
  gnutls_certificate_free_credentials(cred_);
}

caf::expected<std::unique_ptr<tls_credentials>>
tls_credentials::make_server(const std::string& cert_path, const std::string& key_path,
                             const std::string& client_ca_path) {
  gnutls_certificate_credentials_t cred = nullptr;
  if (auto rv = gnutls_certificate_allocate_credentials(&cred); rv != 0)
    return gnutls_failure("cannot allocate TLS credentials", rv);
  std::unique_ptr<tls_credentials> result{new tls_credentials(cred)};
  auto rv = gnutls_certificate_set_x509_key_file(cred, cert_path.c_str(),
                                                 key_path.c_str(),
                                                 GNUTLS_X509_FMT_PEM);
  if (rv != 0)
    return gnutls_failure("cannot load certificate '" + cert_path + "' with key '"
                            + key_path + "'",
                          rv);
  if (!client_ca_path.empty())
    if (auto err = load_trust(cred, client_ca_path))
      return err;
  return result;
}

caf::expected<std::unique_ptr<tls_credentials>>
tls_credentials::make_client(const std::string& ca_path, const std::string& cert_path,
                             const std::string& key_path) {
  gnutls_certificate_credentials_t cred = nullptr;
  if (auto rv = gnutls_certificate_allocate_credentials(&cred); rv != 0)
    return gnutls_failure("cannot allocate TLS credentials", rv);
  std::unique_ptr<tls_credentials> result{new tls_credentials(cred)};
  if (auto err = load_trust(cred, ca_path))
    return err;
  if (!cert_path.empty()) {
    auto rv = gnutls_certificate_set_x509_key_file(cred, cert_path.c_str(), key_path.c_str(),
                                                   GNUTLS_X509_FMT_PEM);
    if (rv != 0)
      return gnutls_failure("cannot load client certificate '" + cert_path + "' with key '"
                              + key_path + "'",
                            rv);
  }
  return result;
}

} // namespace rpcnet
