// Base64 encoding in both alphabets and strict URL-safe decoding.
#include "base64.hpp"

#include <algorithm>

namespace rpcnet::cli {

namespace {

constexpr std::string_view standard_alphabet
  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view url_alphabet
  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode(std::span<const uint8_t> bytes, std::string_view alphabet, bool pad) {
  std::string out;
  for (size_t at = 0; at < bytes.size(); at += 3) {
    size_t n = std::min<size_t>(3, bytes.size() - at);
    uint32_t group = 0;
    for (size_t i = 0; i < 3; ++i)
      group = (group << 8) | (i < n ? bytes[at + i] : 0u);
    // n bytes take n + 1 characters of six bits each.
    for (size_t i = 0; i <= n; ++i)
      out += alphabet[(group >> (18 - 6 * i)) & 0x3F];
    if (pad)
      out.append(3 - n, '=');
  }
  return out;
}

} // namespace

std::string encode_base64(std::span<const uint8_t> bytes) {
  return encode(bytes, standard_alphabet, true);
}

std::string encode_base64url(std::span<const uint8_t> bytes) {
  return encode(bytes, url_alphabet, false);
}

std::optional<std::vector<uint8_t>> decode_base64url(std::string_view text) {
  // A final group of one character would carry six bits, less than a byte.
  if (text.size() % 4 == 1)
    return std::nullopt;
  std::vector<uint8_t> out;
  uint32_t bits = 0;
  int held = 0;
  for (char c : text) {
    auto value = url_alphabet.find(c);
    if (value == std::string_view::npos)
      return std::nullopt;
    bits = (bits << 6) | static_cast<uint32_t>(value);
    held += 6;
    if (held >= 8) {
      held -= 8;
      out.push_back(static_cast<uint8_t>(bits >> held));
      bits &= (1u << held) - 1;
    }
  }
  // Left-over bits are padding: set ones would give a second spelling.
  if (bits != 0)
    return std::nullopt;
  return out;
}

} // namespace rpcnet::cli
