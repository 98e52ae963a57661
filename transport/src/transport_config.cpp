// Builders and validation of transport_config.
#include <rpcnet/transport/transport_config.hpp>

#include <rpcnet/transport/address_resolver.hpp>
#include <rpcnet/transport/configuration.hpp>

namespace rpcnet {

using std::chrono::microseconds;
using std::chrono::milliseconds;

transport_config transport_config::with_bind_address(std::string address) const {
  return copy_with(*this, [&](auto& c) { c.bind_address = std::move(address); });
}

transport_config transport_config::with_cert_path(std::string path) const {
  return copy_with(*this, [&](auto& c) { c.cert_path = std::move(path); });
}

transport_config transport_config::with_key_path(std::string path) const {
  return copy_with(*this, [&](auto& c) { c.key_path = std::move(path); });
}

transport_config transport_config::with_ca_path(std::string path) const {
  return copy_with(*this, [&](auto& c) { c.ca_path = std::move(path); });
}

transport_config transport_config::with_client_certificate(std::string cert,
                                                           std::string key) const {
  return copy_with(*this, [&](auto& c) {
    c.client_cert_path = std::move(cert);
    c.client_key_path = std::move(key);
  });
}

transport_config transport_config::with_client_ca_path(std::string path) const {
  return copy_with(*this, [&](auto& c) { c.client_ca_path = std::move(path); });
}

transport_config transport_config::with_alpn(std::string protocol) const {
  return copy_with(*this, [&](auto& c) { c.alpn = std::move(protocol); });
}

transport_config transport_config::with_max_frame_size(uint32_t bytes) const {
  return copy_with(*this, [&](auto& c) { c.max_frame_size = bytes; });
}

transport_config transport_config::with_max_concurrent_streams(uint64_t streams) const {
  return copy_with(*this, [&](auto& c) { c.max_concurrent_streams = streams; });
}

transport_config transport_config::with_stream_window(uint64_t bytes) const {
  return copy_with(*this, [&](auto& c) { c.stream_window = bytes; });
}

transport_config transport_config::with_connection_window(uint64_t bytes) const {
  return copy_with(*this, [&](auto& c) { c.connection_window = bytes; });
}

transport_config transport_config::with_max_connection_buffered_bytes(uint64_t bytes) const {
  return copy_with(*this, [&](auto& c) { c.max_connection_buffered_bytes = bytes; });
}

transport_config transport_config::with_max_endpoint_buffered_bytes(uint64_t bytes) const {
  return copy_with(*this, [&](auto& c) { c.max_endpoint_buffered_bytes = bytes; });
}

transport_config transport_config::with_request_read_timeout(milliseconds timeout) const {
  return copy_with(*this, [&](auto& c) { c.request_read_timeout = timeout; });
}

transport_config transport_config::with_max_connections(size_t connections) const {
  return copy_with(*this, [&](auto& c) { c.max_connections = connections; });
}

transport_config transport_config::with_admission(admission_limits limits) const {
  return copy_with(*this, [&](auto& c) { c.admission = limits; });
}

transport_config transport_config::with_idle_timeout(milliseconds timeout) const {
  return copy_with(*this, [&](auto& c) { c.idle_timeout = timeout; });
}

transport_config transport_config::with_keep_alive_interval(milliseconds interval) const {
  return copy_with(*this, [&](auto& c) { c.keep_alive_interval = interval; });
}

transport_config transport_config::with_handshake_timeout(milliseconds timeout) const {
  return copy_with(*this, [&](auto& c) { c.handshake_timeout = timeout; });
}

transport_config transport_config::with_initial_rtt(microseconds rtt) const {
  return copy_with(*this, [&](auto& c) { c.initial_rtt = rtt; });
}

caf::error transport_config::validate() const {
  config_errors errors{"transport_config"};
  // Syntax only: a name is resolved when the endpoint starts.
  errors.require_parsed("bind_address", parse_host_port(bind_address));
  errors.require(cert_path.empty() == key_path.empty(),
                 "cert_path and key_path are set together or not at all");
  errors.require(client_cert_path.empty() == client_key_path.empty(),
                 "client_cert_path and client_key_path are set together or not at all");
  // ALPN protocol ids are 1 to 255 bytes (RFC 7301).
  errors.require(!alpn.empty() && alpn.size() <= 255, "alpn must be 1 to 255 bytes");
  errors.require(max_frame_size > 0, "max_frame_size must be positive");
  errors.require(max_concurrent_streams > 0, "max_concurrent_streams must be positive");
  errors.require(stream_window > 0, "stream_window must be positive");
  errors.require(connection_window > 0, "connection_window must be positive");
  errors.require(max_connection_buffered_bytes > 0,
                 "max_connection_buffered_bytes must be positive");
  errors.require(max_endpoint_buffered_bytes > 0, "max_endpoint_buffered_bytes must be positive");
  errors.require(request_read_timeout >= milliseconds::zero(),
                 "request_read_timeout must not be negative");
  errors.require(max_connections > 0, "max_connections must be positive");
  errors.require(admission.max_half_open > 0, "admission.max_half_open must be positive");
  errors.require(admission.retry_threshold <= admission.max_half_open,
                 "admission.retry_threshold must not exceed admission.max_half_open "
                 "(Retry would never start)");
  errors.require(idle_timeout >= milliseconds::zero(), "idle_timeout must not be negative");
  errors.require(keep_alive_interval >= milliseconds::zero(),
                 "keep_alive_interval must not be negative");
  errors.require(handshake_timeout > milliseconds::zero(), "handshake_timeout must be positive");
  errors.require(initial_rtt > microseconds::zero(), "initial_rtt must be positive");
  return errors.result();
}

} // namespace rpcnet
