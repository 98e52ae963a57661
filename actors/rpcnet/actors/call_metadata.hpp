// The metadata of a call: ordered key/value pairs that travel with the
// request (an auth token, a trace id) and with the reply's status (trailing
// metadata), as gRPC's. Keys are lower-case ASCII; a key ending in "-bin"
// holds arbitrary bytes, any other key printable ASCII text. The same rules
// bind both sides, so what one side may send the other accepts.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace rpcnet {

namespace wire {
struct metadata_codec;
} // namespace wire

class call_metadata {
public:
  /// A pair, viewed in the metadata: valid until the metadata changes.
  using entry = std::pair<std::string_view, std::string_view>;

  /// Walks the pairs in order; yields each as an entry by value.
  class const_iterator {
  public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = entry;
    using difference_type = std::ptrdiff_t;
    using reference = entry;

    const_iterator() = default;

    entry operator*() const noexcept {
      auto [klen, vlen] = lengths();
      const char* key = at_ + header_size;
      return {{key, klen}, {key + klen, vlen}};
    }

    const_iterator& operator++() noexcept {
      auto [klen, vlen] = lengths();
      at_ += header_size + klen + vlen;
      return *this;
    }

    const_iterator operator++(int) noexcept {
      auto old = *this;
      ++*this;
      return old;
    }

    friend bool operator==(const_iterator x, const_iterator y) noexcept {
      return x.at_ == y.at_;
    }

  private:
    friend class call_metadata;

    explicit const_iterator(const char* at) noexcept : at_(at) {
    }

    std::pair<uint32_t, uint32_t> lengths() const noexcept {
      uint32_t len[2];
      std::memcpy(len, at_, sizeof len);
      return {len[0], len[1]};
    }

    const char* at_ = nullptr;
  };

  /// The pairs as a range: `for (auto [key, value] : md.entries())`.
  class entry_range {
  public:
    const_iterator begin() const noexcept {
      return first_;
    }
    const_iterator end() const noexcept {
      return last_;
    }
    size_t size() const noexcept {
      return size_;
    }
    bool empty() const noexcept {
      return size_ == 0;
    }

  private:
    friend class call_metadata;
    entry_range(const_iterator first, const_iterator last, size_t n) noexcept
      : first_(first), last_(last), size_(n) {
    }
    const_iterator first_;
    const_iterator last_;
    size_t size_;
  };

  /// The default bound on a call's metadata on the wire (8 KiB), each way.
  static constexpr size_t default_max_size = 8192;

  /// Appends a pair; keys may repeat (get_all() returns every value).
  void add(std::string_view key, std::string_view value);

  /// Replaces every value of `key` with `value`.
  void set(std::string_view key, std::string_view value);

  /// Room for `pairs` more pairs whose keys and values take `text_bytes`.
  void reserve(size_t pairs, size_t text_bytes);

  /// Removes every value of `key`.
  void erase(std::string_view key);

  /// The first value of `key`.
  std::optional<std::string_view> get(std::string_view key) const;

  /// Every value of `key`, in order.
  std::vector<std::string_view> get_all(std::string_view key) const;

  /// No begin() and end() of its own: CAF would take the metadata for a
  /// container and message it element by element.
  entry_range entries() const noexcept {
    if (!shared_)
      return {const_iterator{}, const_iterator{}, 0};
    const auto& bytes = shared_->bytes;
    return {const_iterator{bytes.data()}, const_iterator{bytes.data() + bytes.size()},
            shared_->count};
  }

  bool empty() const noexcept {
    return size() == 0;
  }

  size_t size() const noexcept {
    return shared_ ? shared_->count : 0;
  }

  /// Bytes the pairs take on the wire (docs/PROTOCOL.md, "Metadata"): what
  /// the size limit counts.
  size_t wire_size() const noexcept {
    return shared_ ? shared_->wire_size : 0;
  }

  friend bool operator==(const call_metadata& x, const call_metadata& y) noexcept {
    // One layout per sequence of pairs, so equal bytes are equal pairs.
    auto bytes = [](const call_metadata& md) {
      return md.shared_ ? std::string_view{md.shared_->bytes} : std::string_view{};
    };
    return bytes(x) == bytes(y);
  }

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, call_metadata& x) {
    // As a list of pairs, which is what a reader of a log wants to see.
    std::vector<std::pair<std::string, std::string>> pairs;
    if constexpr (Inspector::reads_state) {
      for (auto [k, v] : x.entries())
        pairs.emplace_back(k, v);
      return f(caf::meta::type_name("call_metadata"), pairs);
    } else {
      auto result = f(caf::meta::type_name("call_metadata"), pairs);
      x = call_metadata{};
      for (const auto& [k, v] : pairs)
        x.add(k, v);
      return result;
    }
  }

private:
  friend std::string metadata_problem(const call_metadata& md, size_t max_size);
  /// Builds a received call's pairs in place, checked in the frame: one
  /// allocation and no second check.
  friend struct wire::metadata_codec;

  /// Per pair: the key's and the value's length (u32 each, host order).
  static constexpr size_t header_size = 2 * sizeof(uint32_t);

  /// The pairs, and what metadata_problem found of them: copies that share
  /// the pairs share the verdict, so a caller reusing one call_options is
  /// checked once rather than on every call.
  struct storage {
    storage() = default;
    storage(const storage& other)
      : bytes(other.bytes), count(other.count), wire_size(other.wire_size) {
    }
    /// Every pair in one buffer (header_size bytes of lengths, the key, the
    /// value): a decoded call's metadata is one allocation, not one a value.
    std::string bytes;
    size_t count = 0;
    size_t wire_size = 0;
    /// Whether every pair was found valid. Set by readers of shared pairs,
    /// hence atomic; any change resets it.
    mutable std::atomic<bool> valid{false};
  };

  /// The pairs, this copy's own from here on.
  storage& mutable_storage();

  /// Appends a pair to `s`, whose bytes neither view may point into.
  static void append(storage& s, std::string_view key, std::string_view value);

  /// Shared by copies until one of them changes (copy on write): a call's
  /// options are copied into the message that takes them to the connection
  /// actor, and interceptors copy what they see, on every call -- a
  /// reference count instead of a string per value. Null: no pairs.
  std::shared_ptr<storage> shared_;
};

/// True for keys whose values are bytes rather than text ("...-bin").
bool is_binary_key(std::string_view key) noexcept;

/// True when `key` may be a metadata key, and `value` its value (the
/// rules below); the fast checks that the *_problem functions explain.
bool is_valid_metadata_key(std::string_view key) noexcept;
bool is_valid_metadata_value(std::string_view key, std::string_view value) noexcept;

/// Why `key` may not be a metadata key (1 to 255 of a-z 0-9 - _ .), or
/// empty when it may.
std::string metadata_key_problem(std::string_view key);

/// Why `value` may not be the value of `key` (text keys take printable
/// ASCII, space included, up to 65535 bytes), or empty when it may.
std::string metadata_value_problem(std::string_view key, std::string_view value);

/// Why `md` may not go on the wire under a limit of `max_size` bytes: the
/// first bad key or value, or the size; empty when it may.
std::string metadata_problem(const call_metadata& md, size_t max_size);

} // namespace rpcnet
