// Paths of the development certificates (certs/make-certs.sh) and the
// server and client configurations most tests start from, for the RPC layer
// and for bare endpoints.
#pragma once

#include <string>

#include <rpcnet/actors/rpc_config.hpp>
#include <rpcnet/transport/transport_config.hpp>

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

/// A bare endpoint (no RPC layer) that accepts with the development
/// certificate.
inline transport_config bare_server_config() {
  return transport_config{}
    .with_cert_path(cert_file("test_cert.pem"))
    .with_key_path(cert_file("test_key.pem"));
}

/// A bare endpoint that connects to servers the development CA signed.
inline transport_config bare_client_config() {
  return transport_config{}.with_ca_path(cert_file("ca.pem"));
}

} // namespace rpcnet::test
