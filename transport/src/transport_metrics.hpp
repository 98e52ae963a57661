// The transport's counters as metrics: what an endpoint made with
// transport_config::metrics reports at each scrape, every series labelled
// with the endpoint's local address (a process may run several).
#pragma once

#include <string_view>

#include <rpcnet/transport/endpoint.hpp>
#include <rpcnet/transport/metrics_registry.hpp>

namespace rpcnet {

/// `lost_packets`: packets carrying stream data ngtcp2 declared lost.
void report_transport_stats(metrics_writer& out, const transport_stats& stats,
                            uint64_t lost_packets, std::string_view endpoint_label);

/// rpcnet_transport_credential_reloads_total{result="ok"|"error"}: the
/// endpoint's reload_credentials calls that made new credentials current,
/// and those that failed (kept the ones in use).
void report_credential_reloads(metrics_writer& out, uint64_t ok, uint64_t failed,
                               std::string_view endpoint_label);

} // namespace rpcnet
