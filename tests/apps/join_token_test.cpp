// Tests the join token (apps/rpcnet/join_token.hpp): what the director prints
// reads back as the same address and key, IPv4 and IPv6 alike, a token
// made by hand may name the director's host, and a token
// changed in any one character, cut short anywhere or of another version is
// refused with an error that does not repeat it.
#include <catch2/catch.hpp>

#include <numeric>

#include <rpcnet/transport/error.hpp>

#include "base64.hpp"
#include "join_token.hpp"

using namespace rpcnet;
using namespace rpcnet::cli;

namespace {

join_token token_for(const std::string& address, size_t key_size) {
  auto addr = socket_address::parse(address);
  REQUIRE(addr);
  std::vector<uint8_t> key(key_size);
  std::iota(key.begin(), key.end(), uint8_t{0xA0});
  return {*addr, key};
}

std::string error_of(const std::string& text) {
  auto parsed = parse_join_token(text);
  REQUIRE_FALSE(parsed);
  return message_of(parsed.error());
}

} // namespace

TEST_CASE("a join token reads back as the address and key it was made of", "[token]") {
  for (auto address : {"127.0.0.1:61000", "[::1]:61000", "[fe80::1:2]:7", "10.1.2.3:1"})
    for (size_t size : {16, 24, 32}) {
      auto made = token_for(address, size);
      auto text = format_join_token(made);
      INFO(text);
      auto parsed = parse_join_token(text);
      REQUIRE(parsed);
      CHECK(parsed->director == made.director);
      CHECK(parsed->key == made.key);
    }
}

TEST_CASE("a join token spells its version, key, check and address", "[token]") {
  auto made = token_for("[::1]:61000", 16);
  // The check digits are zlib's crc32 of "rpcnet1.<key>@<address>".
  CHECK(format_join_token(made) == "rpcnet1.oKGio6SlpqeoqaqrrK2urw.42352df0@[::1]:61000");
}

TEST_CASE("a join token changed in any one character is refused", "[token]") {
  for (auto address : {"127.0.0.1:61000", "[::1]:61000"}) {
    auto text = format_join_token(token_for(address, 32));
    size_t refused = 0;
    size_t variants = 0;
    for (size_t at = 0; at < text.size(); ++at)
      for (char c = ' '; c <= '~'; ++c) {
        if (c == text[at])
          continue;
        auto changed = text;
        changed[at] = c;
        ++variants;
        if (!parse_join_token(changed)) {
          ++refused;
        } else {
          FAIL_CHECK("accepted with '" << c << "' at " << at << ": " << changed);
        }
      }
    CHECK(refused == variants);
    CHECK(variants == text.size() * 94);
  }
}

TEST_CASE("a join token cut short anywhere, or with anything added, is refused", "[token]") {
  for (auto address : {"127.0.0.1:61000", "[::1]:61000"}) {
    auto text = format_join_token(token_for(address, 24));
    for (size_t n = 0; n < text.size(); ++n) {
      INFO("the first " << n << " characters");
      CHECK_FALSE(parse_join_token(text.substr(0, n)));
    }
    for (auto extra : {"0", " ", "\n", ".", "@"}) {
      CHECK_FALSE(parse_join_token(text + extra));
      CHECK_FALSE(parse_join_token(extra + text));
    }
  }
}

TEST_CASE("a refused join token is one clear error that does not repeat the key", "[token]") {
  auto text = format_join_token(token_for("127.0.0.1:61000", 32));
  auto key = text.substr(8, 43);
  auto mistyped = text;
  mistyped[10] = mistyped[10] == 'A' ? 'B' : 'A';
  for (const auto& [bad, says] : std::vector<std::pair<std::string, std::string>>{
         {mistyped, "its check digits do not match: it was mistyped or cut short"},
         {text.substr(0, text.size() - 1), "its check digits do not match"},
         {text.substr(0, text.find('@')), "it has no @<host:port>: cut short?"},
         {"rpcnet2" + text.substr(7), "it is of format version 2, and this rpcnet reads version 1"},
         {"kubeadm" + text.substr(7), "not an rpcnet join token"},
         {"", "not an rpcnet join token"},
         {"rpcnet1." + key + "@127.0.0.1:61000", "expected rpcnet1.<key>.<check>@<host:port>"}}) {
    INFO(bad);
    auto message = error_of(bad);
    CHECK(message.rfind("invalid --join token: ", 0) == 0);
    CHECK(message.find(says) != std::string::npos);
    CHECK(message.find(key.substr(0, 8)) == std::string::npos);
  }
}

TEST_CASE("a join token with the right check digits still needs a valid key and address",
          "[token]") {
  // Check digits computed with zlib's crc32, so only the content is wrong.
  CHECK(parse_join_token("rpcnet1.AAAAAAAAAAAAAAAAAAAAAA.97fa2eae@127.0.0.1:1"));
  CHECK(error_of("rpcnet1.AAAA.0fd047ed@127.0.0.1:1")
        == "invalid --join token: its key is not 16, 24 or 32 bytes of base64url");
  CHECK(error_of("rpcnet1._____________________x.5fa37342@127.0.0.1:1")
        == "invalid --join token: its key is not 16, 24 or 32 bytes of base64url");
  CHECK(error_of("rpcnet1.AAAAAAAAAAAAAAAAAAAAAA.d18d9ca9@my host:1")
        == "invalid --join token: its address is not a host:port");
  CHECK(error_of("rpcnet1.AAAAAAAAAAAAAAAAAAAAAA.9c3e6e1c@nowhere.invalid:1")
        == "invalid --join token: its address: cannot resolve 'nowhere.invalid': Name or "
           "service not known");
}

TEST_CASE("a join token made by hand may name the director's host", "[token]") {
  auto token = parse_join_token("rpcnet1.AAAAAAAAAAAAAAAAAAAAAA.7f38d9b2@localhost:1");
  REQUIRE(token);
  CHECK(token->director.to_string() == "127.0.0.1:1");
  CHECK(token->key == std::vector<uint8_t>(16, 0));
}

TEST_CASE("base64url has one spelling per key", "[token]") {
  std::vector<uint8_t> key(16, 0xFF);
  auto text = encode_base64url(key);
  CHECK(text == "_____________________w");
  CHECK(decode_base64url(text) == key);
  // The last character's two unused bits set: the same bytes, refused.
  CHECK_FALSE(decode_base64url("_____________________x"));
  CHECK_FALSE(decode_base64url(text + "="));
  CHECK_FALSE(decode_base64url("AAAAA"));
  CHECK_FALSE(decode_base64url("AA+A"));
  CHECK(decode_base64url("") == std::vector<uint8_t>{});
}
