#include <rpcnet/transport/error.hpp>

#include <caf/sec.hpp>

namespace rpcnet {

std::string_view to_string_view(error code) {
  switch (code) {
    case error::connection: return "connection";
    case error::stream: return "stream";
    case error::tls: return "tls";
    case error::config: return "config";
    case error::io: return "io";
    case error::serialization: return "serialization";
    case error::timeout: return "timeout";
    case error::unknown_method: return "unknown_method";
    case error::remote: return "remote";
    case error::cancelled: return "cancelled";
    case error::overloaded: return "overloaded";
    case error::protocol: return "protocol";
    case error::no_workers: return "no_workers";
    case error::unauthenticated: return "unauthenticated";
  }
  return "unknown";
}

std::string to_string(error code) {
  return std::string{to_string_view(code)};
}

bool from_wire(uint8_t value, error& out) {
  if (value < static_cast<uint8_t>(error::connection)
      || value > static_cast<uint8_t>(error::unauthenticated))
    return false;
  out = static_cast<error>(value);
  return true;
}

caf::error make_error(error code) {
  return caf::error{static_cast<uint8_t>(code), error_category};
}

caf::error make_error(error code, std::string message) {
  return caf::error{static_cast<uint8_t>(code), error_category,
                    caf::make_message(std::move(message))};
}

caf::error make_error(error code, std::string message, byte_buffer details) {
  if (details.empty())
    return make_error(code, std::move(message));
  return caf::error{static_cast<uint8_t>(code), error_category,
                    caf::make_message(std::move(message), std::move(details))};
}

byte_buffer details_of(const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.size() >= 2 && ctx.match_element<byte_buffer>(1))
    return ctx.get_as<byte_buffer>(1);
  return {};
}

bool is_rpcnet_error(const caf::error& err) {
  return err && err.category() == error_category;
}

error code_of(const caf::error& err) {
  if (is_rpcnet_error(err)) {
    error code{};
    if (from_wire(err.code(), code))
      return code;
    return error::protocol;
  }
  if (err.category() == caf::atom("system")) {
    switch (static_cast<caf::sec>(err.code())) {
      case caf::sec::request_timeout: return error::timeout;
      case caf::sec::request_receiver_down:
        return error::connection;
      default: break;
    }
  }
  return error::remote;
}

std::string message_of(const caf::error& err) {
  const auto& ctx = err.context();
  // More may follow the message (config_errors adds its list of problems).
  if (ctx.size() >= 1 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return {};
}

std::string describe(const caf::error& err) {
  if (!err)
    return "none";
  if (!is_rpcnet_error(err))
    return caf::to_string(err);
  std::string result{to_string_view(code_of(err))};
  if (auto msg = message_of(err); !msg.empty()) {
    result += ": ";
    result += msg;
  }
  return result;
}

} // namespace rpcnet
