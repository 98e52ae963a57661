// W3C Trace Context propagation (https://www.w3.org/TR/trace-context/) as a
// pair of interceptors. The server side makes sure every call it serves has
// a `traceparent` in its metadata -- the caller's, or a new trace when the
// caller sent none or a malformed one -- so handlers and logs can name the
// trace. The client side gives each outgoing call a `traceparent` of its own
// span: in the parent call's trace when the call is made on behalf of one
// (call_options::child_of), else in a new trace. A chain A -> B -> C thus
// shares one trace id.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <rpcnet/actors/interceptor.hpp>

namespace rpcnet {

/// The metadata key of W3C Trace Context.
inline constexpr std::string_view traceparent_key = "traceparent";

/// A parsed `traceparent` value: version 00, trace id, parent (span) id,
/// flags.
struct trace_parent {
  std::array<uint8_t, 16> trace_id{};
  std::array<uint8_t, 8> span_id{};
  uint8_t flags = 0x01; // sampled

  /// Parses "00-<32 hex>-<16 hex>-<2 hex>" (lower-case hex); nullopt for
  /// anything else, all-zero ids included, as the specification says.
  static std::optional<trace_parent> parse(std::string_view text);

  /// A new trace with a random trace id and span id.
  static trace_parent start();

  /// The same trace and flags with a new random span id: a child span.
  trace_parent child() const;

  /// The trace id in lower-case hex (32 characters).
  std::string trace_id_hex() const;

  /// The `traceparent` value.
  std::string to_string() const;
};

/// The trace a call belongs to, from its metadata; nullopt without a valid
/// `traceparent`.
std::optional<trace_parent> trace_of(const call_metadata& md);

class trace_context_server : public server_interceptor {
public:
  caf::error before(call_context& ctx, call_shape shape) override;
};

class trace_context_client : public client_interceptor {
public:
  caf::error before(outgoing_call& call) override;
};

} // namespace rpcnet
