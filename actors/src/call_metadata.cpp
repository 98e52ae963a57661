#include <rpcnet/actors/call_metadata.hpp>

#include <algorithm>
#include <cstdint>

namespace rpcnet {

namespace {

/// Per pair on the wire: key length (u8) and value length (u16).
constexpr size_t pair_overhead = 3;

/// Longest key and value the wire's length fields can carry.
constexpr size_t max_key_size = 255;
constexpr size_t max_value_size = 65535;

bool is_key_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

bool is_printable(char c) noexcept {
  return c >= 0x20 && c < 0x7f;
}

/// A key or value as a message may quote it: short, and only printable.
std::string quoted(std::string_view text) {
  std::string out = "'";
  for (char c : text.substr(0, 40))
    out += is_printable(c) ? c : '?';
  if (text.size() > 40)
    out += "...";
  return out + "'";
}

} // namespace

void call_metadata::add(std::string key, std::string value) {
  entries_.emplace_back(std::move(key), std::move(value));
}

void call_metadata::set(std::string key, std::string value) {
  erase(key);
  add(std::move(key), std::move(value));
}

void call_metadata::erase(std::string_view key) {
  std::erase_if(entries_, [&](const entry& e) { return e.first == key; });
}

std::optional<std::string_view> call_metadata::get(std::string_view key) const {
  for (const auto& [k, v] : entries_)
    if (k == key)
      return std::string_view{v};
  return std::nullopt;
}

std::vector<std::string_view> call_metadata::get_all(std::string_view key) const {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : entries_)
    if (k == key)
      out.emplace_back(v);
  return out;
}

size_t call_metadata::wire_size() const noexcept {
  size_t n = 0;
  for (const auto& [k, v] : entries_)
    n += pair_overhead + k.size() + v.size();
  return n;
}

bool is_binary_key(std::string_view key) noexcept {
  return key.ends_with("-bin");
}

bool is_valid_metadata_key(std::string_view key) noexcept {
  if (key.empty() || key.size() > max_key_size)
    return false;
  for (char c : key)
    if (!is_key_char(c))
      return false;
  return true;
}

bool is_valid_metadata_value(std::string_view key, std::string_view value) noexcept {
  if (value.size() > max_value_size)
    return false;
  if (is_binary_key(key))
    return true;
  for (char c : value)
    if (!is_printable(c))
      return false;
  return true;
}

std::string metadata_key_problem(std::string_view key) {
  if (is_valid_metadata_key(key))
    return {};
  if (key.empty())
    return "an empty metadata key";
  if (key.size() > max_key_size)
    return "a metadata key of " + std::to_string(key.size()) + " bytes (at most "
           + std::to_string(max_key_size) + ")";
  return "metadata key " + quoted(key) + " is not lower-case a-z, 0-9, '-', '_' or '.'";
}

std::string metadata_value_problem(std::string_view key, std::string_view value) {
  if (is_valid_metadata_value(key, value))
    return {};
  if (value.size() > max_value_size)
    return "the value of metadata key " + quoted(key) + " has " + std::to_string(value.size())
           + " bytes (at most " + std::to_string(max_value_size) + ")";
  return "the value of metadata key " + quoted(key)
         + " is not printable ASCII (binary values need a key ending in -bin)";
}

std::string metadata_problem(const call_metadata& md, size_t max_size) {
  // The wire counts pairs in 16 bits.
  if (md.size() > UINT16_MAX)
    return "more than " + std::to_string(UINT16_MAX) + " metadata pairs";
  for (const auto& [k, v] : md.entries()) {
    if (!is_valid_metadata_key(k))
      return metadata_key_problem(k);
    if (!is_valid_metadata_value(k, v))
      return metadata_value_problem(k, v);
  }
  if (auto n = md.wire_size(); n > max_size)
    return "metadata of " + std::to_string(n) + " bytes exceeds the limit of "
           + std::to_string(max_size);
  return {};
}

} // namespace rpcnet
