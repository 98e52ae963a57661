// Well-formedness of UTF-8 (see utf8.hpp): the table of RFC 3629, section 4.
#include <rpcnet/transport/utf8.hpp>

#include <rpcnet/transport/hex.hpp>

namespace rpcnet::utf8 {

namespace {

constexpr bool in(unsigned char byte, unsigned char low, unsigned char high) noexcept {
  return byte >= low && byte <= high;
}

} // namespace

size_t sequence_length(std::string_view text, size_t pos, uint32_t* code_point) {
  auto at = [&](size_t i) { return static_cast<unsigned char>(text[pos + i]); };
  if (pos >= text.size())
    return 0;
  auto left = text.size() - pos;
  auto lead = at(0);
  size_t length = 0;
  // The second byte's range depends on the lead byte: this is what rules
  // out overlong forms (E0, F0), surrogates (ED) and values past U+10FFFF (F4).
  unsigned char second_low = 0x80;
  unsigned char second_high = 0xbf;
  uint32_t value = 0;
  if (lead < 0x80) {
    length = 1;
    value = lead;
  } else if (in(lead, 0xc2, 0xdf)) {
    length = 2;
    value = lead & 0x1fu;
  } else if (in(lead, 0xe0, 0xef)) {
    length = 3;
    value = lead & 0x0fu;
    if (lead == 0xe0)
      second_low = 0xa0;
    else if (lead == 0xed)
      second_high = 0x9f;
  } else if (in(lead, 0xf0, 0xf4)) {
    length = 4;
    value = lead & 0x07u;
    if (lead == 0xf0)
      second_low = 0x90;
    else if (lead == 0xf4)
      second_high = 0x8f;
  } else {
    return 0;
  }
  if (left < length)
    return 0;
  for (size_t i = 1; i < length; ++i) {
    auto byte = at(i);
    auto low = i == 1 ? second_low : static_cast<unsigned char>(0x80);
    auto high = i == 1 ? second_high : static_cast<unsigned char>(0xbf);
    if (!in(byte, low, high))
      return 0;
    value = (value << 6) | (byte & 0x3fu);
  }
  if (code_point)
    *code_point = value;
  return length;
}

namespace {

/// Walks `text` sequence by sequence; false at the first ill-formed one or
/// the first code point `refuse` rejects.
template <class Refuse>
bool all_sequences(std::string_view text, Refuse refuse) {
  for (size_t pos = 0; pos < text.size();) {
    uint32_t cp = 0;
    auto n = sequence_length(text, pos, &cp);
    if (n == 0 || refuse(cp))
      return false;
    pos += n;
  }
  return true;
}

} // namespace

namespace {

void append_escape(std::string& out, char kind, uint32_t value, int digits) {
  out += '\\';
  out += kind;
  for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4)
    out += hex::digits[(value >> shift) & 0xf];
}

} // namespace

std::string escaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    uint32_t cp = 0;
    auto n = sequence_length(text, pos, &cp);
    if (n == 0) {
      // One byte of an ill-formed sequence: a well-formed one right after
      // it is kept.
      append_escape(out, 'x', static_cast<unsigned char>(text[pos]), 2);
      ++pos;
      continue;
    }
    switch (cp) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (cp < 0x20 || cp == 0x7f)
          append_escape(out, 'x', cp, 2);
        else if (acts_on_terminal(cp))
          append_escape(out, 'u', cp, 4);
        else
          out.append(text.substr(pos, n));
    }
    pos += n;
  }
  return out;
}

size_t display_width(std::string_view text) {
  size_t width = 0;
  for (unsigned char c : text)
    width += (c & 0xc0) != 0x80 ? 1 : 0;
  return width;
}

bool is_valid(std::string_view text) {
  return all_sequences(text, [](uint32_t) { return false; });
}

bool is_printable(std::string_view text) {
  return all_sequences(text, [](uint32_t cp) { return acts_on_terminal(cp); });
}

std::string json_string(std::string_view printable) {
  std::string out;
  out.reserve(printable.size() + 2);
  out += '"';
  for (char c : printable) {
    // No control character is left, so these two are all JSON asks for.
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

} // namespace rpcnet::utf8
