#include "tls_credentials.hpp"

#include <gnutls/x509.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <type_traits>

#include <rpcnet/transport/error.hpp>

namespace rpcnet {

namespace {

std::atomic<uint64_t> alive_count{0};

caf::error gnutls_failure(const std::string& what, int rv) {
  return make_error(error::config, what + ": " + gnutls_strerror(rv));
}

// -- owned GnuTLS handles -----------------------------------------------------

struct credentials_deleter {
  void operator()(gnutls_certificate_credentials_t cred) const {
    gnutls_certificate_free_credentials(cred);
  }
};
using credentials_ptr
  = std::unique_ptr<std::remove_pointer_t<gnutls_certificate_credentials_t>,
                    credentials_deleter>;

struct privkey_deleter {
  void operator()(gnutls_x509_privkey_t key) const {
    gnutls_x509_privkey_deinit(key);
  }
};
using privkey_ptr
  = std::unique_ptr<std::remove_pointer_t<gnutls_x509_privkey_t>, privkey_deleter>;

/// A chain gnutls_x509_crt_list_import2 allocated.
struct crt_list {
  gnutls_x509_crt_t* crts = nullptr;
  unsigned size = 0;
  crt_list() = default;
  crt_list(const crt_list&) = delete;
  crt_list& operator=(const crt_list&) = delete;
  ~crt_list() {
    for (unsigned i = 0; i < size; ++i)
      gnutls_x509_crt_deinit(crts[i]);
    gnutls_free(crts);
  }
};

// -- reading and checking files -----------------------------------------------

/// The bytes of the PEM file `path`, which `what` describes ("certificate
/// file"), or why it cannot be one.
caf::expected<std::string> read_pem_file(const std::string& what, const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file{std::fopen(path.c_str(), "rb"),
                                                        &std::fclose};
  if (!file)
    return make_error(error::config,
                      "cannot read " + what + " '" + path + "': " + std::strerror(errno));
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), file.get())) > 0)
    text.append(buf, n);
  if (std::ferror(file.get()))
    return make_error(error::config,
                      "cannot read " + what + " '" + path + "': " + std::strerror(errno));
  if (text.empty())
    return make_error(error::config, what + " '" + path + "' is empty");
  if (text.find("-----BEGIN ") == std::string::npos)
    return make_error(error::config, what + " '" + path + "' is not PEM (no -----BEGIN line)");
  return text;
}

gnutls_datum_t datum_of(const std::string& text) {
  return {reinterpret_cast<unsigned char*>(const_cast<char*>(text.data())),
          static_cast<unsigned>(text.size())};
}

/// "2031-05-04 12:00:00 UTC".
std::string utc_text(time_t when) {
  std::tm tm{};
  gmtime_r(&when, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

/// Loads the certificate chain at `cert_path` and the key at `key_path`
/// into `cred`; `role` says whose they are ("certificate", "client
/// certificate").
caf::error load_key_pair(gnutls_certificate_credentials_t cred, const std::string& role,
                         const std::string& cert_path, const std::string& key_path) {
  auto cert_text = read_pem_file(role + " file", cert_path);
  if (!cert_text)
    return std::move(cert_text.error());
  auto key_text = read_pem_file("key file", key_path);
  if (!key_text)
    return std::move(key_text.error());
  crt_list chain;
  auto cert_datum = datum_of(*cert_text);
  if (auto rv = gnutls_x509_crt_list_import2(&chain.crts, &chain.size, &cert_datum,
                                             GNUTLS_X509_FMT_PEM, 0);
      rv < 0)
    return gnutls_failure(role + " file '" + cert_path + "' holds no valid certificate", rv);
  if (chain.size == 0)
    return make_error(error::config, role + " file '" + cert_path + "' holds no certificate");
  // The leaf: peers would refuse it anyway, with an alert that says less.
  auto now = std::time(nullptr);
  if (auto until = gnutls_x509_crt_get_expiration_time(chain.crts[0]);
      until != static_cast<time_t>(-1) && until < now)
    return make_error(error::config, role + " '" + cert_path + "' expired on "
                                       + utc_text(until));
  if (auto from = gnutls_x509_crt_get_activation_time(chain.crts[0]);
      from != static_cast<time_t>(-1) && from > now)
    return make_error(error::config, role + " '" + cert_path + "' is not valid before "
                                       + utc_text(from));
  gnutls_x509_privkey_t raw_key = nullptr;
  if (auto rv = gnutls_x509_privkey_init(&raw_key); rv < 0)
    return gnutls_failure("cannot allocate a private key", rv);
  privkey_ptr key{raw_key};
  auto key_datum = datum_of(*key_text);
  if (auto rv = gnutls_x509_privkey_import2(key.get(), &key_datum, GNUTLS_X509_FMT_PEM,
                                            nullptr, 0);
      rv < 0)
    return gnutls_failure("key file '" + key_path + "' holds no valid private key", rv);
  auto rv = gnutls_certificate_set_x509_key(cred, chain.crts, static_cast<int>(chain.size),
                                            key.get());
  if (rv == GNUTLS_E_CERTIFICATE_KEY_MISMATCH)
    return make_error(error::config, "key '" + key_path + "' does not match " + role + " '"
                                       + cert_path + "'");
  if (rv < 0)
    return gnutls_failure("cannot use " + role + " '" + cert_path + "' with key '" + key_path
                            + "'",
                          rv);
  return {};
}

/// Adds the CAs in `ca_path` to what `cred` trusts; `what` names the file's
/// role ("CA file", "client CA file").
caf::error load_trust(gnutls_certificate_credentials_t cred, const std::string& what,
                      const std::string& ca_path) {
  auto text = read_pem_file(what, ca_path);
  if (!text)
    return std::move(text.error());
  auto datum = datum_of(*text);
  auto n = gnutls_certificate_set_x509_trust_mem(cred, &datum, GNUTLS_X509_FMT_PEM);
  if (n < 0)
    return gnutls_failure("cannot load " + what + " '" + ca_path + "'", n);
  if (n == 0)
    return make_error(error::config, what + " '" + ca_path + "' holds no certificate");
  return {};
}

caf::expected<credentials_ptr> allocate() {
  gnutls_certificate_credentials_t cred = nullptr;
  if (auto rv = gnutls_certificate_allocate_credentials(&cred); rv != 0)
    return gnutls_failure("cannot allocate TLS credentials", rv);
  return credentials_ptr{cred};
}

} // namespace

tls_credentials::tls_credentials(gnutls_certificate_credentials_t cred) : cred_(cred) {
  alive_count.fetch_add(1, std::memory_order_relaxed);
}

tls_credentials::~tls_credentials() {
  gnutls_certificate_free_credentials(cred_);
  alive_count.fetch_sub(1, std::memory_order_relaxed);
}

uint64_t tls_credentials::alive() noexcept {
  return alive_count.load(std::memory_order_relaxed);
}

caf::expected<std::unique_ptr<tls_credentials>>
tls_credentials::make_server(const std::string& cert_path, const std::string& key_path,
                             const std::string& client_ca_path) {
  auto cred = allocate();
  if (!cred)
    return std::move(cred.error());
  if (auto err = load_key_pair(cred->get(), "certificate", cert_path, key_path))
    return err;
  if (!client_ca_path.empty())
    if (auto err = load_trust(cred->get(), "client CA file", client_ca_path))
      return err;
  return std::unique_ptr<tls_credentials>{new tls_credentials(cred->release())};
}

caf::expected<std::unique_ptr<tls_credentials>>
tls_credentials::make_client(const std::string& ca_path, const std::string& cert_path,
                             const std::string& key_path) {
  auto cred = allocate();
  if (!cred)
    return std::move(cred.error());
  if (auto err = load_trust(cred->get(), "CA file", ca_path))
    return err;
  if (!cert_path.empty())
    if (auto err = load_key_pair(cred->get(), "client certificate", cert_path, key_path))
      return err;
  return std::unique_ptr<tls_credentials>{new tls_credentials(cred->release())};
}

caf::expected<endpoint_credentials> load_endpoint_credentials(const transport_config& cfg,
                                                              bool accepting) {
  endpoint_credentials result;
  if (accepting) {
    if (cfg.cert_path.empty() || cfg.key_path.empty())
      return make_error(error::config, "accepting connections needs a certificate and a key");
    auto cred = tls_credentials::make_server(cfg.cert_path, cfg.key_path, cfg.client_ca_path);
    if (!cred)
      return std::move(cred.error());
    result.server = std::move(*cred);
  }
  if (!cfg.ca_path.empty()) {
    auto cred = tls_credentials::make_client(cfg.ca_path, cfg.client_cert_path,
                                             cfg.client_key_path);
    if (!cred)
      return std::move(cred.error());
    result.client = std::move(*cred);
  }
  return result;
}

} // namespace rpcnet
