// call_metadata (rpcnet/actors/call_metadata.hpp) as a container: pairs
// kept in order in one buffer, views that survive being added back to the
// same metadata, copy on write, and key and value rules checked word by
// word that agree, byte for byte and at every length, with the rules as
// written (a-z 0-9 - _ . for keys; printable ASCII for text values).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include <rpcnet/actors/call_metadata.hpp>

using namespace rpcnet;

namespace {

using pairs = std::vector<std::pair<std::string, std::string>>;

pairs pairs_of(const call_metadata& md) {
  pairs out;
  for (auto [k, v] : md.entries())
    out.emplace_back(k, v);
  return out;
}

bool key_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

bool printable(unsigned char c) {
  return c >= 0x20 && c <= 0x7e;
}

/// How often `rule` of a text of 1 to 19 bytes (word-sized and not) with
/// byte `b` at any one place and `filler` elsewhere disagrees with
/// `byte_rule(b)`.
template <class Rule, class ByteRule>
size_t disagreements_with(Rule rule, ByteRule byte_rule, char filler) {
  size_t n = 0;
  for (size_t len = 1; len <= 19; ++len)
    for (size_t at = 0; at < len; ++at)
      for (int b = 0; b < 256; ++b) {
        std::string text(len, filler);
        text[at] = static_cast<char>(b);
        if (rule(text) != byte_rule(static_cast<unsigned char>(b)))
          ++n;
      }
  return n;
}

} // namespace

TEST_CASE("metadata keeps its pairs in order with repeated keys and empty values",
          "[call_metadata]") {
  call_metadata md;
  CHECK(md.empty());
  CHECK(md.entries().begin() == md.entries().end());
  md.add("b", "2");
  md.add("a", "");
  md.add("b", "3");
  CHECK(pairs_of(md) == pairs{{"b", "2"}, {"a", ""}, {"b", "3"}});
  CHECK(md.size() == 3);
  CHECK(md.entries().size() == 3);
  CHECK(md.get("b") == "2");
  CHECK(md.get("a") == "");
  CHECK_FALSE(md.get("c"));
  CHECK(md.get_all("b") == std::vector<std::string_view>{"2", "3"});
  // Per pair on the wire: one key length byte and two value length bytes.
  CHECK(md.wire_size() == (3 + 1 + 1) + (3 + 1 + 0) + (3 + 1 + 1));
}

TEST_CASE("set replaces every value of a key and erase removes them all",
          "[call_metadata]") {
  call_metadata md;
  md.add("k", "1");
  md.add("other", "x");
  md.add("k", "2");
  md.set("k", "3");
  CHECK(pairs_of(md) == pairs{{"other", "x"}, {"k", "3"}});
  md.erase("other");
  CHECK(pairs_of(md) == pairs{{"k", "3"}});
  CHECK(md.wire_size() == 3 + 1 + 1);
  md.erase("k");
  CHECK(md.empty());
  CHECK(md.wire_size() == 0);
  md.erase("never-there");
  CHECK(md.empty());
}

TEST_CASE("a pair added from a view into the same metadata is copied before the buffer grows",
          "[call_metadata]") {
  call_metadata md;
  md.add("original", std::string(100, 'v'));
  // Many adds, so the buffer moves at least once while a view points into it.
  for (int i = 0; i < 20; ++i)
    md.add("copy", *md.get("original"));
  for (auto value : md.get_all("copy"))
    CHECK(value == std::string(100, 'v'));
  md.set("original", md.get_all("copy").back());
  CHECK(md.get("original") == std::string(100, 'v'));
  auto [key, value] = *md.entries().begin();
  md.set(key, value); // both views point into what set rewrites
  CHECK(md.get("copy") == std::string(100, 'v'));
}

TEST_CASE("copies of metadata share their pairs until one of them changes",
          "[call_metadata]") {
  call_metadata md;
  md.add("tenant", "blue");
  auto copy = md;
  CHECK(copy == md);
  copy.add("extra", "1");
  CHECK(pairs_of(md) == pairs{{"tenant", "blue"}});
  CHECK(pairs_of(copy) == pairs{{"tenant", "blue"}, {"extra", "1"}});
  CHECK_FALSE(copy == md);
  copy.erase("extra");
  CHECK(copy == md);
  CHECK(call_metadata{} == call_metadata{});
}

TEST_CASE("the key rule checked a word at a time agrees with a-z 0-9 - _ . at every length "
          "and position",
          "[call_metadata]") {
  auto key_rule = [](const std::string& key) { return is_valid_metadata_key(key); };
  CHECK(disagreements_with(key_rule, key_char, 'k') == 0);
  CHECK_FALSE(is_valid_metadata_key(""));
  CHECK(is_valid_metadata_key(std::string(255, 'a')));
  CHECK_FALSE(is_valid_metadata_key(std::string(256, 'a')));
}

TEST_CASE("the text value rule checked a word at a time agrees with printable ASCII at every "
          "length and position",
          "[call_metadata]") {
  auto text_rule = [](const std::string& v) { return is_valid_metadata_value("k", v); };
  CHECK(disagreements_with(text_rule, printable, 'v') == 0);
  // Binary keys take any byte.
  auto binary_rule = [](const std::string& v) { return is_valid_metadata_value("k-bin", v); };
  CHECK(disagreements_with(binary_rule, [](unsigned char) { return true; }, 'v') == 0);
  CHECK(is_valid_metadata_value("k", ""));
  CHECK(is_valid_metadata_value("k", std::string(65535, ' ')));
  CHECK_FALSE(is_valid_metadata_value("k", std::string(65536, ' ')));
}
