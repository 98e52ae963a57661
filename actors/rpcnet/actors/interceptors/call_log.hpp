// One log line per call a server serves -- method, peer, shape, outcome,
// duration and trace id -- through rpcnet's log (library_log.hpp) or a sink
// of the program's own.
//
//   method=add peer=127.0.0.1:53211 shape=unary outcome=ok duration_us=182
//     trace=4bf92f3577b34da6a3ce929d0e0e4736
#pragma once

#include <functional>
#include <string>

#include <rpcnet/actors/interceptor.hpp>

namespace rpcnet {

class call_log : public server_interceptor {
public:
  /// Where lines go; empty: rpcnet's log at info level.
  using sink = std::function<void(const std::string& line)>;

  explicit call_log(sink out = {});

  void after(const call_context& ctx, call_shape shape, const caf::error& outcome,
             std::chrono::nanoseconds elapsed) override;

  /// The line for one call (what after() writes).
  static std::string format(const call_context& ctx, call_shape shape,
                            const caf::error& outcome, std::chrono::nanoseconds elapsed);

private:
  sink out_;
};

} // namespace rpcnet
