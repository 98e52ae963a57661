#include <rpcnet/actors/call_metadata.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace rpcnet {

namespace {

/// Per pair on the wire: key length (u8) and value length (u16).
constexpr size_t pair_overhead = 3;

/// Longest key and value the wire's length fields can carry.
constexpr size_t max_key_size = 255;
constexpr size_t max_value_size = 65535;

/// Per byte value: whether it may be in a key (a-z 0-9 - _ .).
constexpr std::array<bool, 256> key_bytes = [] {
  std::array<bool, 256> allowed{};
  for (int c = 0; c < 256; ++c)
    allowed[c] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
                 || c == '.';
  return allowed;
}();

/// Whether every byte of `key` may be in a key. Keys are short (a word or
/// two), where a table beats the word-wide tricks below; without an early
/// exit, so the compiler unrolls it.
bool all_key_bytes(std::string_view key) noexcept {
  bool ok = true;
  for (char c : key)
    ok &= key_bytes[static_cast<uint8_t>(c)];
  return ok;
}

/// Whether every byte of `text` is printable ASCII (0x20 to 0x7e). Every
/// call's text values are checked on the receiving side, so eight bytes at
/// a time, with the classic word tricks "has a byte less than n" and "has
/// a byte more than n" (exact for whether any byte does, for n <= 128). A
/// tail is read as the text's last eight bytes (overlapping: some are
/// checked twice), or padded with spaces when the whole text is shorter.
bool all_printable(std::string_view text) noexcept {
  constexpr uint64_t lanes = 0x0101010101010101u;
  constexpr uint64_t highs = 0x8080808080808080u;
  auto unprintable = [](uint64_t w) { return ((w - lanes * 0x20) & ~w) | (w + lanes) | w; };
  const char* p = text.data();
  size_t n = text.size();
  uint64_t w = lanes * ' ';
  if (n < 8) {
    if (n > 0)
      std::memcpy(&w, p, n);
    return (unprintable(w) & highs) == 0;
  }
  uint64_t broken = 0;
  for (; n >= 8; p += 8, n -= 8) {
    std::memcpy(&w, p, 8);
    broken |= unprintable(w);
  }
  if (n > 0) {
    std::memcpy(&w, p + n - 8, 8);
    broken |= unprintable(w);
  }
  return (broken & highs) == 0;
}

constexpr bool is_printable(char c) noexcept {
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

call_metadata::storage& call_metadata::mutable_storage() {
  // Sole owners change the pairs in place: a copy on another thread would
  // hold a second reference, so use_count() == 1 cannot race with one.
  if (!shared_)
    shared_ = std::make_shared<storage>();
  else if (shared_.use_count() > 1)
    shared_ = std::make_shared<storage>(*shared_);
  else
    shared_->valid.store(false, std::memory_order_relaxed);
  return *shared_;
}

void call_metadata::append(storage& s, std::string_view key, std::string_view value) {
  if (key.size() > UINT32_MAX || value.size() > UINT32_MAX)
    throw std::length_error("call_metadata: a key or value of 4 GiB or more");
  uint32_t len[2] = {static_cast<uint32_t>(key.size()), static_cast<uint32_t>(value.size())};
  s.bytes.append(reinterpret_cast<const char*>(len), sizeof len);
  s.bytes.append(key);
  s.bytes.append(value);
  s.count += 1;
  s.wire_size += pair_overhead + key.size() + value.size();
}

void call_metadata::add(std::string_view key, std::string_view value) {
  auto& s = mutable_storage();
  // A view into these very pairs (md.add("copy", *md.get("k"))) would
  // dangle once the buffer grows: such views are copied first.
  auto inside = [&](std::string_view v) {
    return !v.empty() && v.data() >= s.bytes.data() && v.data() < s.bytes.data() + s.bytes.size();
  };
  if (inside(key) || inside(value)) {
    std::string k{key}, v{value};
    append(s, k, v);
  } else {
    append(s, key, value);
  }
}

void call_metadata::set(std::string_view key, std::string_view value) {
  // erase() rewrites the buffer that either view may point into.
  std::string k{key}, v{value};
  erase(k);
  add(k, v);
}

void call_metadata::reserve(size_t pairs, size_t text_bytes) {
  auto& s = mutable_storage();
  s.bytes.reserve(s.bytes.size() + pairs * header_size + text_bytes);
}

void call_metadata::erase(std::string_view key) {
  if (!get(key))
    return;
  storage kept;
  for (auto [k, v] : entries())
    if (k != key)
      append(kept, k, v);
  // A fresh storage: other copies keep the old pairs, and no check of the
  // old pairs holds for the new ones.
  shared_ = kept.count == 0 ? nullptr : std::make_shared<storage>(std::move(kept));
}

std::optional<std::string_view> call_metadata::get(std::string_view key) const {
  for (auto [k, v] : entries())
    if (k == key)
      return v;
  return std::nullopt;
}

std::vector<std::string_view> call_metadata::get_all(std::string_view key) const {
  std::vector<std::string_view> out;
  for (auto [k, v] : entries())
    if (k == key)
      out.push_back(v);
  return out;
}

bool is_binary_key(std::string_view key) noexcept {
  return key.ends_with("-bin");
}

bool is_valid_metadata_key(std::string_view key) noexcept {
  return !key.empty() && key.size() <= max_key_size && all_key_bytes(key);
}

bool is_valid_metadata_value(std::string_view key, std::string_view value) noexcept {
  return value.size() <= max_value_size && (is_binary_key(key) || all_printable(value));
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
  // Pairs found valid before are not walked again: the rules hold for
  // them whatever the limit, and their size is kept.
  if (!md.shared_ || !md.shared_->valid.load(std::memory_order_relaxed)) {
    for (auto [k, v] : md.entries()) {
      if (!is_valid_metadata_key(k))
        return metadata_key_problem(k);
      if (!is_valid_metadata_value(k, v))
        return metadata_value_problem(k, v);
    }
    if (md.shared_)
      md.shared_->valid.store(true, std::memory_order_relaxed);
  }
  auto n = md.wire_size();
  if (n > max_size)
    return "metadata of " + std::to_string(n) + " bytes exceeds the limit of "
           + std::to_string(max_size);
  return {};
}

} // namespace rpcnet
