// Escaping of control characters and malformed UTF-8; see printable_text.hpp.
#include "printable_text.hpp"

#include <cstdio>

namespace rpcnet::cli {

namespace {

/// One code point decoded from UTF-8, or size 0 where the bytes are not
/// well-formed (RFC 3629: no overlong forms, no surrogates, nothing above
/// U+10FFFF, no sequence cut short).
struct code_point {
  char32_t value = 0;
  size_t size = 0;
};

code_point decode_utf8(std::string_view text, size_t at) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  auto lead = byte(at);
  if (lead < 0x80)
    return {lead, 1};
  // The lead byte says the length, the bits it carries and the least
  // value that length may hold (anything less is an overlong form).
  struct form {
    unsigned char mask, bits;
    size_t size;
    char32_t lowest;
  };
  static constexpr form forms[] = {{0xE0, 0xC0, 2, 0x80}, {0xF0, 0xE0, 3, 0x800},
                                   {0xF8, 0xF0, 4, 0x10000}};
  const form* match = nullptr;
  for (const auto& f : forms)
    if ((lead & f.mask) == f.bits)
      match = &f;
  if (match == nullptr)
    return {};
  size_t size = match->size;
  char32_t value = lead & static_cast<unsigned char>(~match->mask);
  char32_t lowest = match->lowest;
  if (at + size > text.size())
    return {};
  for (size_t i = 1; i < size; ++i) {
    auto next = byte(at + i);
    if ((next & 0xC0) != 0x80)
      return {};
    value = (value << 6) | (next & 0x3F);
  }
  if (value < lowest || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
    return {};
  return {value, size};
}

/// Code points above ASCII that a terminal acts on instead of showing:
/// C1 controls (ESC's 8-bit forms), line and paragraph separators, and the
/// bidirectional marks, embeddings, overrides and isolates that make a line
/// read differently from its bytes.
bool acts_on_terminal(char32_t c) {
  return (c >= 0x80 && c <= 0x9F) || c == 0x200E || c == 0x200F || c == 0x2028 || c == 0x2029
         || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

void append_escape(std::string& out, const char* format, unsigned value) {
  char buf[16];
  std::snprintf(buf, sizeof buf, format, value);
  out += buf;
}

} // namespace

std::string printable_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t at = 0; at < text.size();) {
    auto cp = decode_utf8(text, at);
    if (cp.size == 0) {
      append_escape(out, "\\x%02x", static_cast<unsigned char>(text[at]));
      ++at;
      continue;
    }
    switch (cp.value) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (cp.value < 0x20 || cp.value == 0x7F)
          append_escape(out, "\\x%02x", static_cast<unsigned>(cp.value));
        else if (acts_on_terminal(cp.value))
          append_escape(out, "\\u%04x", static_cast<unsigned>(cp.value));
        else
          out.append(text.substr(at, cp.size));
    }
    at += cp.size;
  }
  return out;
}

size_t display_width(std::string_view text) {
  size_t width = 0;
  for (unsigned char c : text)
    width += (c & 0xC0) != 0x80 ? 1 : 0;
  return width;
}

} // namespace rpcnet::cli
