// Checking --bind, --advertise and the address lists; see node_addresses.hpp.
#include "node_addresses.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>

#include <rpcnet/transport/address_resolver.hpp>
#include <rpcnet/transport/error.hpp>

#include "join_token.hpp"

namespace rpcnet::cli {

namespace {

caf::error bad(const env_option& option, const std::string& why) {
  auto source = std::string{option.flag};
  if (!option.env.empty())
    source += " / " + std::string{option.env};
  return make_error(error::config, "invalid " + source + ": " + why);
}

/// The comma-separated items of `text`, an empty one included.
std::vector<std::string_view> split_list(std::string_view text) {
  std::vector<std::string_view> items;
  for (size_t start = 0;;) {
    auto comma = text.find(',', start);
    items.push_back(text.substr(start, comma == std::string_view::npos ? comma : comma - start));
    if (comma == std::string_view::npos)
      return items;
    start = comma + 1;
  }
}

/// `advertise` with the bind port added when it names a host only.
std::string with_port(std::string_view advertise, uint16_t port) {
  // "[v6]" or a host without ':' has no port; "[v6]:p" and "host:p" have one.
  bool bracketed = !advertise.empty() && advertise.front() == '[';
  bool has_port = bracketed ? advertise.find("]:") != std::string_view::npos
                            : advertise.find(':') != std::string_view::npos;
  if (has_port)
    return std::string{advertise};
  return std::string{advertise} + ":" + std::to_string(port);
}

} // namespace

bool is_wildcard(const socket_address& addr) {
  auto host = addr.host();
  return host == "0.0.0.0" || host == "::";
}

std::vector<socket_address> local_interface_addresses() {
  std::vector<socket_address> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0)
    return out;
  for (auto* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr)
      continue;
    auto family = i->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6)
      continue;
    auto len = family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    out.push_back(socket_address::from_native(i->ifa_addr, static_cast<socklen_t>(len)));
  }
  ::freeifaddrs(list);
  return out;
}

caf::expected<node_addresses> parse_node_addresses(const env_option& bind_option,
                                                   std::string_view bind,
                                                   std::string_view advertise,
                                                   const std::vector<socket_address>& local) {
  auto bound = parse_address(bind_option, bind);
  if (!bound)
    return std::move(bound.error());
  if (advertise.empty()) {
    if (is_wildcard(*bound))
      return bad(advertise_option,
                 "required when " + std::string{bind_option.flag} + " is the wildcard "
                   + bound->to_string()
                   + ": give the address other nodes reach this one at, e.g. "
                     "--advertise 10.0.0.5");
    return node_addresses{*bound, *bound};
  }
  auto text = with_port(advertise, bound->port());
  auto advertised = parse_address(advertise_option, text);
  if (!advertised)
    return std::move(advertised.error());
  if (is_wildcard(*advertised))
    return bad(advertise_option, "'" + std::string{advertise}
                                   + "' is a wildcard; other nodes cannot send to it");
  if (advertised->port() == 0 || bound->port() == 0)
    return bad(advertise_option, "'" + std::string{advertise}
                                   + "' needs a port, and " + std::string{bind_option.flag}
                                   + " the same one: port 0 is not known before binding");
  if (advertised->port() != bound->port())
    return bad(advertise_option, "'" + advertised->to_string() + "' is not where "
                                   + std::string{bind_option.flag} + " " + bound->to_string()
                                   + " receives: the ports differ");
  if (advertised->family() != bound->family())
    return bad(advertise_option, "'" + advertised->to_string() + "' is not of the family of "
                                   + std::string{bind_option.flag} + " " + bound->to_string());
  auto host = advertised->host();
  if (!is_wildcard(*bound) && host != bound->host())
    return bad(advertise_option, "'" + advertised->to_string() + "' is not where "
                                   + std::string{bind_option.flag} + " " + bound->to_string()
                                   + " receives; bind a wildcard to advertise another address");
  bool ours = std::any_of(local.begin(), local.end(),
                          [&](const socket_address& a) { return a.host() == host; });
  if (!ours)
    return bad(advertise_option, "'" + advertised->to_string()
                                   + "' is not an address of this host: the other nodes would "
                                     "send to somebody else");
  return node_addresses{*bound, *advertised};
}

caf::expected<std::vector<socket_address>> parse_address_list(const env_option& option,
                                                              std::string_view text) {
  auto items = split_list(text);
  if (items.size() > max_listed_addresses)
    return bad(option, "at most " + std::to_string(max_listed_addresses) + " addresses");
  std::vector<socket_address> out;
  for (auto item : items) {
    if (item.empty())
      return bad(option, "an empty address in '" + std::string{text} + "'");
    auto addr = parse_address(option, item);
    if (!addr)
      return std::move(addr.error());
    if (std::find(out.begin(), out.end(), *addr) != out.end())
      return bad(option, addr->to_string() + " is listed twice");
    out.push_back(*addr);
  }
  return out;
}

std::vector<std::string> to_strings(const std::vector<socket_address>& addresses) {
  std::vector<std::string> out;
  out.reserve(addresses.size());
  for (const auto& addr : addresses)
    out.push_back(addr.to_string());
  return out;
}

std::string describe_addresses(const std::vector<socket_address>& addresses) {
  std::string out;
  for (size_t i = 0; i < addresses.size(); ++i) {
    if (i > 0)
      out += i + 1 == addresses.size() ? " and " : ", ";
    out += addresses[i].to_string();
  }
  return out;
}

caf::expected<join_targets> parse_join_list(std::string_view text) {
  constexpr env_option join_option{"--join", "", ""};
  auto items = split_list(text);
  if (items.size() > max_listed_addresses)
    return bad(join_option, "at most " + std::to_string(max_listed_addresses) + " items");
  join_targets out;
  for (size_t i = 0; i < items.size(); ++i) {
    auto item = items[i];
    auto nth = "item " + std::to_string(i + 1);
    if (item.empty())
      return bad(join_option, nth + " is empty");
    socket_address seed;
    if (item.rfind("rpcnet", 0) == 0 && item.find('@') != std::string_view::npos) {
      auto token = parse_join_token(item);
      if (!token && items.size() == 1)
        return std::move(token.error());
      if (!token)
        return make_error(error::config, message_of(token.error()) + " (--join " + nth + ")");
      if (out.key && *out.key != token->key)
        return bad(join_option, nth + " carries another cluster key than the tokens before it");
      out.key = std::move(token->key);
      seed = token->director;
    } else {
      auto addr = parse_address(join_option, item);
      if (!addr && code_of(addr.error()) == error::config
          && item.find(':') == std::string_view::npos)
        return bad(join_option, "'" + std::string{item}
                                  + "' is neither a join token (rpcnet1.<key>.<check>@"
                                    "<host:port>) nor a host:port");
      if (!addr)
        return std::move(addr.error());
      seed = *addr;
    }
    if (std::find(out.seeds.begin(), out.seeds.end(), seed) != out.seeds.end())
      return bad(join_option, seed.to_string() + " is listed twice");
    out.seeds.push_back(seed);
  }
  return out;
}

} // namespace rpcnet::cli
