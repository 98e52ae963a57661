// The join token: the director's address and the cluster key as one string
// to copy from `rpcnet director`'s output into `rpcnet worker --join` (as
// kubeadm and k3s tokens are), versioned, and checked so that a mistyped or
// cut token is refused instead of read as another key or address:
//
//   rpcnet1.<key>.<check>@<address>
//
//   rpcnet1    the format's name and version (1)
//   <key>      the key in base64url without padding: 22, 32 or 43 characters
//              for a 16, 24 or 32-byte key
//   <check>    8 lowercase hex digits: the CRC-32 (IEEE 802.3) of the token
//              without ".<check>", i.e. of "rpcnet1.<key>@<address>"
//   <address>  the director's host:port: as socket_address prints it when
//              the director makes the token, "127.0.0.1:61000" or
//              "[::1]:61000"; a name ("director.internal:61000") in a
//              token made by hand is resolved when the token is read
//
// Neither base64url nor hex has '.' or '@', so the token splits at its first
// '@' and the two dots before it whatever the address holds. A CRC-32 over
// the text catches every change of one character and every truncation of
// the address; it is a typo check, not a signature (the key is the secret).
// README.md describes it for users ("Cluster keys and join tokens").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include <rpcnet/transport/socket_address.hpp>

namespace rpcnet::cli {

struct join_token {
  socket_address director;
  std::vector<uint8_t> key;
};

/// The token's text. `token.key` is 16, 24 or 32 bytes.
std::string format_join_token(const join_token& token);

/// The token `text` spells, its address resolved if it is a name; a config
/// error saying what is wrong otherwise, which never repeats the text,
/// since it holds a key.
caf::expected<join_token> parse_join_token(std::string_view text);

} // namespace rpcnet::cli
