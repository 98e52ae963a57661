// Call metrics as interceptors see calls, on the server and on the client:
//
//   rpc_requests_total{side,method,code}   calls ended, by outcome ("ok" or
//                                          the error code's name)
//   rpc_latency_seconds{side,method}       from before() to the end
//                                          (latency_buckets_seconds)
//   rpc_request_bytes_total{side,method}   unary request message bytes
//   rpc_response_bytes_total{side,method}  unary reply message bytes
//   rpc_errors_total{side,type}            failed calls by error code
//   rpc_in_flight_calls{side}              calls begun and not ended
//   rpc_streams_open{side}                 streaming calls among them
//
// rpc_config::metrics installs them first in line, so they count what every
// other interceptor does too (a call an auth check refuses is counted as
// unauthenticated). An update is a few relaxed atomic adds: each method's
// series are found in a table read without a lock and made once. Method
// labels come from the server's registered methods (calls to others are
// refused before interceptors run) or the client's own calls; past 256
// methods on one side, further ones share the label "other".
#pragma once

#include <memory>

#include <rpcnet/actors/interceptor.hpp>
#include <rpcnet/transport/metrics_registry.hpp>

namespace rpcnet {

class call_metrics_recorder;

class server_call_metrics : public server_interceptor {
public:
  explicit server_call_metrics(metrics_registry& registry);
  ~server_call_metrics() override;

  caf::error before(call_context& ctx, call_shape shape) override;

  void after(const call_context& ctx, call_shape shape, const caf::error& outcome,
             std::chrono::nanoseconds elapsed) override;

private:
  std::unique_ptr<call_metrics_recorder> recorder_;
};

class client_call_metrics : public client_interceptor {
public:
  explicit client_call_metrics(metrics_registry& registry);
  ~client_call_metrics() override;

  caf::error before(outgoing_call& call) override;

  void after(const outgoing_call& call, const caf::error& outcome,
             std::chrono::nanoseconds elapsed) override;

private:
  std::unique_ptr<call_metrics_recorder> recorder_;
};

} // namespace rpcnet
