// Where the certificate files are, and the configurations built from them.
#include "tls_files.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <rpcnet/transport/error.hpp>

namespace rpcnet::cli {

namespace {

caf::error unreadable(const std::string& path, const char* flag) {
  return make_error(error::config, "certificate file " + path + " not found or not readable ("
                                     + std::string{flag} + ")");
}

} // namespace

caf::expected<tls_files> tls_files::find(const tls_flags& flags) {
  tls_files found;
  const auto& dir = flags.certs_dir;
  if (flags.cert || flags.key) {
    if (!flags.cert || !flags.key || !flags.ca)
      return make_error(error::config,
                        "--cert, --key and --ca go together: a node that presents its own "
                        "certificate verifies its peers against its CA");
    found.cert_ = *flags.cert;
    found.key_ = *flags.key;
    found.ca_ = *flags.ca;
    found.mutual_ = true;
    for (auto [path, flag] : {std::pair{&found.cert_, "--cert"}, std::pair{&found.key_, "--key"},
                              std::pair{&found.ca_, "--ca"}})
      if (access(path->c_str(), R_OK) != 0)
        return unreadable(*path, flag);
  } else {
    found.cert_ = dir + "/test_cert.pem";
    found.key_ = dir + "/test_key.pem";
    found.ca_ = flags.ca.value_or(dir + "/ca.pem");
    for (auto* path : {&found.cert_, &found.key_})
      if (access(path->c_str(), R_OK) != 0)
        return unreadable(*path, "--certs / RPCNET_CERTS");
    if (access(found.ca_.c_str(), R_OK) != 0)
      return unreadable(found.ca_, flags.ca ? "--ca" : "--certs / RPCNET_CERTS");
  }
  found.server_name_ = flags.server_name.value_or("localhost");
  if (found.server_name_.empty())
    return make_error(error::config, "--server-name must not be empty");
  return found;
}

rpc_config tls_files::server_config(const std::string& bind_address) const {
  auto cfg = rpc_config{cert_, bind_address}.with_key_path(key_);
  if (mutual_)
    cfg.client_ca_path = ca_;
  return cfg;
}

rpc_config tls_files::client_config(std::chrono::milliseconds call_timeout, int family) const {
  auto cfg = rpc_config{cert_, family == AF_INET6 ? "[::]:0" : "0.0.0.0:0"}
               .with_ca_path(ca_)
               .with_server_name(server_name_)
               .with_call_timeout(call_timeout);
  if (mutual_)
    cfg = cfg.with_client_certificate(cert_, key_);
  return cfg;
}

std::string tls_files::describe() const {
  if (mutual_)
    return cert_ + " (mutual TLS, peers verified against " + ca_ + ")";
  return cert_ + " (CA " + ca_ + ")";
}

} // namespace rpcnet::cli
