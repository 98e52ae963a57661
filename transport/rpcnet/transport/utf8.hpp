// UTF-8 as RFC 3629 defines it, for text that arrives from the network or a
// user: which byte sequences are well-formed (no overlong forms, no
// surrogates, nothing above U+10FFFF), which code points a terminal acts on
// instead of showing, and the escaped form in which such text is printed.
// The library's log, the CLI's log and member table, and the gossip field
// rules all judge text here, so they agree on what is printable.
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
/// U+009F, the 8-bit forms of ESC's sequences).
constexpr bool is_control(uint32_t code_point) noexcept {
  return code_point < 0x20 || (code_point >= 0x7f && code_point <= 0x9f);
}

/// Control characters, and the code points that make a line read
/// differently from its bytes: the line and paragraph separators and the
/// bidirectional marks, embeddings, overrides and isolates.
constexpr bool acts_on_terminal(uint32_t c) noexcept {
  return is_control(c) || c == 0x200e || c == 0x200f || c == 0x2028 || c == 0x2029
         || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

/// True if `text` is well-formed UTF-8 without anything acts_on_terminal:
/// text that prints as what it says.
bool is_printable(std::string_view text);

/// `text` made safe to print: a backslash as \\ (so an escape in the
/// output is always one), newline, carriage return and tab as \n, \r and
/// \t, other C0 controls and DEL as \xNN, each byte that is not part of
/// well-formed UTF-8 as \xNN, and the other code points acts_on_terminal as
/// \uNNNN. Everything else, multi-byte UTF-8 included, is kept, so the
/// output is printable and says exactly which bytes arrived.
std::string escaped(std::string_view text);

/// `printable` (escaped's output) as a JSON string literal, quotes
/// included: escaped's escapes stay text (a reader sees \x1b, not ESC).
std::string json_string(std::string_view printable);

/// Columns `text` takes on a terminal if it is escaped's output: one per
/// code point (wide characters are not told apart).
size_t display_width(std::string_view text);

} // namespace rpcnet::utf8
