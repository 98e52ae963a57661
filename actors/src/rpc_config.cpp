// Builders, validation and the transport settings of rpc_config.
#include <rpcnet/actors/rpc_config.hpp>

#include "rpc_config_rules.hpp"

#include <algorithm>

#include <rpcnet/transport/configuration.hpp>

namespace rpcnet {

using std::chrono::microseconds;
using std::chrono::milliseconds;

rpc_config rpc_config::with_cert_path(std::string path) const {
  return copy_with(*this, [&](auto& c) { c.cert_path = std::move(path); });
}

rpc_config rpc_config::with_bind_address(std::string address) const {
  return copy_with(*this, [&](auto& c) { c.bind_address = std::move(address); });
}

rpc_config rpc_config::with_key_path(std::string path) const {
  return copy_with(*this, [&](auto& c) { c.key_path = std::move(path); });
}

rpc_config rpc_config::with_ca_path(std::string path) const {
  return copy_with(*this, [&](auto& c) { c.ca_path = std::move(path); });
}

rpc_config rpc_config::with_server_name(std::string name) const {
  return copy_with(*this, [&](auto& c) { c.server_name = std::move(name); });
}

rpc_config rpc_config::with_client_certificate(std::string cert, std::string key) const {
  return copy_with(*this, [&](auto& c) {
    c.client_cert_path = std::move(cert);
    c.client_key_path = std::move(key);
  });
}

rpc_config rpc_config::with_client_ca_path(std::string path) const {
  return copy_with(*this, [&](auto& c) { c.client_ca_path = std::move(path); });
}

rpc_config rpc_config::with_keep_alive_interval(milliseconds interval) const {
  return copy_with(*this, [&](auto& c) { c.keep_alive_interval = interval; });
}

rpc_config rpc_config::with_call_timeout(milliseconds timeout) const {
  return copy_with(*this, [&](auto& c) { c.call_timeout = timeout; });
}

rpc_config rpc_config::with_max_frame_size(uint32_t bytes) const {
  return copy_with(*this, [&](auto& c) { c.max_frame_size = bytes; });
}

rpc_config rpc_config::with_max_concurrent_streams(uint64_t streams) const {
  return copy_with(*this, [&](auto& c) { c.max_concurrent_streams = streams; });
}

rpc_config rpc_config::with_idle_timeout(milliseconds timeout) const {
  return copy_with(*this, [&](auto& c) { c.idle_timeout = timeout; });
}

rpc_config rpc_config::with_handshake_timeout(milliseconds timeout) const {
  return copy_with(*this, [&](auto& c) { c.handshake_timeout = timeout; });
}

rpc_config rpc_config::with_initial_rtt(microseconds rtt) const {
  return copy_with(*this, [&](auto& c) { c.initial_rtt = rtt; });
}

rpc_config rpc_config::with_admission(admission_limits limits) const {
  return copy_with(*this, [&](auto& c) { c.admission = limits; });
}

rpc_config rpc_config::with_max_connection_buffered_bytes(uint64_t bytes) const {
  return copy_with(*this, [&](auto& c) { c.max_connection_buffered_bytes = bytes; });
}

rpc_config rpc_config::with_max_endpoint_buffered_bytes(uint64_t bytes) const {
  return copy_with(*this, [&](auto& c) { c.max_endpoint_buffered_bytes = bytes; });
}

rpc_config rpc_config::with_request_read_timeout(milliseconds timeout) const {
  return copy_with(*this, [&](auto& c) { c.request_read_timeout = timeout; });
}

rpc_config rpc_config::with_max_metadata_size(size_t bytes) const {
  return copy_with(*this, [&](auto& c) { c.max_metadata_size = bytes; });
}

rpc_config rpc_config::with_deadline_margin(milliseconds margin) const {
  return copy_with(*this, [&](auto& c) { c.deadline_margin = margin; });
}

rpc_config rpc_config::with_reconnect(reconnect_policy policy) const {
  return copy_with(*this, [&](auto& c) { c.reconnect = policy; });
}

rpc_config rpc_config::with_metrics(std::shared_ptr<metrics_registry> registry) const {
  return copy_with(*this, [&](auto& c) { c.metrics = std::move(registry); });
}

rpc_config rpc_config::with_interceptor(std::shared_ptr<client_interceptor> interceptor) const {
  return copy_with(*this, [&](auto& c) { c.interceptors.push_back(std::move(interceptor)); });
}

namespace {

/// Every rule of rpc_config::validate; `tls` adds those about certificates,
/// which a connection without TLS (in_process.hpp) does not read.
caf::error check_config(const rpc_config& cfg, bool tls) {
  config_errors errors{"rpc_config"};
  // The client's view of the transport: the bind address and every limit,
  // without the server's rule that a certificate comes with its key (a
  // client's cert_path is what it trusts).
  errors.nest("", cfg.to_transport(false).validate());
  if (tls) {
    errors.require(!cfg.cert_path.empty() || !cfg.ca_path.empty(),
                   "cert_path or ca_path must name a PEM file (a server presents cert_path, "
                   "a client trusts ca_path or else cert_path)");
    errors.require(cfg.key_path.empty() || !cfg.cert_path.empty(),
                   "key_path is set without cert_path");
  }
  errors.require(!cfg.server_name.empty(), "server_name must not be empty");
  errors.require(cfg.call_timeout > milliseconds::zero(), "call_timeout must be positive");
  // Below a few pairs' worth, interceptors could not attach a token and a
  // trace id; a CALL frame larger than max_frame_size is refused anyway.
  errors.require(cfg.max_metadata_size >= 64 && cfg.max_metadata_size <= (1u << 20),
                 "max_metadata_size must be 64 bytes to 1 MiB");
  errors.require(cfg.deadline_margin >= milliseconds::zero(),
                 "deadline_margin must not be negative");
  errors.require(std::all_of(cfg.interceptors.begin(), cfg.interceptors.end(),
                             [](const auto& icpt) { return icpt != nullptr; }),
                 "interceptors must not hold a null interceptor");
  errors.nest("reconnect", cfg.reconnect.validate());
  return errors.result();
}

} // namespace

caf::error rpc_config::validate() const {
  return check_config(*this, true);
}

caf::error validate_without_tls(const rpc_config& cfg) {
  return check_config(cfg, false);
}

transport_config rpc_config::to_transport(bool accepting) const {
  transport_config cfg;
  cfg.bind_address = bind_address;
  cfg.metrics = metrics;
  if (accepting) {
    cfg.cert_path = cert_path;
    cfg.key_path = key_path;
    // A server given a CA can also call out from its own endpoint.
    cfg.ca_path = ca_path;
  } else {
    cfg.ca_path = ca_path.empty() ? cert_path : ca_path;
  }
  cfg.client_cert_path = client_cert_path;
  cfg.client_key_path = client_key_path;
  if (accepting)
    cfg.client_ca_path = client_ca_path;
  cfg.max_frame_size = max_frame_size;
  cfg.max_concurrent_streams = max_concurrent_streams;
  cfg.idle_timeout = idle_timeout;
  cfg.keep_alive_interval = keep_alive_interval;
  cfg.handshake_timeout = handshake_timeout;
  cfg.initial_rtt = initial_rtt;
  cfg.max_connection_buffered_bytes = max_connection_buffered_bytes;
  cfg.max_endpoint_buffered_bytes = max_endpoint_buffered_bytes;
  cfg.request_read_timeout = request_read_timeout;
  cfg.admission = admission;
  return cfg;
}

} // namespace rpcnet
