// Checking host:port text and resolving names (see address_resolver.hpp).
#include <rpcnet/transport/address_resolver.hpp>

#include <netdb.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>

#include "host_port_syntax.hpp"
#include <rpcnet/transport/error.hpp>
#include <rpcnet/transport/utf8.hpp>

namespace rpcnet {

namespace {

using detail::host_port_problem;

constexpr size_t max_name_length = 253;
constexpr size_t max_label_length = 63;

std::string_view reason(host_port_problem problem) {
  switch (problem) {
    case host_port_problem::none: break;
    case host_port_problem::empty: return "it is empty";
    case host_port_problem::unclosed_bracket: return "no ']' closes the IPv6 address";
    case host_port_problem::no_port_after_bracket: return "no ':port' follows the ']'";
    case host_port_problem::unbracketed_v6:
      return "an IPv6 address is written in brackets, as in [::1]:7000";
    case host_port_problem::no_port: return "it has no ':port'";
    case host_port_problem::bad_port: return "the port is not a number from 0 to 65535";
    case host_port_problem::empty_host: return "the host is empty";
  }
  return "";
}

caf::error malformed(std::string_view text, std::string_view why) {
  // The text may hold anything, a NUL or an escape sequence included.
  return make_error(error::config, "'" + utf8::escaped(text) + "' is not a host:port ("
                                     + std::string{why} + ")");
}

bool is_label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
         || c == '-';
}

/// Why `name` is not a DNS host name (RFC 1123 §2.1); empty if it is one.
std::string_view name_problem(std::string_view name) {
  if (name.back() == '.')
    name.remove_suffix(1);
  if (name.size() > max_name_length)
    return "the name is longer than 253 characters";
  std::string_view last;
  for (size_t begin = 0; begin <= name.size();) {
    auto end = std::min(name.find('.', begin), name.size());
    auto label = name.substr(begin, end - begin);
    if (label.empty())
      return "the name has an empty label";
    if (label.size() > max_label_length)
      return "a label of the name is longer than 63 characters";
    if (!std::all_of(label.begin(), label.end(), is_label_char))
      return "the host is neither an IP address nor a name of letters, digits, '-' and '.'";
    if (label.front() == '-' || label.back() == '-')
      return "a label of the name starts or ends with '-'";
    last = label;
    begin = end + 1;
  }
  if (std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return "the host is neither an IPv4 address nor a name";
  return {};
}

/// RFC 6761 §6.4: "invalid" and the names under it never exist, and
/// resolvers should say so at once rather than ask a DNS server.
bool is_invalid_name(std::string_view name) {
  std::string lower{name};
  if (lower.back() == '.')
    lower.pop_back();
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower == "invalid" || lower.ends_with(".invalid");
}

caf::error unresolved(const std::string& name, std::string_view why) {
  return make_error(error::connection, "cannot resolve '" + name + "': " + std::string{why});
}

struct addrinfo_deleter {
  void operator()(addrinfo* list) const noexcept {
    freeaddrinfo(list);
  }
};

} // namespace

caf::expected<host_port> parse_host_port(std::string_view text) {
  auto parts = detail::split_host_port(text);
  if (parts.problem != host_port_problem::none)
    return malformed(text, reason(parts.problem));
  host_port result{std::string{parts.host}, parts.port, detail::ip_literal(parts)};
  if (result.literal)
    return result;
  if (parts.bracketed)
    return malformed(text, "the brackets do not hold an IPv6 address");
  if (auto problem = name_problem(parts.host); !problem.empty())
    return malformed(text, problem);
  return result;
}

caf::expected<socket_address> resolve_address(std::string_view text) {
  auto parsed = parse_host_port(text);
  if (!parsed)
    return std::move(parsed.error());
  return resolve_address(*parsed);
}

caf::expected<socket_address> resolve_address(const host_port& parsed) {
  if (parsed.literal)
    return *parsed.literal;
  if (is_invalid_name(parsed.host))
    return unresolved(parsed.host, gai_strerror(EAI_NONAME));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(parsed.host.c_str(), nullptr, &hints, &found);
  if (rc == EAI_SYSTEM)
    return unresolved(parsed.host, std::strerror(errno));
  if (rc != 0)
    return unresolved(parsed.host, gai_strerror(rc));
  std::unique_ptr<addrinfo, addrinfo_deleter> list{found};
  const addrinfo* chosen = nullptr;
  for (auto family : {AF_INET, AF_INET6})
    for (const auto* ai = list.get(); ai != nullptr && chosen == nullptr; ai = ai->ai_next)
      if (ai->ai_family == family)
        chosen = ai;
  if (chosen == nullptr)
    return unresolved(parsed.host, "it has no IPv4 or IPv6 address");
  auto addr = socket_address::from_native(chosen->ai_addr, chosen->ai_addrlen);
  // getaddrinfo was given no service, so the port is still ours to set.
  if (addr.family() == AF_INET)
    reinterpret_cast<sockaddr_in*>(addr.native())->sin_port = htons(parsed.port);
  else
    reinterpret_cast<sockaddr_in6*>(addr.native())->sin6_port = htons(parsed.port);
  return addr;
}

} // namespace rpcnet
