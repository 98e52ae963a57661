// The TLS material a node and a client use. By default the development
// certificates in one directory (--certs, certs/ made by the build): the
// server certificate and key, and the CA clients verify it against, with
// the server name "localhost". An operator's own PKI replaces them with
// --cert, --key and --ca (and --server-name, the name every node's
// certificate carries), and then TLS is mutual between everything the CLI
// runs: each node presents its certificate when it calls another, and
// accepts only peers whose certificate the CA signed. Every file is
// checked up front so that a missing one is one line of error, not a
// failed handshake later.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include <rpcnet/actors/rpc_config.hpp>

namespace rpcnet::cli {

/// What the command line said about TLS.
struct tls_flags {
  /// --certs: the development certificates' directory.
  std::string certs_dir = "certs";
  /// --cert and --key: this process's certificate chain and private key.
  std::optional<std::string> cert;
  std::optional<std::string> key;
  /// --ca: the CA every peer's certificate must chain to.
  std::optional<std::string> ca;
  /// --server-name: the name servers' certificates must carry.
  std::optional<std::string> server_name;
};

class tls_files {
public:
  /// A config error naming the first file missing or unreadable, or a flag
  /// given without the ones it needs (--cert needs --key and --ca).
  static caf::expected<tls_files> find(const tls_flags& flags);

  /// A server bound to `bind_address` with the certificate and its key;
  /// with mutual TLS it also requires the client's certificate.
  rpc_config server_config(const std::string& bind_address) const;

  /// A client that verifies servers against the CA and the server name, on
  /// a socket bound to every interface of `family` (AF_INET or AF_INET6):
  /// one bound to loopback could send to loopback only. With mutual TLS it
  /// presents the certificate.
  rpc_config client_config(std::chrono::milliseconds call_timeout, int family) const;

  /// Whether --cert made TLS mutual.
  bool mutual() const noexcept {
    return mutual_;
  }

  /// The files, which a running node reloads when they change.
  std::vector<std::string> files() const {
    return {cert_, key_, ca_};
  }

  /// Where the material came from, for the log: a directory or the files.
  std::string describe() const;

private:
  tls_files() = default;

  std::string cert_;
  std::string key_;
  std::string ca_;
  std::string server_name_;
  bool mutual_ = false;
};

} // namespace rpcnet::cli
