// Flag over environment over default, and the checks of each kind of value.
#include "env_options.hpp"

#include <strings.h>

#include <algorithm>
#include <cstdlib>

#include <rpcnet/transport/address_resolver.hpp>
#include <rpcnet/transport/error.hpp>

namespace rpcnet::cli {

namespace {

caf::error bad_value(const env_option& option, std::string_view text, std::string_view want) {
  auto source = std::string{option.flag};
  if (!option.env.empty())
    source += " / " + std::string{option.env};
  return make_error(error::config, "invalid " + source + " value '" + std::string{text}
                                     + "': " + std::string{want});
}

} // namespace

env_lookup process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    if (const char* value = std::getenv(std::string{name}.c_str()))
      return std::string{value};
    return std::nullopt;
  };
}

std::string resolve(const env_option& option, const std::optional<std::string>& flag,
                    const env_lookup& env) {
  if (flag)
    return *flag;
  if (auto value = env(option.env))
    return *value;
  return std::string{option.fallback};
}

caf::expected<socket_address> parse_address(const env_option& option, std::string_view text) {
  auto addr = resolve_address(text);
  if (addr)
    return *addr;
  if (code_of(addr.error()) == error::config)
    return bad_value(option, text, "expected host:port such as 127.0.0.1:61000 or localhost:61000");
  return bad_value(option, text, message_of(addr.error()));
}

caf::expected<bool> parse_switch(const env_option& option, std::string_view text) {
  std::string value{text};
  auto is = [&](const char* word) { return strcasecmp(value.c_str(), word) == 0; };
  if (is("true") || is("1") || is("yes") || is("on"))
    return true;
  if (is("false") || is("0") || is("no") || is("off") || value.empty())
    return false;
  return bad_value(option, text, "expected true or false");
}

caf::expected<log_level> parse_level(const env_option& option, std::string_view text) {
  if (auto level = parse_log_level(text))
    return *level;
  return bad_value(option, text, "expected debug, info, warn, error or off");
}

caf::expected<log_format> parse_format(const env_option& option, std::string_view text) {
  if (auto format = parse_log_format(text))
    return *format;
  return bad_value(option, text, "expected text or json");
}

caf::expected<std::string> parse_label(const env_option& option, std::string_view text) {
  constexpr size_t max_label = 64;
  bool printable = std::all_of(text.begin(), text.end(),
                               [](unsigned char c) { return c > ' ' && c < 0x7f; });
  if (text.empty() || text.size() > max_label || !printable)
    return bad_value(option, text, "expected 1 to 64 printable characters without spaces");
  return std::string{text};
}

} // namespace rpcnet::cli
