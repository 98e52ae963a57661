// rpcnet's configuration of a server or client, mirroring the reference's
// RpcConfig: TLS material, the bind address, the server name to verify,
// keep-alive, the call timeout and the wire limits. Built fluently:
//
//   auto cfg = rpcnet::rpc_config{"certs/test_cert.pem", "127.0.0.1:0"}
//                .with_key_path("certs/test_key.pem")
//                .with_server_name("localhost");
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <rpcnet/transport/transport_config.hpp>

namespace rpcnet {

class rpc_config {
public:
  /// The default call timeout (30 s).
  static constexpr std::chrono::milliseconds default_call_timeout{30'000};

  /// `cert_path`: a server's certificate chain; for a client, the
  /// certificate or CA file it trusts unless with_ca_path() names another.
  rpc_config(std::string cert_path, std::string bind_address)
    : cert_path_(std::move(cert_path)), bind_address_(std::move(bind_address)) {
  }

  // -- builders ---------------------------------------------------------------

  rpc_config& with_key_path(std::string path) {
    key_path_ = std::move(path);
    return *this;
  }
  /// The CA file a client verifies the server against.
  rpc_config& with_ca_path(std::string path) {
    ca_path_ = std::move(path);
    return *this;
  }
  /// The name the server's certificate must carry (DNS name or IP).
  rpc_config& with_server_name(std::string name) {
    server_name_ = std::move(name);
    return *this;
  }
  /// Mutual TLS, client side: the certificate and key this client presents.
  rpc_config& with_client_certificate(std::string cert_path, std::string key_path) {
    client_cert_path_ = std::move(cert_path);
    client_key_path_ = std::move(key_path);
    return *this;
  }
  /// Mutual TLS, server side: accept only clients whose certificate this
  /// CA signed.
  rpc_config& with_client_ca_path(std::string path) {
    client_ca_path_ = std::move(path);
    return *this;
  }
  rpc_config& with_keep_alive_interval(std::chrono::milliseconds interval) {
    keep_alive_interval_ = interval;
    return *this;
  }
  rpc_config& with_call_timeout(std::chrono::milliseconds timeout) {
    call_timeout_ = timeout;
    return *this;
  }
  rpc_config& with_max_frame_size(uint32_t bytes) {
    max_frame_size_ = bytes;
    return *this;
  }
  rpc_config& with_max_concurrent_streams(uint64_t streams) {
    max_concurrent_streams_ = streams;
    return *this;
  }
  rpc_config& with_idle_timeout(std::chrono::milliseconds timeout) {
    idle_timeout_ = timeout;
    return *this;
  }
  rpc_config& with_handshake_timeout(std::chrono::milliseconds timeout) {
    handshake_timeout_ = timeout;
    return *this;
  }
  rpc_config& with_initial_rtt(std::chrono::microseconds rtt) {
    initial_rtt_ = rtt;
    return *this;
  }
  /// What one peer's connection may make this node hold of its unfinished
  /// requests (transport_config::max_connection_buffered_bytes).
  rpc_config& with_max_connection_buffered_bytes(uint64_t bytes) {
    max_connection_buffered_bytes_ = bytes;
    return *this;
  }
  /// The same over all connections (max_endpoint_buffered_bytes).
  rpc_config& with_max_endpoint_buffered_bytes(uint64_t bytes) {
    max_endpoint_buffered_bytes_ = bytes;
    return *this;
  }
  /// How long a unary request may take to arrive (request_read_timeout).
  rpc_config& with_request_read_timeout(std::chrono::milliseconds timeout) {
    request_read_timeout_ = timeout;
    return *this;
  }

  // -- properties -------------------------------------------------------------

  const std::string& cert_path() const noexcept {
    return cert_path_;
  }
  const std::string& key_path() const noexcept {
    return key_path_;
  }
  /// The CA file, defaulting to cert_path() as in the reference.
  const std::string& ca_path() const noexcept {
    return ca_path_.empty() ? cert_path_ : ca_path_;
  }
  const std::string& bind_address() const noexcept {
    return bind_address_;
  }
  const std::string& server_name() const noexcept {
    return server_name_;
  }
  std::chrono::milliseconds keep_alive_interval() const noexcept {
    return keep_alive_interval_;
  }
  std::chrono::milliseconds call_timeout() const noexcept {
    return call_timeout_;
  }
  uint32_t max_frame_size() const noexcept {
    return max_frame_size_;
  }
  uint64_t max_concurrent_streams() const noexcept {
    return max_concurrent_streams_;
  }

  /// The transport settings of a server (`accepting`) or a client.
  transport_config to_transport(bool accepting) const;

private:
  std::string cert_path_;
  std::string bind_address_;
  std::string key_path_;
  std::string ca_path_;
  std::string server_name_ = "localhost";
  std::string client_cert_path_;
  std::string client_key_path_;
  std::string client_ca_path_;
  std::chrono::milliseconds keep_alive_interval_{0};
  std::chrono::milliseconds call_timeout_ = default_call_timeout;
  uint32_t max_frame_size_ = transport_config{}.max_frame_size;
  uint64_t max_concurrent_streams_ = transport_config{}.max_concurrent_streams;
  std::chrono::milliseconds idle_timeout_ = transport_config{}.idle_timeout;
  std::chrono::milliseconds handshake_timeout_ = transport_config{}.handshake_timeout;
  std::chrono::microseconds initial_rtt_ = transport_config{}.initial_rtt;
  uint64_t max_connection_buffered_bytes_ = transport_config{}.max_connection_buffered_bytes;
  uint64_t max_endpoint_buffered_bytes_ = transport_config{}.max_endpoint_buffered_bytes;
  std::chrono::milliseconds request_read_timeout_ = transport_config{}.request_read_timeout;
};

} // namespace rpcnet
