#include <rpcnet/actors/interceptors/call_log.hpp>

#include <rpcnet/actors/interceptors/trace_context.hpp>
#include <rpcnet/transport/error.hpp>
#include <rpcnet/transport/library_log.hpp>
#include <rpcnet/transport/utf8.hpp>

namespace rpcnet {

namespace {

std::string_view shape_name(call_shape shape) {
  switch (shape) {
    case call_shape::unary: return "unary";
    case call_shape::bidi_streaming: return "bidi_streaming";
    case call_shape::server_streaming: return "server_streaming";
    case call_shape::client_streaming: return "client_streaming";
  }
  return "unknown";
}

} // namespace

call_log::call_log(sink out) : out_(std::move(out)) {
}

std::string call_log::format(const call_context& ctx, call_shape shape,
                             const caf::error& outcome, std::chrono::nanoseconds elapsed) {
  // The method name came from the network: escaped, so that it cannot
  // forge lines or terminal sequences in the log.
  std::string line = "method=" + utf8::escaped(ctx.method());
  line += " peer=" + ctx.peer_address().to_string();
  line += " shape=";
  line += shape_name(shape);
  line += " outcome=";
  line += outcome ? to_string_view(code_of(outcome)) : std::string_view{"ok"};
  line += " duration_us="
          + std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
  if (auto trace = trace_of(ctx.metadata()))
    line += " trace=" + trace->trace_id_hex();
  return line;
}

void call_log::after(const call_context& ctx, call_shape shape, const caf::error& outcome,
                     std::chrono::nanoseconds elapsed) {
  auto line = format(ctx, shape, outcome, elapsed);
  if (out_)
    out_(line);
  else
    log_line(log_level::info, line);
}

} // namespace rpcnet
