// A node's admin HTTP address, for operators and their tools: /metrics in
// the Prometheus text format, /healthz (the process answers), /readyz (it
// is bound, joined and not draining; 503 otherwise, so a load balancer
// stops sending before shutdown), and, where the node has them, the live
// dashboard at / and its data at /api/cluster.
//
// It is built on Boost.Beast and serves on a thread of its own, apart from
// the RPC port: a slow or hostile HTTP client costs at most one of
// max_connections slots for at most request_timeout, and at most
// max_header_bytes of memory; requests with a body, unknown paths and
// methods other than GET and HEAD get 4xx answers and are counted in
// rpcnet_admin_requests_total.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <rpcnet/transport/metrics_registry.hpp>
#include <rpcnet/transport/socket_address.hpp>

namespace rpcnet {

/// Where and how the admin server listens.
struct admin_config {
  /// host:port ("127.0.0.1:9100", "[::]:9100", a name); port 0 picks one.
  std::string address;
  /// Connections served at once; one more is closed as it is accepted.
  size_t max_connections = 64;
  /// A request's head must arrive, and a response be taken, within this;
  /// an idle keep-alive connection is closed after it too.
  std::chrono::milliseconds request_timeout{5000};
  /// The request line and headers together.
  size_t max_header_bytes = 8192;

  /// No error, or one error::config naming every bad field.
  caf::error validate() const;
};

/// Whether a node should get traffic, and if not, why (for /readyz's body).
struct readiness {
  bool ready = true;
  std::string reason;
};

/// What the admin server serves. Functions run on its thread, one request
/// at a time: they must be quick and thread-safe.
struct admin_routes {
  /// /metrics; none means 404.
  std::shared_ptr<metrics_registry> metrics;
  /// /readyz; none means always ready.
  std::function<readiness()> ready;
  /// /api/cluster (JSON); none means no dashboard: / and /api/cluster 404.
  std::function<std::string()> cluster_json;
};

class admin_server {
public:
  /// Binds `cfg.address` and serves `routes` until stop() or destruction.
  /// Bad settings are error::config; an address that cannot be bound is
  /// error::io.
  static caf::expected<std::unique_ptr<admin_server>> start(admin_config cfg,
                                                            admin_routes routes);

  admin_server(const admin_server&) = delete;
  admin_server& operator=(const admin_server&) = delete;
  ~admin_server();

  /// The bound address (the real port when the configuration said 0).
  const socket_address& local_address() const noexcept;

  /// Closes the listener and every connection and joins the thread.
  /// Idempotent.
  void stop();

  struct impl;

private:
  explicit admin_server(std::unique_ptr<impl> state);

  std::unique_ptr<impl> impl_;
};

} // namespace rpcnet
