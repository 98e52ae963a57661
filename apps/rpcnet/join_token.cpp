// Writing and checking join tokens; the format is in join_token.hpp.
#include "join_token.hpp"

#include <cstdio>

#include <rpcnet/transport/address_resolver.hpp>
#include <rpcnet/transport/error.hpp>

#include "base64.hpp"

namespace rpcnet::cli {

namespace {

constexpr std::string_view prefix = "rpcnet";
constexpr std::string_view version = "1";
constexpr size_t check_digits = 8;

/// CRC-32 as zlib and Ethernet compute it (reflected, polynomial 0xEDB88320).
uint32_t crc32(std::string_view text) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : text) {
    crc ^= c;
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

std::string check_of(std::string_view key, std::string_view address) {
  std::string covered{prefix};
  covered += version;
  covered += '.';
  covered += key;
  covered += '@';
  covered += address;
  char hex[check_digits + 1];
  std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(crc32(covered)));
  return hex;
}

caf::error bad_token(const std::string& why) {
  return make_error(error::config, "invalid --join token: " + why);
}

bool valid_key_size(size_t n) {
  return n == 16 || n == 24 || n == 32;
}

} // namespace

std::string format_join_token(const join_token& token) {
  auto key = encode_base64url(token.key);
  auto address = token.director.to_string();
  return std::string{prefix} + std::string{version} + "." + key + "." + check_of(key, address)
         + "@" + address;
}

caf::expected<join_token> parse_join_token(std::string_view text) {
  constexpr auto npos = std::string_view::npos;
  const std::string form = "expected rpcnet1.<key>.<check>@<host:port>";
  auto at = text.find('@');
  auto head = text.substr(0, at);
  auto first_dot = head.find('.');
  auto name = head.substr(0, first_dot);
  if (name.substr(0, prefix.size()) != prefix)
    return bad_token("not an rpcnet join token (" + form + ")");
  auto named = name.substr(prefix.size());
  if (named != version) {
    bool number = !named.empty() && named.size() <= 4
                  && named.find_first_not_of("0123456789") == npos;
    if (!number)
      return bad_token("not an rpcnet join token (" + form + ")");
    return bad_token("it is of format version " + std::string{named}
                     + ", and this rpcnet reads version 1");
  }
  if (at == npos)
    return bad_token("it has no @<host:port>: cut short? (" + form + ")");
  auto fields = first_dot == npos ? std::string_view{} : head.substr(first_dot + 1);
  auto second_dot = fields.find('.');
  if (second_dot == npos || fields.find('.', second_dot + 1) != npos)
    return bad_token(form);
  auto key_text = fields.substr(0, second_dot);
  auto address = text.substr(at + 1);
  if (fields.substr(second_dot + 1) != check_of(key_text, address))
    return bad_token("its check digits do not match: it was mistyped or cut short");
  auto key = decode_base64url(key_text);
  if (!key || !valid_key_size(key->size()))
    return bad_token("its key is not 16, 24 or 32 bytes of base64url");
  // A director prints its numeric address, but an operator may hand out a
  // token naming it ("director.internal:61000"): resolved here, as the CLI
  // resolves its flags.
  auto director = resolve_address(address);
  if (!director && code_of(director.error()) == error::config)
    return bad_token("its address is not a host:port");
  if (!director)
    return bad_token("its address: " + message_of(director.error()));
  return join_token{*director, std::move(*key)};
}

} // namespace rpcnet::cli
