#include <rpcnet/actors/rpc_config.hpp>

namespace rpcnet {

transport_config rpc_config::to_transport(bool accepting) const {
  transport_config cfg;
  cfg.bind_address = bind_address_;
  if (accepting) {
    cfg.cert_path = cert_path_;
    cfg.key_path = key_path_;
    // A server given a CA can also call out from its own endpoint.
    cfg.ca_path = ca_path_;
  } else {
    cfg.ca_path = ca_path();
  }
  cfg.client_cert_path = client_cert_path_;
  cfg.client_key_path = client_key_path_;
  if (accepting)
    cfg.client_ca_path = client_ca_path_;
  cfg.max_frame_size = max_frame_size_;
  cfg.max_concurrent_streams = max_concurrent_streams_;
  cfg.idle_timeout = idle_timeout_;
  cfg.keep_alive_interval = keep_alive_interval_;
  cfg.handshake_timeout = handshake_timeout_;
  cfg.initial_rtt = initial_rtt_;
  cfg.max_connection_buffered_bytes = max_connection_buffered_bytes_;
  cfg.max_endpoint_buffered_bytes = max_endpoint_buffered_bytes_;
  cfg.request_read_timeout = request_read_timeout_;
  return cfg;
}

} // namespace rpcnet
