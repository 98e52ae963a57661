// The rules of gossip fields (see gossip_field_rules.hpp).
#include "gossip_field_rules.hpp"

#include <netinet/in.h>

#include <algorithm>

#include <rpcnet/transport/socket_address.hpp>
#include <rpcnet/transport/utf8.hpp>

namespace rpcnet::gossip {

namespace {

constexpr size_t max_tag_text = 255;

/// True for addresses no member can have: unspecified (0.0.0.0, ::),
/// limited broadcast and multicast. Pinging them would reach nobody, or a
/// whole network segment on a forger's behalf.
bool unreachable_host(const socket_address& address) {
  if (address.family() == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address.native());
    auto host = ntohl(v4->sin_addr.s_addr);
    return host == INADDR_ANY || host == INADDR_BROADCAST || (host >> 28) == 0xe;
  }
  const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address.native());
  return IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr) || IN6_IS_ADDR_MULTICAST(&v6->sin6_addr);
}

} // namespace

size_t encoded_size(const tag_map& tags) {
  size_t total = 1;
  for (const auto& [key, value] : tags)
    total += 2 + key.size() + value.size();
  return total;
}

bool valid_member_id(const node_id& id) noexcept {
  return id != node_id::min() && id != node_id::max();
}

bool valid_address(std::string_view address) {
  if (address.empty() || address.size() > max_address_size)
    return false;
  auto parsed = socket_address::parse(address);
  // Printing the parsed address back must give the same text: that refuses
  // leading zeros, uncompressed IPv6 forms and anything else two peers
  // could spell differently for one address.
  return parsed && parsed->port() != 0 && parsed->to_string() == address
         && !unreachable_host(*parsed);
}

bool valid_tag_key(std::string_view key) {
  return !key.empty() && key.size() <= max_tag_text && utf8::is_printable(key);
}

bool valid_tag_value(std::string_view value) {
  return value.size() <= max_tag_text && utf8::is_printable(value);
}

bool valid_tags(const tag_map& tags) {
  if (tags.size() > 255 || encoded_size(tags) > max_tags_size)
    return false;
  return std::all_of(tags.begin(), tags.end(), [](const auto& kv) {
    return valid_tag_key(kv.first) && valid_tag_value(kv.second);
  });
}

} // namespace rpcnet::gossip
