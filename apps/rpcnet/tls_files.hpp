// The development certificates a node and a client use, found in one
// directory (certs/ by default, made by the build): checked up front so
// that a missing file is one line of error, not a failed handshake later.
#pragma once

#include <string>

#include <caf/expected.hpp>

#include <rpcnet/actors/rpc_config.hpp>

namespace rpcnet::cli {

class tls_files {
public:
  /// A config error naming the first of test_cert.pem, test_key.pem and
  /// ca.pem missing from `dir`.
  static caf::expected<tls_files> find(const std::string& dir);

  /// A server bound to `bind_address` with the certificate and its key.
  rpc_config server_config(const std::string& bind_address) const;

  /// A client that trusts the CA and checks the name "localhost", on an
  /// IPv4 socket bound to every interface: one bound to 127.0.0.1 could
  /// send to loopback only.
  rpc_config client_config(std::chrono::milliseconds call_timeout) const;

private:
  explicit tls_files(std::string dir) : dir_(std::move(dir)) {
  }

  std::string dir_;
};

} // namespace rpcnet::cli
