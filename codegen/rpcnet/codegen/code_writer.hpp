// Builds generated source text line by line with two-space indentation, so
// emitters say what to write and never count spaces.
#pragma once

#include <string>
#include <string_view>

namespace rpcnet::codegen {

class code_writer {
public:
  /// One line at the current indentation; an empty line stays empty.
  code_writer& line(std::string_view text = {}) {
    if (!text.empty())
      out_.append(static_cast<size_t>(depth_) * 2, ' ').append(text);
    out_ += '\n';
    return *this;
  }

  /// `text` (lines split at '\n') as a `///` comment; nothing when empty.
  /// `more_follows` adds an empty `///` line to separate what comes next.
  code_writer& doc(std::string_view text, bool more_follows = false) {
    if (text.empty())
      return *this;
    for (;;) {
      auto end = text.find('\n');
      auto part = text.substr(0, end);
      line(part.empty() ? std::string{"///"} : "/// " + std::string{part});
      if (end == std::string_view::npos)
        break;
      text.remove_prefix(end + 1);
    }
    if (more_follows)
      line("///");
    return *this;
  }

  /// A line that opens a block: what follows is indented.
  code_writer& open(std::string_view text) {
    line(text);
    ++depth_;
    return *this;
  }

  /// A line that closes a block.
  code_writer& close(std::string_view text = "}") {
    if (depth_ > 0)
      --depth_;
    return line(text);
  }

  /// An access specifier ("public:"), one level out as in hand-written code.
  code_writer& access(std::string_view text) {
    --depth_;
    line(text);
    ++depth_;
    return *this;
  }

  /// A CAF-style section label ("// -- title ----") between blank lines.
  code_writer& section(std::string_view title) {
    std::string label = "// -- " + std::string{title} + " ";
    auto width = 80 - static_cast<size_t>(depth_) * 2;
    if (label.size() < width)
      label.append(width - label.size(), '-');
    return line().line(label).line();
  }

  const std::string& str() const noexcept {
    return out_;
  }

private:
  std::string out_;
  int depth_ = 0;
};

} // namespace rpcnet::codegen
