// UTF-8 as RFC 3629 defines it, for text that arrives from the network or a
// user: which byte sequences are well-formed (no overlong forms, no
// surrogates, nothing above U+10FFFF), and which code points are control
// characters that must never reach a log line or a terminal unescaped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace rpcnet::utf8 {

/// The length (1 to 4) of the well-formed UTF-8 sequence that starts at
/// `text[pos]`, or 0 if the bytes there are not one. `code_point` receives
/// the decoded value when it is not null.
size_t sequence_length(std::string_view text, size_t pos, uint32_t* code_point = nullptr);

/// True if every byte of `text` belongs to a well-formed sequence.
bool is_valid(std::string_view text);

/// C0 controls (U+0000 to U+001F), DEL (U+007F) and C1 controls (U+0080 to
/// U+009F).
constexpr bool is_control(uint32_t code_point) noexcept {
  return code_point < 0x20 || (code_point >= 0x7f && code_point <= 0x9f);
}

/// True if `text` is well-formed UTF-8 without control characters: text
/// that prints as what it says.
bool is_printable(std::string_view text);

/// `text` with every byte that is not part of a printable sequence written
/// as \xNN (and a backslash as \\): what is printed is what arrived, and
/// nothing in it can move a terminal's cursor or break a line.
std::string escaped(std::string_view text);

} // namespace rpcnet::utf8
