#include <rpcnet/actors/call_metadata.hpp>

#include <algorithm>
#include <array>
#include <cstdint>

namespace rpcnet {

namespace {

/// Per pair on the wire: key length (u8) and value length (u16).
constexpr size_t pair_overhead = 3;

/// Longest key and value the wire's length fields can carry.
constexpr size_t max_key_size = 255;
constexpr size_t max_value_size = 65535;

constexpr bool is_key_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

constexpr bool is_printable(char c) noexcept {
  return c >= 0x20 && c < 0x7f;
}

/// Per byte value: bit 0 set when it may not be in a key, bit 1 when it
/// may not be in a text value.
constexpr std::array<uint8_t, 256> byte_rules = [] {
  std::array<uint8_t, 256> rules{};
  for (int b = 0; b < 256; ++b) {
    auto c = static_cast<char>(b);
    rules[b] = static_cast<uint8_t>((is_key_char(c) ? 0 : 1) | (is_printable(c) ? 0 : 2));
  }
  return rules;
}();

/// Whether every byte of `text` keeps rule `bit`. Every call's metadata is
/// checked on both sides, so without an early exit: one load and one or
/// per byte, which the compiler unrolls.
bool all_bytes_keep(std::string_view text, uint8_t bit) noexcept {
  uint8_t broken = 0;
  for (char c : text)
    broken |= byte_rules[static_cast<uint8_t>(c)];
  return (broken & bit) == 0;
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

const std::vector<call_metadata::entry>& call_metadata::no_entries() noexcept {
  static const std::vector<entry> none;
  return none;
}

std::vector<call_metadata::entry>& call_metadata::mutable_entries() {
  // Sole owners change the pairs in place: a copy on another thread would
  // hold a second reference, so use_count() == 1 cannot race with one.
  if (!shared_)
    shared_ = std::make_shared<storage>();
  else if (shared_.use_count() > 1)
    shared_ = std::make_shared<storage>(shared_->entries);
  else
    shared_->valid_wire_size.store(0, std::memory_order_relaxed);
  return shared_->entries;
}

void call_metadata::add(std::string key, std::string value) {
  mutable_entries().emplace_back(std::move(key), std::move(value));
}

void call_metadata::set(std::string key, std::string value) {
  erase(key);
  add(std::move(key), std::move(value));
}

void call_metadata::erase(std::string_view key) {
  if (!get(key))
    return;
  std::erase_if(mutable_entries(), [&](const entry& e) { return e.first == key; });
}

std::optional<std::string_view> call_metadata::get(std::string_view key) const {
  for (const auto& [k, v] : entries())
    if (k == key)
      return std::string_view{v};
  return std::nullopt;
}

std::vector<std::string_view> call_metadata::get_all(std::string_view key) const {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : entries())
    if (k == key)
      out.emplace_back(v);
  return out;
}

size_t call_metadata::wire_size() const noexcept {
  size_t n = 0;
  for (const auto& [k, v] : entries())
    n += pair_overhead + k.size() + v.size();
  return n;
}

bool is_binary_key(std::string_view key) noexcept {
  return key.ends_with("-bin");
}

bool is_valid_metadata_key(std::string_view key) noexcept {
  return !key.empty() && key.size() <= max_key_size && all_bytes_keep(key, 1);
}

bool is_valid_metadata_value(std::string_view key, std::string_view value) noexcept {
  return value.size() <= max_value_size && (is_binary_key(key) || all_bytes_keep(value, 2));
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
  size_t n = 0;
  auto known = md.shared_ ? md.shared_->valid_wire_size.load(std::memory_order_relaxed) : 0;
  if (known != 0) {
    n = known - 1; // these very pairs passed the rules before
  } else {
    // One pass: the rules and the size.
    for (const auto& [k, v] : md.entries()) {
      if (!is_valid_metadata_key(k))
        return metadata_key_problem(k);
      if (!is_valid_metadata_value(k, v))
        return metadata_value_problem(k, v);
      n += pair_overhead + k.size() + v.size();
    }
    if (md.shared_)
      md.shared_->valid_wire_size.store(n + 1, std::memory_order_relaxed);
  }
  if (n > max_size)
    return "metadata of " + std::to_string(n) + " bytes exceeds the limit of "
           + std::to_string(max_size);
  return {};
}

} // namespace rpcnet
