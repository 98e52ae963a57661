// The client's place in a token stream that may move between workers: it
// takes tokens in order, refuses one seen before (a duplicate) or one that
// skips ahead (a gap), and says where a new stream resumes, so the user sees
// every token exactly once whichever workers sent them.
#pragma once

#include <cstdint>

namespace rpcnet::cli {

class token_cursor {
public:
  enum class verdict : uint8_t { accepted, duplicate, gap };

  /// Tokens 1 to `last` are wanted.
  explicit token_cursor(uint64_t last) : last_(last) {
  }

  verdict accept(uint64_t sequence) noexcept {
    if (sequence == received_ + 1 && sequence <= last_) {
      received_ = sequence;
      return verdict::accepted;
    }
    if (sequence <= received_) {
      ++duplicates_;
      return verdict::duplicate;
    }
    return verdict::gap;
  }

  /// The last token received in order: a resumed stream starts after it.
  uint64_t resume_after() const noexcept {
    return received_;
  }

  uint64_t last() const noexcept {
    return last_;
  }

  bool complete() const noexcept {
    return received_ >= last_;
  }

  /// Tokens refused because they had been received already.
  uint64_t duplicates() const noexcept {
    return duplicates_;
  }

private:
  uint64_t last_;
  uint64_t received_ = 0;
  uint64_t duplicates_ = 0;
};

} // namespace rpcnet::cli
