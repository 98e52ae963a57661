// Hexadecimal digits, for the ids rpcnet prints and parses as text: node ids
// in gossip tables and logs, W3C trace ids in metadata.
#pragma once

namespace rpcnet::hex {

/// The digits rpcnet prints (lower case).
inline constexpr char digits[] = "0123456789abcdef";

/// The value of hex digit `c`, or -1. Upper-case digits count only when
/// `accept_upper` (W3C Trace Context, for one, allows lower case only).
constexpr int digit_value(char c, bool accept_upper = true) noexcept {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (accept_upper && c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

} // namespace rpcnet::hex
