#include <rpcnet/codegen/tokenizer.hpp>

namespace rpcnet::codegen {

namespace {

bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_ident_char(char c) {
  return is_ident_start(c) || is_digit(c);
}

class scanner {
public:
  explicit scanner(std::string_view text) : text_(text) {
  }

  tokenize_result run() {
    tokenize_result out;
    if (text_.size() > max_definition_bytes)
      return fail(out, "definition is larger than 1 MiB");
    // A UTF-8 byte order mark, as some editors write, is not content.
    if (text_.starts_with("\xEF\xBB\xBF"))
      i_ = 3;
    bool line_start = true;
    while (i_ < text_.size()) {
      char c = text_[i_];
      if (c == '\n') {
        advance();
        line_start = true;
        continue;
      }
      if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
        advance();
        continue;
      }
      if (c == '/' && peek(1) == '/') {
        auto begin = i_;
        while (i_ < text_.size() && text_[i_] != '\n')
          advance();
        doc_line(text_.substr(begin, i_ - begin));
        continue;
      }
      auto start = pos_;
      if (c == '/' && peek(1) == '*') {
        if (!skip_block_comment()) {
          pos_ = start;
          return fail(out, "unterminated comment");
        }
        continue;
      }
      if (c == '#') {
        if (!line_start)
          return fail(out, "'#' must start a line");
        auto begin = i_;
        while (i_ < text_.size() && text_[i_] != '\n')
          advance();
        auto line = text_.substr(begin, i_ - begin);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
          line.remove_suffix(1);
        emit(out, token_kind::directive, std::string{line}, start);
        continue;
      }
      line_start = false;
      if (is_ident_start(c) || is_digit(c)) {
        // A number runs on like a name ("0x1f", "10u"); the parser only
        // accepts the literal 0, so nothing is lost by not decoding it.
        auto kind = is_digit(c) ? token_kind::number : token_kind::identifier;
        auto begin = i_;
        while (i_ < text_.size() && is_ident_char(text_[i_]))
          advance();
        emit(out, kind, std::string{text_.substr(begin, i_ - begin)}, start);
        continue;
      }
      if (c == ':' && peek(1) == ':') {
        advance();
        advance();
        emit(out, token_kind::punctuation, "::", start);
        continue;
      }
      if (std::string_view{"{}()<>,;:=&"}.find(c) != std::string_view::npos) {
        advance();
        emit(out, token_kind::punctuation, std::string(1, c), start);
        continue;
      }
      return fail(out, describe_unexpected(c));
    }
    emit(out, token_kind::end, "", pos_);
    return out;
  }

private:
  static std::string describe_unexpected(char c) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f) {
      static constexpr char hex[] = "0123456789abcdef";
      return std::string{"unexpected byte 0x"} + hex[byte >> 4] + hex[byte & 0xf];
    }
    return std::string{"unexpected character '"} + c + "'";
  }

  /// Keeps a `///` line (not `////...`) for the next token.
  void doc_line(std::string_view comment) {
    if (comment.size() < 3 || comment.substr(0, 3) != "///"
        || (comment.size() > 3 && comment[3] == '/'))
      return;
    comment.remove_prefix(comment.size() > 3 && comment[3] == ' ' ? 4 : 3);
    while (!comment.empty() && (comment.back() == '\r' || comment.back() == ' '))
      comment.remove_suffix(1);
    if (!doc_.empty())
      doc_ += '\n';
    doc_ += comment;
  }

  void emit(tokenize_result& out, token_kind kind, std::string text, source_position start) {
    out.tokens.push_back({kind, std::move(text), start, std::move(doc_)});
    doc_.clear();
  }

  char peek(size_t ahead) const {
    return i_ + ahead < text_.size() ? text_[i_ + ahead] : '\0';
  }

  void advance() {
    if (text_[i_] == '\n') {
      ++pos_.line;
      pos_.column = 1;
    } else {
      ++pos_.column;
    }
    ++i_;
  }

  bool skip_block_comment() {
    advance();
    advance();
    while (i_ < text_.size()) {
      if (text_[i_] == '*' && peek(1) == '/') {
        advance();
        advance();
        return true;
      }
      advance();
    }
    return false;
  }

  tokenize_result& fail(tokenize_result& out, std::string what) {
    out.ok = false;
    out.error_pos = pos_;
    out.error = std::move(what);
    out.tokens.clear();
    return out;
  }

  std::string_view text_;
  size_t i_ = 0;
  std::string doc_; ///< doc comment lines waiting for their token
  source_position pos_;
};

} // namespace

tokenize_result tokenize(std::string_view text) {
  return scanner{text}.run();
}

} // namespace rpcnet::codegen
