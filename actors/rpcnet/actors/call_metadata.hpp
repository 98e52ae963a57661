// The metadata of a call: ordered key/value pairs that travel with the
// request (an auth token, a trace id) and with the reply's status (trailing
// metadata), as gRPC's. Keys are lower-case ASCII; a key ending in "-bin"
// holds arbitrary bytes, any other key printable ASCII text. The same rules
// bind both sides, so what one side may send the other accepts.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace rpcnet {

class call_metadata {
public:
  using entry = std::pair<std::string, std::string>;

  /// The default bound on a call's metadata on the wire (8 KiB), each way.
  static constexpr size_t default_max_size = 8192;

  /// Appends a pair; keys may repeat (get_all() returns every value).
  void add(std::string key, std::string value);

  /// Replaces every value of `key` with `value`.
  void set(std::string key, std::string value);

  /// Room for `n` pairs.
  void reserve(size_t n) {
    mutable_entries().reserve(n);
  }

  /// Removes every value of `key`.
  void erase(std::string_view key);

  /// The first value of `key`.
  std::optional<std::string_view> get(std::string_view key) const;

  /// Every value of `key`, in order.
  std::vector<std::string_view> get_all(std::string_view key) const;

  const std::vector<entry>& entries() const noexcept {
    return shared_ ? shared_->entries : no_entries();
  }

  bool empty() const noexcept {
    return !shared_ || shared_->entries.empty();
  }

  size_t size() const noexcept {
    return shared_ ? shared_->entries.size() : 0;
  }

  /// Bytes the pairs take on the wire (docs/PROTOCOL.md, "Metadata"): what
  /// the size limit counts.
  size_t wire_size() const noexcept;

  friend bool operator==(const call_metadata& x, const call_metadata& y) {
    return x.entries() == y.entries();
  }

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, call_metadata& x) {
    return f(caf::meta::type_name("call_metadata"), x.mutable_entries());
  }

private:
  friend std::string metadata_problem(const call_metadata& md, size_t max_size);

  /// The pairs, and what metadata_problem found of them: copies that share
  /// the pairs share the verdict, so a caller reusing one call_options is
  /// checked once rather than on every call.
  struct storage {
    storage() = default;
    explicit storage(std::vector<entry> pairs) : entries(std::move(pairs)) {
    }
    std::vector<entry> entries;
    /// 1 + the wire size once every pair was found valid; 0 before. Set by
    /// readers of shared pairs, hence atomic; any change resets it.
    mutable std::atomic<size_t> valid_wire_size{0};
  };

  static const std::vector<entry>& no_entries() noexcept;

  /// The pairs, this copy's own from here on.
  std::vector<entry>& mutable_entries();

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
