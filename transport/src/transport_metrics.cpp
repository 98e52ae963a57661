// rpcnet_transport_* series (see transport_metrics.hpp).
#include "transport_metrics.hpp"

#include <algorithm>

namespace rpcnet {

void report_transport_stats(metrics_writer& out, const transport_stats& s,
                            uint64_t lost_packets, std::string_view endpoint_label) {
  metric_labels at{{"endpoint", endpoint_label}};
  auto counter = [&](std::string_view name, std::string_view help, uint64_t value) {
    out.counter(name, help, static_cast<double>(value), at);
  };
  auto gauge = [&](std::string_view name, std::string_view help, double value) {
    out.gauge(name, help, value, at);
  };
  counter("rpcnet_transport_datagrams_received_total", "UDP datagrams received.",
          s.datagrams_received);
  counter("rpcnet_transport_datagrams_sent_total", "UDP datagrams sent.", s.datagrams_sent);
  counter("rpcnet_transport_datagrams_dropped_total",
          "Datagrams dropped: undecodable, unknown connection, refused, or not sent.",
          s.datagrams_dropped);
  counter("rpcnet_transport_received_bytes_total", "UDP payload bytes received.",
          s.bytes_received);
  counter("rpcnet_transport_sent_bytes_total", "UDP payload bytes sent.", s.bytes_sent);
  counter("rpcnet_transport_connections_accepted_total", "QUIC connections accepted.",
          s.connections_accepted);
  // By reason, adding up to every refusal as the handshake failures do.
  auto refused = [&](std::string_view reason, uint64_t value) {
    out.counter("rpcnet_transport_connections_refused_total",
                "Connection attempts refused, by reason: capacity (not accepting, or at "
                "max_connections), invalid_token (a Retry token forged, expired or for "
                "another address), half_open (the half-open limit), source_rate (the "
                "per-address rate).",
                static_cast<double>(value), {{"endpoint", endpoint_label}, {"reason", reason}});
  };
  auto by_admission = s.connections_refused_invalid_token + s.connections_refused_half_open
                      + s.connections_refused_source_rate;
  refused("capacity", s.connections_refused - std::min(s.connections_refused, by_admission));
  refused("invalid_token", s.connections_refused_invalid_token);
  refused("half_open", s.connections_refused_half_open);
  refused("source_rate", s.connections_refused_source_rate);
  counter("rpcnet_transport_retries_sent_total",
          "Stateless Retry packets sent to Initials that proved no address.", s.retries_sent);
  auto validated = [&](std::string_view token, uint64_t value) {
    out.counter("rpcnet_transport_connections_validated_total",
                "Connections whose client address a token proved before any state was "
                "kept: a Retry token, or a NEW_TOKEN token from an earlier connection.",
                static_cast<double>(value), {{"endpoint", endpoint_label}, {"token", token}});
  };
  validated("retry", s.connections_validated_by_retry);
  validated("new_token", s.connections_validated_by_new_token);
  counter("rpcnet_transport_new_tokens_sent_total",
          "NEW_TOKEN frames sent for clients' next connections.", s.new_tokens_sent);
  gauge("rpcnet_transport_half_open_connections",
        "Server connections whose handshake has not completed.",
        static_cast<double>(s.half_open_connections));
  gauge("rpcnet_transport_connections_open", "QUIC connections open.",
        static_cast<double>(s.connections_open));
  // By reason: the three add up to the total, so sum() over them is it.
  auto failed = [&](std::string_view reason, uint64_t value) {
    out.counter("rpcnet_transport_handshake_failures_total",
                "Connections that ended before their handshake completed, by reason.",
                static_cast<double>(value), {{"endpoint", endpoint_label}, {"reason", reason}});
  };
  auto tls = s.handshakes_failed_tls;
  auto timeout = s.handshakes_failed_timeout;
  failed("tls", tls);
  failed("timeout", timeout);
  failed("other", s.handshakes_failed - std::min(s.handshakes_failed, tls + timeout));
  counter("rpcnet_transport_protocol_errors_total",
          "Streams whose framing broke (oversized, truncated, garbage after the end).",
          s.stream_protocol_errors);
  counter("rpcnet_transport_version_negotiations_total",
          "Version Negotiation packets sent to other QUIC versions.",
          s.version_negotiations_sent);
  counter("rpcnet_transport_connections_over_buffer_limit_total",
          "Connections closed for holding more than their limit of unfinished requests.",
          s.connections_over_buffer_limit);
  counter("rpcnet_transport_streams_over_budget_total",
          "Streams refused because the endpoint held its limit of unfinished requests.",
          s.streams_over_budget);
  counter("rpcnet_transport_requests_timed_out_total",
          "Requests failed for not ending within the request read timeout.",
          s.requests_timed_out);
  counter("rpcnet_transport_peers_unreachable_total",
          "ICMP port-unreachable reports: a peer's process was gone.", s.peers_unreachable);
  counter("rpcnet_transport_congestion_events_total",
          "Times a connection's congestion controller saw loss and entered recovery.",
          s.congestion_events);
  counter("rpcnet_transport_lost_packets_total",
          "Packets carrying stream data that QUIC declared lost (counted as each stream "
          "closes; may include spurious losses).",
          lost_packets);
  gauge("rpcnet_transport_buffered_bytes", "Bytes of peers' input held for consumers.",
        static_cast<double>(s.buffered_bytes));
  gauge("rpcnet_transport_smoothed_rtt_seconds",
        "Mean smoothed round-trip time of the open connections.",
        static_cast<double>(s.smoothed_rtt_us) / 1e6);
}

void report_credential_reloads(metrics_writer& out, uint64_t ok, uint64_t failed,
                               std::string_view endpoint_label) {
  auto reloads = [&](std::string_view result, uint64_t value) {
    out.counter("rpcnet_transport_credential_reloads_total",
                "TLS credential reloads, by result: ok (new connections use the new files) "
                "or error (a file was bad; the credentials in use stay).",
                static_cast<double>(value), {{"endpoint", endpoint_label}, {"result", result}});
  };
  reloads("ok", ok);
  reloads("error", failed);
}

} // namespace rpcnet
