// Paths of the development certificates (certs/make-certs.sh) and the
// server and client configurations most tests start from.
#pragma once

#include <string>

#include <rpcnet/actors/rpc_config.hpp>

namespace rpcnet::test {

inline std::string cert_dir() {
  return RPCNET_CERT_DIR;
}

inline std::string cert_file(const std::string& name) {
  return cert_dir() + "/" + name;
}

/// A server on 127.0.0.1 with a free port and the development certificate.
inline rpc_config server_config() {
  return rpc_config{cert_file("test_cert.pem"), "127.0.0.1:0"}.with_key_path(
    cert_file("test_key.pem"));
}

/// A client that trusts the development CA and expects "localhost".
inline rpc_config client_config() {
  return rpc_config{cert_file("test_cert.pem"), "127.0.0.1:0"}
    .with_ca_path(cert_file("ca.pem"))
    .with_server_name("localhost");
}

} // namespace rpcnet::test
