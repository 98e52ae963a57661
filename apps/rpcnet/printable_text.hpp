// Text that came over the network (member addresses, tags, labels, error
// messages of peers) made safe to print on a terminal or in a log: valid
// UTF-8 on one line, with nothing that moves the cursor, clears the screen,
// reorders the line or forges a line of its own. log.cpp applies it to every
// log line and error, member_table_format.cpp to every cell it prints, so
// no call site has to remember.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace rpcnet::cli {

/// `text` with every character that is not plainly printable written as an
/// escape: a backslash as \\ (so an escape in the output is always one),
/// newline, carriage return and tab as \n, \r and \t, other C0 controls and
/// DEL as \xNN, each byte that is not part of well-formed UTF-8 as \xNN, and
/// C1 controls, the line and paragraph separators and the bidirectional
/// controls as \uNNNN. Everything else, multi-byte UTF-8 included, is kept.
std::string printable_text(std::string_view text);

/// Columns `text` takes on a terminal if it is printable_text's output: one
/// per code point (wide characters are not told apart).
size_t display_width(std::string_view text);

} // namespace rpcnet::cli
