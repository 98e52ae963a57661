// Base64 (RFC 4648) in the two forms the CLI writes a cluster key in: the
// standard alphabet with padding, as key files and RPCNET_CLUSTER_KEY hold it
// (read back by transport's decode_base64_key), and the URL-safe alphabet
// without padding inside a join token, whose letters, digits, '-' and '_'
// survive copy-paste, shells and URLs.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rpcnet::cli {

/// Standard alphabet, padded with '='.
std::string encode_base64(std::span<const uint8_t> bytes);

/// URL-safe alphabet, no padding.
std::string encode_base64url(std::span<const uint8_t> bytes);

/// The bytes of encode_base64url's output; nullopt for any other text
/// (a character outside the alphabet, padding, a length no encoding has, or
/// unused low bits that are not zero), so each byte string has exactly one
/// accepted spelling.
std::optional<std::vector<uint8_t>> decode_base64url(std::string_view text);

} // namespace rpcnet::cli
