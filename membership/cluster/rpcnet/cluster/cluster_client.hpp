// The cluster client (ClusterClient of the Rust RpcNet
// library whose design rpcnet takes): calls a method on some worker of the
// cluster, chosen by the worker registry, over one pooled QUIC connection
// per worker. A call that fails in a way that is safe to retry (the
// connection failed, the worker was overloaded, or the request never left)
// fails over to another worker after a jittered exponential backoff; a
// handler's own error is returned as it is. A circuit breaker per worker
// keeps calls away from a worker that keeps failing; an optional hedge
// sends a second request to another worker when the first is slow.
// Thread-safe: many threads may call at once.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include <rpcnet/actors/call_context.hpp>
#include <rpcnet/actors/call_metadata.hpp>
#include <rpcnet/actors/client_stream.hpp>
#include <rpcnet/actors/rpc_config.hpp>
#include <rpcnet/cluster/circuit_breaker.hpp>
#include <rpcnet/cluster/retry_policy.hpp>
#include <rpcnet/cluster/worker_registry_actor.hpp>
#include <rpcnet/transport/byte_buffer.hpp>

namespace rpcnet {

class endpoint;

/// The cluster client's settings, written as every rpcnet configuration is
/// (configuration.hpp).
struct cluster_client_config {
  explicit cluster_client_config(rpc_config client) : rpc(std::move(client)) {
  }

  /// How connections to workers are made (CA, server name, call timeout).
  rpc_config rpc;
  retry_policy retry;
  circuit_breaker::settings breaker;
  /// Send a second request to another worker when the first has not
  /// answered after this long; the first answer wins. Unset: no hedging.
  std::optional<std::chrono::milliseconds> hedge_after;
  /// Told of each failover, on the calling thread, before the backoff: the
  /// worker whose attempt failed and why (an operator's log line). Unset:
  /// nobody is told.
  std::function<void(const worker& failed, const caf::error& why)> on_failover;

  [[nodiscard]] cluster_client_config with_rpc(rpc_config client) const;
  [[nodiscard]] cluster_client_config with_retry(retry_policy policy) const;
  [[nodiscard]] cluster_client_config with_breaker(circuit_breaker::settings settings) const;
  [[nodiscard]] cluster_client_config with_hedge_after(std::chrono::milliseconds delay) const;
  [[nodiscard]] cluster_client_config
  with_on_failover(std::function<void(const worker&, const caf::error&)> observer) const;

  /// No error, or one error::config naming every bad field, those of rpc,
  /// retry and breaker included ("retry.max_attempts must be at least 1").
  caf::error validate() const;
};

/// Per-call choices.
struct worker_call_options {
  /// Which workers may serve, "k=v[,k=v...]" ("" for any worker).
  std::string filter;
  /// consistent_hash: the same key goes to the same worker.
  std::string affinity_key;
  /// locality: the caller's zone.
  std::string zone;
  /// Workers not to choose for this call, as if earlier attempts had
  /// failed on them: those that refused this request a moment ago with an
  /// answer of their own, which is not retried.
  std::vector<node_id> exclude;
  /// Overrides the configured call timeout (of each attempt).
  std::optional<std::chrono::milliseconds> timeout;
  /// Sent with every attempt.
  call_metadata metadata;
  /// The call being served on whose behalf this one is made: each attempt
  /// gets what is left of its deadline (less the margin) and is cancelled
  /// with it, and no attempt starts once it is cancelled or out of time.
  call_context parent;
};

/// What the client has done, for operators and tests.
struct cluster_client_stats {
  uint64_t calls = 0;
  uint64_t failed_calls = 0;
  /// Attempts after the first, on another worker (of calls, and of
  /// streams being opened).
  uint64_t failovers = 0;
  uint64_t hedges = 0;
  uint64_t hedges_won = 0;
  /// Losing attempts cancelled once the other answered.
  uint64_t hedges_cancelled = 0;
  /// Workers skipped because their circuit was open.
  uint64_t circuit_rejections = 0;
  uint64_t connections_opened = 0;
};

class cluster_client {
public:
  /// A client choosing workers through `registry`. With `shared`, its
  /// connections leave from that endpoint (the node's one port). Fails with
  /// error::config when cfg.validate() does.
  static caf::expected<cluster_client> start(caf::actor_system& sys,
                                             worker_registry_actor registry,
                                             cluster_client_config cfg,
                                             std::shared_ptr<endpoint> shared = nullptr);

  cluster_client(cluster_client&&) noexcept;
  cluster_client& operator=(cluster_client&&) noexcept;
  ~cluster_client();

  /// Calls `method` on a worker matching the options. Fails with
  /// no_workers at once when no worker matches, with the handler's error
  /// when the handler failed, and with the last attempt's error when every
  /// attempt failed.
  caf::expected<byte_buffer> call_worker(const std::string& method, byte_buffer request,
                                         const worker_call_options& options = {});

  /// Opens a bidirectional streaming call on a chosen worker, failing over
  /// while the stream cannot be opened. Once open, the stream belongs to
  /// the caller and is not retried; the worker counts as busy until the
  /// stream is dropped.
  caf::expected<client_stream> call_worker_streaming(const std::string& method,
                                                     const worker_call_options& options = {});

  /// Sends `request` as the one message of a server-streaming call on a
  /// chosen worker and returns the stream of responses (as above).
  caf::expected<client_stream>
  call_worker_server_streaming(const std::string& method, const byte_buffer& request,
                               const worker_call_options& options = {});

  /// The circuit of worker `id` as this client sees it now.
  circuit_breaker::state circuit(const node_id& id) const;

  cluster_client_stats stats() const;

  /// Closes every pooled connection.
  void close();

private:
  struct impl;
  explicit cluster_client(std::unique_ptr<impl> ptr);
  std::unique_ptr<impl> impl_;
};

} // namespace rpcnet
